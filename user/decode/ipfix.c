// SPDX-License-Identifier: BSD-2-Clause
/*
 * ipfix.c - IPFIX messages (RFC 7011).
 *
 * The message length must equal the datagram: a message cut or padded in
 * transit is dropped whole, since nothing inside it can be trusted to line
 * up.  As in the XDP program, a header-only message (16 to 19 bytes) is
 * dropped too, as length_mismatch; 1 to 3 bytes after the last set count
 * as length_mismatch, the records staying (v9 does the same).  Sets are then walked by their lengths.  Template records with a
 * field count of 0 are withdrawals; a template id equal to the set id (2 or
 * 3) withdraws every (options) template of the domain.  Enterprise elements
 * (RFC 5103 reverse elements included) are skipped by length.
 */
#include <errno.h>
#include <string.h>

#include "decode/decode.h"
#include "decode/seq.h"
#include "decode/sets.h"
#include "decode/times.h"

#define IPFIX_HDR_LEN	16
#define IPFIX_SET_HDR_LEN	4
/* Sequence counts data records; beyond these steps it is a restart. */
#define IPFIX_MAX_GAP	(1u << 24)
#define IPFIX_MAX_BACK	4096

static void withdraw(struct nfx_decoder *d, struct nfx_msg *m, const struct nfx_tkey *k,
		     uint16_t set_id)
{
	if (k->tid == set_id) {
		m->st->templates_withdrawn += nfx_tmpl_remove_all(d->tmpl, k, set_id == 3);
		/* data after a withdrawal has no layout we could trust: never hold it */
		if (m->dom)
			memset(m->dom->seen_tids, 0xff, sizeof(m->dom->seen_tids));
		return;
	}
	if (k->tid < 256) {
		m->st->bad_template++;
		return;
	}
	m->st->templates_withdrawn += nfx_tmpl_remove(d->tmpl, k);
	if (m->dom)
		nfx_dom_tid_seen(m->dom, k->tid);
}

/*
 * Read @n field specifiers at p[*q]; specifiers past the first
 * NFX_TMPL_MAX_FIELDS are walked but not kept.
 * @return 0, or -1 when they run past the set.
 */
static int read_fields(const uint8_t *p, size_t len, size_t *q, unsigned int n,
		       struct nfx_field_spec *fs)
{
	for (unsigned int i = 0; i < n; i++) {
		uint16_t id, flen;
		uint32_t pen = 0;

		if (len - *q < 4)
			return -1;
		id = nfx_get16(p + *q);
		flen = nfx_get16(p + *q + 2);
		*q += 4;
		if (id & 0x8000) {
			if (len - *q < 4)
				return -1;
			pen = nfx_get32(p + *q);
			*q += 4;
			id &= 0x7fff;
		}
		if (i < NFX_TMPL_MAX_FIELDS) {
			fs[i].id = id;
			fs[i].len = flen;
			fs[i].pen = pen;
		}
	}
	return 0;
}

/* Set 2 (templates) and set 3 (options templates). */
static void template_set(struct nfx_decoder *d, struct nfx_msg *m, const struct nfx_src *src,
			 uint32_t domain, uint16_t set_id, const uint8_t *p, size_t len)
{
	struct nfx_field_spec fs[NFX_TMPL_MAX_FIELDS];
	int options = set_id == 3;
	size_t q = 0;

	while (len - q >= 4) {
		uint16_t tid = nfx_get16(p + q), n = nfx_get16(p + q + 2);
		unsigned int nscope = 0;
		struct nfx_tkey k;

		if (!tid && !n)
			break;		/* padding */
		nfx_tmpl_key(d->tmpl, &k, NFX_PROTO_IPFIX, src, domain, tid);
		q += 4;
		if (!n) {
			withdraw(d, m, &k, set_id);
			continue;
		}
		if (options) {
			if (len - q < 2) {
				m->st->bad_template++;
				break;
			}
			nscope = nfx_get16(p + q);
			q += 2;
		}
		if (read_fields(p, len, &q, n, fs)) {
			m->st->bad_template++;
			break;
		}
		if (tid < 256 || n > NFX_TMPL_MAX_FIELDS || (options && (!nscope || nscope > n))) {
			m->st->bad_template++;
			continue;
		}
		nfx_sets_learn(d, m, src, &k, &(struct nfx_tmpl_rec){ fs, n, nscope, options });
	}
}


int nfx_decode_ipfix(struct nfx_decoder *d, const struct nfx_src *src,
		     const uint8_t *buf, size_t len, const struct nfx_sink *out)
{
	struct nfx_msg m = { .proto = NFX_PROTO_IPFIX };
	uint32_t domain, seq;
	size_t pos;

	d->stats.packets[NFX_SLOT_IPFIX]++;
	if (len < IPFIX_HDR_LEN) {
		d->stats.short_pkt++;
		goto drop;
	}
	if (nfx_get16(buf) != 10) {
		d->stats.bad_version++;
		goto drop;
	}
	if (nfx_get16(buf + 2) != len || len < IPFIX_HDR_LEN + IPFIX_SET_HDR_LEN) {
		d->stats.length_mismatch++;
		goto drop;
	}
	m.export_ms = nfx_export_ms((uint64_t)nfx_get32(buf + 4) * 1000, src->now_ms);
	seq = nfx_get32(buf + 8);
	domain = nfx_get32(buf + 12);
	nfx_msg_begin(d, &m, src, out, NFX_TYPE_IPFIX, domain, seq);

	for (pos = IPFIX_HDR_LEN; len - pos >= IPFIX_SET_HDR_LEN;) {
		uint16_t id = nfx_get16(buf + pos), slen = nfx_get16(buf + pos + 2);
		const uint8_t *body = buf + pos + 4;

		if (slen < 4 || slen > len - pos) {
			d->stats.bad_set_length++;
			if (pos == IPFIX_HDR_LEN)
				goto drop;
			break;
		}
		if (id == 2 || id == 3) {
			d->control_seen = 1;
			template_set(d, &m, src, domain, id, body, slen - 4u);
		} else if (id >= 256)
			nfx_sets_data(d, &m, src, domain, id, body, slen - 4u);
		else
			d->stats.reserved_sets++;	/* 0, 1, 4..255: skipped by length */
		pos += slen;
	}
	if (pos < len && len - pos < IPFIX_SET_HDR_LEN)
		d->stats.length_mismatch++;	/* bytes after the last set */
	if (!d->replaying)	/* the sequence is the receiving decoder's */
		nfx_seq_domain_account(m.dom, &d->stats, seq, m.data_records, IPFIX_MAX_GAP,
				       IPFIX_MAX_BACK);
	d->stats.records[NFX_SLOT_IPFIX] += m.emitted;
	if (m.dom)
		m.dom->records += m.emitted;
	return (int)m.emitted;

drop:
	d->stats.dropped[NFX_SLOT_IPFIX]++;
	return -EINVAL;
}
