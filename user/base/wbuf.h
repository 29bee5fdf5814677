/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * wbuf.h - the text buffer both record formatters write into (NDJSON lines
 * in sink/ndjson.c, ClickHouse rows in sink/ch.c) and the pieces they share:
 * numbers, addresses, MACs and prefixes, written in place, no libc call
 * per field.  Every helper checks room unless the caller cleared
 * `checked` after making sure the whole record fits.
 */
#ifndef NFX_WBUF_H
#define NFX_WBUF_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "base/fieldmap.h"
#include "base/flow.h"

/* "00" .. "99", 10^0 .. 10^19 */
extern const char nfx_digits2[200];
extern const uint64_t nfx_pow10[20];
/*
 * Each octet's dotted-quad text with its dot ("7.", "10.", "255."), in
 * the low 4 bytes in memory order, and that length in the top byte.
 */
extern uint64_t nfx_octet_dot[256];
/* TCP flag names by bit, FIN (0x01) to CWR (0x80) */
extern const char *const nfx_tcp_flag_names[8];

/* IPv6 text as inet_ntop() writes it, at most NFX_ADDR_STRLEN; its length. */
size_t nfx_v6_text(char *out, const uint8_t *b);

struct wbuf {
	char *p;
	char *end;
	/*
	 * 0 when the caller made sure the record fits (sink/ndjson.c's
	 * FAST_MAX): the helpers are inlined with this constant, so the
	 * per-field bounds checks compile away on the common path.
	 */
	int checked;
};

#define WINLINE static inline __attribute__((always_inline))

/* Room for @n bytes; else the overflow mark (the caller checks p > end) and 0. */
WINLINE int wbuf_room(struct wbuf *w, size_t n)
{
	if (w->checked && __builtin_expect(w->p > w->end || (size_t)(w->end - w->p) < n, 0)) {
		w->p = w->end + 1;
		return 0;
	}
	return 1;
}

WINLINE void put_mem(struct wbuf *w, const char *s, size_t n)
{
	if (!wbuf_room(w, n))
		return;
	memcpy(w->p, s, n);
	w->p += n;
}

#define put_lit(w, s) put_mem(w, s, sizeof(s) - 1)

WINLINE void put_str(struct wbuf *w, const char *s)
{
	put_mem(w, s, strlen(s));
}

/* Decimal digits of @v >= 10: log10 from the bit length, corrected by one compare. */
WINLINE unsigned int dec_digits(uint64_t v)
{
	unsigned int t = ((64u - (unsigned int)__builtin_clzll(v)) * 1233u) >> 12;

	return t + 1 - (v < nfx_pow10[t]);
}

/*
 * Written in place, last digits first, two per division: no temporary and
 * no memcpy() call of a variable length.  The exact-room path, near the
 * end of a checked buffer.
 */
static inline void put_u64_exact(struct wbuf *w, uint64_t v)
{
	unsigned int n;
	char *q;

	if (v < 10) {
		if (wbuf_room(w, 1))
			*w->p++ = (char)('0' + v);
		return;
	}
	n = dec_digits(v);
	if (!wbuf_room(w, n))
		return;
	q = w->p + n;
	while (v >= 100) {
		unsigned int r = (unsigned int)(v % 100);

		v /= 100;
		q -= 2;
		memcpy(q, nfx_digits2 + 2 * r, 2);
	}
	if (v >= 10) {
		q -= 2;
		memcpy(q, nfx_digits2 + 2 * v, 2);
	} else {
		*--q = (char)('0' + v);
	}
	w->p += n;
}

/*
 * The eight decimal digits of @x < 10^8, leading zeros kept, one per byte
 * (0..9) in reading order on a little-endian machine.  Splitting in lanes
 * of one 64-bit word (4+4 digits, then 2+2 in each, then 1+1) costs three
 * multiplications instead of four divisions by 100 and their table loads:
 * the digit conversion was a sixth of an NDJSON record's instructions.
 * The constants divide exactly in range: x * 10486 >> 20 is x / 100 for
 * x < 10^4, x * 103 >> 10 is x / 10 for x < 100, and no lane's product
 * reaches the next lane.
 */
static inline uint64_t dec8_lanes(uint32_t x)
{
	uint64_t v = x / 10000 | (uint64_t)(x % 10000) << 32;
	uint64_t q = (v * 10486 >> 20) & 0x0000007f0000007full;

	v = q | (v - q * 100) << 16;
	q = (v * 103 >> 10) & 0x000f000f000f000full;
	return q | (v - q * 10) << 8;
}

/* @x < 10^8 without its leading zeros ("0" for 0); 8 bytes stored, the digits kept. */
static inline char *put_dec8_trim(char *p, uint32_t x)
{
	uint64_t d = dec8_lanes(x);
	unsigned int zeros = (unsigned int)__builtin_ctzll(d | 1ull << 56) / 8;

	d = (d | 0x3030303030303030ull) >> (8 * zeros);
	memcpy(p, &d, 8);
	return p + 8 - zeros;
}

static inline char *put_dec8_full(char *p, uint32_t x)
{
	uint64_t d = dec8_lanes(x) | 0x3030303030303030ull;

	memcpy(p, &d, 8);
	return p + 8;
}

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "dec8_lanes() puts the first digit in the lowest byte: little-endian only"
#endif

/*
 * Up to 20 digits, in chunks of eight.  Each chunk stores 8 bytes: a
 * number touches at most 20 bytes and at most 7 past its last digit.  A
 * checked buffer with less room left takes the exact path.
 */
/* @x < 100 from the pair table: two bytes stored, one or two kept. */
static inline char *put_dec2_trim(char *p, uint32_t x)
{
	memcpy(p, nfx_digits2 + 2 * x + (x < 10), 2);
	return p + 1 + (x >= 10);
}

WINLINE void put_u64(struct wbuf *w, uint64_t v)
{
	char *p = w->p;

	if (w->checked && (p > w->end || w->end - p < 20)) {
		put_u64_exact(w, v);
		return;
	}
	/* zeros, flags, packet counts, prefix lengths: most fields of many records */
	if (v < 100) {
		w->p = put_dec2_trim(p, (uint32_t)v);
		return;
	}
	if (v < 100000000) {
		w->p = put_dec8_trim(p, (uint32_t)v);
		return;
	}
	if (v >= 10000000000000000ull) {
		p = put_dec8_trim(p, (uint32_t)(v / 10000000000000000ull));
		v %= 10000000000000000ull;
		p = put_dec8_full(p, (uint32_t)(v / 100000000));
	} else if (v < 10000000000ull) {	/* times in seconds */
		p = put_dec2_trim(p, (uint32_t)(v / 100000000));
	} else {
		p = put_dec8_trim(p, (uint32_t)(v / 100000000));
	}
	w->p = put_dec8_full(p, (uint32_t)(v % 100000000));
}

/* A name block whole when there is room for 16 bytes, else its length exactly. */
WINLINE void put_name16(struct wbuf *w, const struct nfx_name16 *n)
{
	if (w->checked && (w->p > w->end || w->end - w->p < 16)) {
		put_mem(w, n->s, n->len);
		return;
	}
	memcpy(w->p, n->s, 16);
	w->p += n->len;
}

static inline char *put_octet_dot(char *p, uint8_t o)
{
	uint64_t e = nfx_octet_dot[o];

	memcpy(p, &e, 4);
	return p + (e >> 56);
}

/* Stores 4 bytes per octet: 16 at most for 15 of text. */
static inline char *put_v4_raw(char *p, const uint8_t *b)
{
	p = put_octet_dot(p, b[0]);
	p = put_octet_dot(p, b[1]);
	p = put_octet_dot(p, b[2]);
	return put_octet_dot(p, b[3]) - 1;	/* no dot after the last */
}

/* By hand, not inet_ntop() (that was a large share of the record cost), in place. */
WINLINE void put_ip(struct wbuf *w, const struct nfx_addr *a)
{
	/* put_v4_raw() stores 4 bytes per octet: 16 at most */
	if (!wbuf_room(w, nfx_addr_is_v4(a) ? 16 : NFX_ADDR_STRLEN + 4))
		return;
	if (nfx_addr_is_v4(a))
		w->p = put_v4_raw(w->p, a->b + 12);
	else
		w->p += nfx_v6_text(w->p, a->b);
}

WINLINE void put_mac(struct wbuf *w, const uint8_t m[6])
{
	static const char hex[] = "0123456789abcdef";
	static const uint8_t zero[6];
	char tmp[17];

	if (!memcmp(m, zero, 6)) {
		put_lit(w, "00:00:00:00:00:00");
		return;
	}
	for (int i = 0; i < 6; i++) {
		tmp[i * 3] = hex[m[i] >> 4];
		tmp[i * 3 + 1] = hex[m[i] & 15];
		if (i < 5)
			tmp[i * 3 + 2] = ':';
	}
	put_mem(w, tmp, sizeof(tmp));
}

/* "mask": the address with host bits cleared, as CIDR. */
WINLINE void put_mask(struct wbuf *w, const struct nfx_addr *a, uint8_t bits, int v4)
{
	unsigned int total = v4 ? 32 : 128;
	struct nfx_addr m;

	if (bits > total)
		bits = (uint8_t)total;
	m = nfx_addr_masked(a, 128 - total + bits);	/* IPv4 counts from bit 96 */
	put_ip(w, &m);
	put_lit(w, "/");
	put_u64(w, bits);
}


/* ,"tcp_flags":["FIN","SYN",...] in bit order; nothing when no flag is set */
WINLINE void put_tcp_flags(struct wbuf *w, uint8_t flags)
{
	int first = 1;

	if (!flags)
		return;
	put_lit(w, ",\"tcp_flags\":[");
	for (int i = 0; i < 8; i++) {
		if (!(flags & (1u << i)))
			continue;
		if (!first)
			put_lit(w, ",");
		put_lit(w, "\"");
		put_mem(w, nfx_tcp_flag_names[i], 3);	/* each is three letters */
		put_lit(w, "\"");
		first = 0;
	}
	put_lit(w, "]");
}

/* Exporter-supplied text: up to the first NUL, anything unprintable escaped. */
void put_text(struct wbuf *w, const uint8_t *p, unsigned int len);

/* ,"mpls_top_label":L,"mpls_labels":[L,...]: the labels (20 bits), top first */
static inline void put_mpls(struct wbuf *w, const struct nfx_flow *f)
{
	unsigned int n = f->mpls_depth < NFX_MPLS_MAX ? f->mpls_depth : NFX_MPLS_MAX;

	put_lit(w, ",\"mpls_top_label\":");
	put_u64(w, f->mpls[0] >> 4);
	put_lit(w, ",\"mpls_labels\":[");
	for (unsigned int i = 0; i < n; i++) {
		if (i)
			put_lit(w, ",");
		put_u64(w, f->mpls[i] >> 4);
	}
	put_lit(w, "]");
}

/*
 * ,"key":N for each NFX_FLOW_XFIELDS field the record carries: the NDJSON
 * key and the ClickHouse column are the same name.
 */
WINLINE void put_xfields(struct wbuf *w, const struct nfx_flow *f)
{
	static const struct {
		const char *text;
		size_t len;
	} keys[NFX_X_MAX] = {
#define NFX_XFIELD_KEY_(id, key, ch, ie, bits, type) { ",\"" key "\":", sizeof(",\"" key "\":") - 1 },
		NFX_FLOW_XFIELDS(NFX_XFIELD_KEY_)
#undef NFX_XFIELD_KEY_
	};

	for (uint32_t m = f->xpresent & ((1u << NFX_X_MAX) - 1); m; m &= m - 1) {
		unsigned int i = (unsigned int)__builtin_ctz(m);

		put_mem(w, keys[i].text, keys[i].len);
		put_u64(w, nfx_xfield_get(f, i));
	}
}

/* IANA protocol keyword, else the number (the ip_protocol value, unquoted) */
WINLINE void put_proto(struct wbuf *w, uint8_t proto)
{
	const struct nfx_name16 *name = &nfx_proto_names16[proto];

	if (name->len)
		put_name16(w, name);
	else
		put_u64(w, proto);
}

/*
 * A mapped field's value as JSON: a number (integer), else a string (text,
 * address, or hex for raw bytes and what does not fit its type).  With
 * @quote_numbers integers are strings too (a ClickHouse Array(String)).
 * Checked writes: the caller sized nothing for it.
 */
void put_mapped_value(struct wbuf *w, const struct nfx_fieldmap *m, const uint8_t *p,
		      unsigned int len, int quote_numbers);

#endif /* NFX_WBUF_H */
