// SPDX-License-Identifier: BSD-2-Clause
/*
 * v9.c - NetFlow version 9 (RFC 3954).
 *
 * Flowsets are walked by their own length fields; the header count is
 * ignored because exporters get it wrong (softflowd counts data records
 * only).  As in the XDP program, a message needs room for one flowset
 * header (24 bytes); 1 to 3 bytes after the last flowset are too few for
 * another and are counted as length_mismatch, the records staying (as
 * bytes after the last sFlow sample are).  Template and data flowsets are
 * then handled as IPFIX's sets are (sets.c).  v9 has no variable-length
 * fields (but see count_varlen) and no enterprise bit:
 * field types above 32767 are ordinary (vendor) types that we skip by
 * length.
 */
#include <errno.h>

#include "decode/decode.h"
#include "decode/seq.h"
#include "decode/sets.h"
#include "decode/times.h"

#define V9_HDR_LEN	20
#define V9_SET_HDR_LEN	4
/* Sequence counts packets: beyond these steps it is an exporter restart. */
#define V9_MAX_GAP	(1u << 20)
#define V9_MAX_BACK	64
/* Options scope field types (RFC 3954 6.1): 1 system, 2 interface, ... */
#define V9_SCOPE_INTERFACE	2

/*
 * 65535 is IPFIX's variable-length marker (RFC 7011 section 7); RFC 3954
 * has none and no v9 record could be that long.  Some devices (H3C) send
 * it meaning what IPFIX means, and their data follow IPFIX's length
 * prefixes, so it is read that way and counted as a tolerated deviation.
 */
static unsigned int count_varlen(const struct nfx_field_spec *fs, unsigned int n)
{
	unsigned int k = 0;

	for (unsigned int i = 0; i < n; i++)
		k += fs[i].len == NFX_VARLEN;
	return k;
}

/* A template record read from a flowset, learned unless v9 cannot carry it. */
static void v9_template(struct nfx_decoder *d, struct nfx_msg *m, const struct nfx_src *src,
		  uint32_t domain, uint16_t tid, const struct nfx_tmpl_rec *r)
{
	struct nfx_tkey k;

	m->st->v9_varlen_fields += count_varlen(r->fs, r->n);
	nfx_tmpl_key(d->tmpl, &k, NFX_PROTO_V9, src, domain, tid);
	nfx_sets_learn(d, m, src, &k, r);
}

/* Flowset 0: template records (id, count, count x (type, length)). */
static void template_set(struct nfx_decoder *d, struct nfx_msg *m, const struct nfx_src *src,
			 uint32_t domain, const uint8_t *p, size_t len)
{
	struct nfx_field_spec fs[NFX_TMPL_MAX_FIELDS];
	size_t q = 0;

	while (len - q >= 4) {
		uint16_t tid = nfx_get16(p + q), n = nfx_get16(p + q + 2);
		size_t need = 4 + (size_t)n * 4;

		if (!tid && !n)
			break;		/* padding */
		if (need > len - q) {
			m->st->bad_template++;
			break;
		}
		if (tid < 256 || !n || n > NFX_TMPL_MAX_FIELDS) {
			m->st->bad_template++;
			q += need;
			continue;
		}
		for (unsigned int i = 0; i < n; i++) {
			fs[i].id = nfx_get16(p + q + 4 + i * 4);
			fs[i].len = nfx_get16(p + q + 6 + i * 4);
			fs[i].pen = 0;
		}
		v9_template(d, m, src, domain, tid, &(struct nfx_tmpl_rec){ fs, n, 0, 0 });
		q += need;
	}
}

/*
 * Flowset 1: options templates (id, scope length, option length in bytes,
 * then the scope and option (type, length) pairs).
 */
static void options_template_set(struct nfx_decoder *d, struct nfx_msg *m,
				 const struct nfx_src *src, uint32_t domain, const uint8_t *p,
				 size_t len)
{
	struct nfx_field_spec fs[NFX_TMPL_MAX_FIELDS];
	size_t q = 0;

	while (len - q >= 6) {
		uint16_t tid = nfx_get16(p + q);
		uint16_t slen = nfx_get16(p + q + 2), olen = nfx_get16(p + q + 4);
		size_t need = 6 + (size_t)slen + olen;
		unsigned int n = (slen + olen) / 4;

		if (!tid && !slen && !olen)
			break;		/* padding */
		if (need > len - q) {
			m->st->bad_template++;
			break;
		}
		if (tid < 256 || slen % 4 || olen % 4 || !(slen + olen) ||
		    n > NFX_TMPL_MAX_FIELDS) {
			m->st->bad_template++;
			q += need;
			continue;
		}
		for (unsigned int i = 0; i < n; i++) {
			fs[i].id = nfx_get16(p + q + 6 + i * 4);
			fs[i].len = nfx_get16(p + q + 8 + i * 4);
			fs[i].pen = 0;
			/* v9 scope type 2 (Interface) is the ifIndex: IPFIX's ingressInterface */
			if (i < slen / 4u && fs[i].id == V9_SCOPE_INTERFACE)
				fs[i].id = 10;
		}
		v9_template(d, m, src, domain, tid, &(struct nfx_tmpl_rec){ fs, n, slen / 4, 1 });
		q += need;
	}
}


int nfx_decode_v9(struct nfx_decoder *d, const struct nfx_src *src,
		  const uint8_t *buf, size_t len, const struct nfx_sink *out)
{
	struct nfx_msg m = { .proto = NFX_PROTO_V9 };
	uint32_t domain, seq;
	size_t pos;

	d->stats.packets[NFX_SLOT_V9]++;
	if (len < V9_HDR_LEN) {
		d->stats.short_pkt++;
		goto drop;
	}
	if (nfx_get16(buf) != 9) {
		d->stats.bad_version++;
		goto drop;
	}
	/* header only: the XDP program's "truncated" */
	if (len < V9_HDR_LEN + V9_SET_HDR_LEN) {
		d->stats.length_mismatch++;
		goto drop;
	}
	m.sys_uptime = nfx_get32(buf + 4);
	m.export_ms = nfx_export_ms((uint64_t)nfx_get32(buf + 8) * 1000, src->now_ms);
	seq = nfx_get32(buf + 12);
	domain = nfx_get32(buf + 16);
	nfx_msg_begin(d, &m, src, out, NFX_TYPE_NETFLOW9, domain, seq);

	for (pos = V9_HDR_LEN; len - pos >= V9_SET_HDR_LEN;) {
		uint16_t id = nfx_get16(buf + pos), slen = nfx_get16(buf + pos + 2);
		const uint8_t *body = buf + pos + 4;

		if (slen < 4 || slen > len - pos) {
			d->stats.bad_set_length++;
			if (pos == V9_HDR_LEN)
				goto drop;
			break;
		}
		if (id <= 1)
			d->control_seen = 1;
		if (id == 0)
			template_set(d, &m, src, domain, body, slen - 4u);
		else if (id == 1)
			options_template_set(d, &m, src, domain, body, slen - 4u);
		else if (id >= 256)
			nfx_sets_data(d, &m, src, domain, id, body, slen - 4u);
		else
			d->stats.reserved_sets++;	/* 2..255: skipped by length */
		pos += slen;
	}
	if (pos < len && len - pos < V9_SET_HDR_LEN)
		d->stats.length_mismatch++;	/* bytes after the last flowset */
	if (!d->replaying)	/* the sequence is the receiving decoder's */
		nfx_seq_domain_account(m.dom, &d->stats, seq, 1, V9_MAX_GAP, V9_MAX_BACK);
	d->stats.records[NFX_SLOT_V9] += m.emitted;
	if (m.dom)
		m.dom->records += m.emitted;
	return (int)m.emitted;

drop:
	d->stats.dropped[NFX_SLOT_V9]++;
	return -EINVAL;
}
