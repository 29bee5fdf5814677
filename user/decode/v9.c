// SPDX-License-Identifier: BSD-2-Clause
/*
 * v9.c - NetFlow version 9 (RFC 3954).
 *
 * Flowsets are walked by their own length fields; the header count is
 * ignored because exporters get it wrong (softflowd counts data records
 * only).  Templates go to the template cache, which compiles them; data
 * flowsets are decoded by the cache's plan walker.  v9 has no variable-length
 * fields and no enterprise bit: field types above 32767 are ordinary
 * (vendor) types that we skip by length.
 */
#include <errno.h>

#include "decode/decode.h"
#include "decode/tmpl_cache.h"

#define V9_HDR_LEN	20
/* The longest record a UDP message could carry. */
#define V9_MAX_REC	(65535 - V9_HDR_LEN - 4)
/* Sequence counts packets: beyond these steps it is an exporter restart. */
#define V9_MAX_GAP	(1u << 20)
#define V9_MAX_BACK	64

static void learn(struct nfx_msg *m, const struct nfx_tkey *k,
		  const struct nfx_field_spec *fs, unsigned int n, unsigned int nscope,
		  int options)
{
	int err = 0;

	/* 65535 is IPFIX's varlen marker; in v9 it is a length no record fits */
	for (unsigned int i = 0; i < n && !err; i++)
		if (fs[i].len == NFX_VARLEN)
			err = -EINVAL;
	if (!err)
		err = nfx_tmpl_learn(m->c, k, fs, n, nscope, options, V9_MAX_REC, m->now_ms);

	switch (err) {
	case 0:
		m->st->templates_learned++;
		nfx_tmpl_pending_run(m, k);
		break;
	case -EINVAL:
		m->st->bad_template++;
		break;
	case -EDQUOT:
		m->st->template_exporter_limit++;
		break;
	case -ENFILE:
		break;		/* the message already counts as exporter_limit */
	default:
		m->st->template_limit++;
		break;
	}
}

/* Flowset 0: template records (id, count, count x (type, length)). */
static void template_set(struct nfx_msg *m, const struct nfx_src *src, uint32_t domain,
			 const uint8_t *p, size_t len)
{
	struct nfx_field_spec fs[NFX_TMPL_MAX_FIELDS];
	size_t q = 0;

	while (len - q >= 4) {
		uint16_t tid = nfx_get16(p + q), n = nfx_get16(p + q + 2);
		size_t need = 4 + (size_t)n * 4;
		struct nfx_tkey k;

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
		nfx_tmpl_key(m->c, &k, NFX_PROTO_V9, src, domain, tid);
		learn(m, &k, fs, n, 0, 0);
		q += need;
	}
}

/*
 * Flowset 1: options templates (id, scope length, option length in bytes,
 * then the scope and option (type, length) pairs).
 */
static void options_template_set(struct nfx_msg *m, const struct nfx_src *src,
				 uint32_t domain, const uint8_t *p, size_t len)
{
	struct nfx_field_spec fs[NFX_TMPL_MAX_FIELDS];
	size_t q = 0;

	while (len - q >= 6) {
		uint16_t tid = nfx_get16(p + q);
		uint16_t slen = nfx_get16(p + q + 2), olen = nfx_get16(p + q + 4);
		size_t need = 6 + (size_t)slen + olen;
		unsigned int n = (slen + olen) / 4;
		struct nfx_tkey k;

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
		}
		nfx_tmpl_key(m->c, &k, NFX_PROTO_V9, src, domain, tid);
		learn(m, &k, fs, n, slen / 4, 1);
		q += need;
	}
}


int nfx_decode_v9(struct nfx_decoder *d, const struct nfx_src *src,
		  const uint8_t *buf, size_t len, const struct nfx_sink *out)
{
	struct nfx_msg m = { .c = d->tmpl, .st = &d->stats, .out = out,
			     .proto = NFX_PROTO_V9, .slot = NFX_SLOT_V9 };
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
	m.sys_uptime = nfx_get32(buf + 4);
	m.export_ms = (uint64_t)nfx_get32(buf + 8) * 1000;
	seq = nfx_get32(buf + 12);
	domain = nfx_get32(buf + 16);
	nfx_msg_begin(&m, src, NFX_TYPE_NETFLOW9, domain, seq);

	for (pos = V9_HDR_LEN; len - pos >= 4;) {
		uint16_t id = nfx_get16(buf + pos), slen = nfx_get16(buf + pos + 2);
		const uint8_t *body = buf + pos + 4;

		if (slen < 4 || slen > len - pos) {
			d->stats.bad_set_length++;
			if (pos == V9_HDR_LEN)
				goto drop;
			break;
		}
		if (id == 0)
			template_set(&m, src, domain, body, slen - 4u);
		else if (id == 1)
			options_template_set(&m, src, domain, body, slen - 4u);
		else if (id >= 256)
			nfx_tmpl_data(&m, src, domain, id, body, slen - 4u);
		else
			d->stats.reserved_sets++;	/* 2..255: skipped by length */
		pos += slen;
	}
	nfx_tmpl_seq(m.dom, &d->stats, seq, 1, V9_MAX_GAP, V9_MAX_BACK);
	d->stats.records[NFX_SLOT_V9] += m.emitted;
	if (m.dom)
		m.dom->records += m.emitted;
	return (int)m.emitted;

drop:
	d->stats.dropped[NFX_SLOT_V9]++;
	return -EINVAL;
}
