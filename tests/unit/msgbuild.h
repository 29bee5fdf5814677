/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * msgbuild.h - a tiny NetFlow v9 / IPFIX message builder for the unit
 * tests: headers, (options) template sets, data sets, variable-length
 * fields, padding; lengths are filled in when a set or message is closed.
 * Tests build the exact bytes they mean instead of carrying opaque blobs.
 */
#ifndef NFX_MSGBUILD_H
#define NFX_MSGBUILD_H

#include <stdint.h>
#include <string.h>

#include "check.h"

struct mb {
	uint8_t b[65600];
	size_t len;
	size_t set_start;	/* offset of the open set header, or SIZE_MAX */
	int version;		/* 9 or 10 */
};

static inline void mb_u8(struct mb *m, uint8_t v)
{
	m->b[m->len++] = v;
}

static inline void mb_u16(struct mb *m, uint16_t v)
{
	mb_u8(m, (uint8_t)(v >> 8));
	mb_u8(m, (uint8_t)v);
}

static inline void mb_u32(struct mb *m, uint32_t v)
{
	mb_u16(m, (uint16_t)(v >> 16));
	mb_u16(m, (uint16_t)v);
}

static inline void mb_u64(struct mb *m, uint64_t v)
{
	mb_u32(m, (uint32_t)(v >> 32));
	mb_u32(m, (uint32_t)v);
}

static inline void mb_bytes(struct mb *m, const void *p, size_t n)
{
	memcpy(m->b + m->len, p, n);
	m->len += n;
}

static inline void mb_ip4(struct mb *m, uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	mb_u8(m, a);
	mb_u8(m, b);
	mb_u8(m, c);
	mb_u8(m, d);
}

static inline void mb_v9_hdr(struct mb *m, uint16_t count, uint32_t uptime, uint32_t secs,
			     uint32_t seq, uint32_t source_id)
{
	m->len = 0;
	m->set_start = SIZE_MAX;
	m->version = 9;
	mb_u16(m, 9);
	mb_u16(m, count);
	mb_u32(m, uptime);
	mb_u32(m, secs);
	mb_u32(m, seq);
	mb_u32(m, source_id);
}

static inline void mb_ipfix_hdr(struct mb *m, uint32_t export_secs, uint32_t seq,
				uint32_t odid)
{
	m->len = 0;
	m->set_start = SIZE_MAX;
	m->version = 10;
	mb_u16(m, 10);
	mb_u16(m, 0);		/* length, set by mb_finish() */
	mb_u32(m, export_secs);
	mb_u32(m, seq);
	mb_u32(m, odid);
}

static inline void mb_set_begin(struct mb *m, uint16_t id)
{
	m->set_start = m->len;
	mb_u16(m, id);
	mb_u16(m, 0);
}

/* Close the open set, zero-padding it to a multiple of @align (0/1 = none). */
static inline void mb_set_end_pad(struct mb *m, unsigned int align)
{
	size_t n;

	if (align > 1)
		while ((m->len - m->set_start) % align)
			mb_u8(m, 0);
	n = m->len - m->set_start;
	m->b[m->set_start + 2] = (uint8_t)(n >> 8);
	m->b[m->set_start + 3] = (uint8_t)n;
	m->set_start = SIZE_MAX;
}

static inline void mb_set_end(struct mb *m)
{
	mb_set_end_pad(m, 0);
}

/* Template record header; v9 options: use mb_v9_opt_tmpl(). */
static inline void mb_tmpl(struct mb *m, uint16_t tid, uint16_t nfields)
{
	mb_u16(m, tid);
	mb_u16(m, nfields);
}

static inline void mb_ipfix_opt_tmpl(struct mb *m, uint16_t tid, uint16_t nfields,
				     uint16_t nscope)
{
	mb_u16(m, tid);
	mb_u16(m, nfields);
	mb_u16(m, nscope);
}

/* v9 options template header: lengths in bytes of the scope / option fields. */
static inline void mb_v9_opt_tmpl(struct mb *m, uint16_t tid, uint16_t scope_len,
				  uint16_t opt_len)
{
	mb_u16(m, tid);
	mb_u16(m, scope_len);
	mb_u16(m, opt_len);
}

static inline void mb_field(struct mb *m, uint16_t id, uint16_t len)
{
	mb_u16(m, id);
	mb_u16(m, len);
}

static inline void mb_field_pen(struct mb *m, uint16_t id, uint16_t len, uint32_t pen)
{
	mb_u16(m, id | 0x8000);
	mb_u16(m, len);
	mb_u32(m, pen);
}

/* A variable-length value: 1-byte length below 255, else 255 + 2 bytes. */
static inline void mb_varlen(struct mb *m, const void *p, size_t n)
{
	if (n < 255) {
		mb_u8(m, (uint8_t)n);
	} else {
		mb_u8(m, 255);
		mb_u16(m, (uint16_t)n);
	}
	mb_bytes(m, p, n);
}

/* Close the message (IPFIX length); @return its length. */
static inline size_t mb_finish(struct mb *m)
{
	if (m->set_start != SIZE_MAX)
		mb_set_end(m);
	if (m->version == 10) {
		m->b[2] = (uint8_t)(m->len >> 8);
		m->b[3] = (uint8_t)m->len;
	}
	return m->len;
}

/*
 * A sink that keeps the flows it is given, for the tests to look at.
 * Include decode.h before this file to get it.
 */
#ifdef NFX_DECODE_H
#define MB_MAX_FLOWS 4096

struct mb_sink {
	struct nfx_flow f[MB_MAX_FLOWS];
	unsigned int n;
	unsigned int total;	/* including those past MB_MAX_FLOWS */
};

static inline void mb_collect(void *ctx, const struct nfx_flow *f)
{
	struct mb_sink *s = ctx;

	if (s->n < MB_MAX_FLOWS)
		s->f[s->n++] = *f;
	s->total++;
}

/* Hex text (whitespace ignored) to bytes; @return the byte count. */
static inline size_t mb_unhex(uint8_t *out, size_t cap, const char *hex)
{
	size_t n = 0;
	int hi = -1;

	for (; *hex && n < cap; hex++) {
		int v;

		if (*hex >= '0' && *hex <= '9')
			v = *hex - '0';
		else if (*hex >= 'a' && *hex <= 'f')
			v = *hex - 'a' + 10;
		else
			continue;
		if (hi < 0) {
			hi = v;
		} else {
			out[n++] = (uint8_t)(hi << 4 | v);
			hi = -1;
		}
	}
	return n;
}

static inline uint32_t mb_rnd(uint64_t *state)
{
	return (uint32_t)(check_xorshift(state) >> 16);
}

/*
 * One hostile message on the heap, at exactly its length so that ASan sees
 * a read past the end: one in eight is random bytes starting with
 * @version, the others a seed cut short now and then and with up to seven
 * bytes changed.  The caller frees *buf.
 */
static inline size_t mb_mutate(uint64_t *rng, int i, uint16_t version,
			       uint8_t seeds[][2048], const size_t *seed_len, unsigned int nseeds,
			       uint8_t **buf)
{
	size_t len;

	if (i % 8 == 0) {
		len = mb_rnd(rng) % 300;
		*buf = malloc(len ? len : 1);
		for (size_t j = 0; j < len; j++)
			(*buf)[j] = (uint8_t)mb_rnd(rng);
		if (len >= 2) {
			(*buf)[0] = (uint8_t)(version >> 8);
			(*buf)[1] = (uint8_t)version;
		}
		return len;
	}
	unsigned int k = mb_rnd(rng) % nseeds;

	len = seed_len[k];
	if (mb_rnd(rng) % 4 == 0)
		len = mb_rnd(rng) % (len + 1);
	*buf = malloc(len ? len : 1);
	memcpy(*buf, seeds[k], len);
	for (unsigned int m = mb_rnd(rng) % 8; m-- && len;)
		(*buf)[mb_rnd(rng) % len] = (uint8_t)mb_rnd(rng);
	return len;
}
#endif

#endif /* NFX_MSGBUILD_H */
