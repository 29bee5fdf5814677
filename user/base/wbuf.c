// SPDX-License-Identifier: BSD-2-Clause
/* wbuf.c - the tables behind wbuf.h's number and address text. */
#include <stdint.h>
#include <string.h>

#include "base/wbuf.h"

/* "00" .. "99": two digits per division */
const char nfx_digits2[200] =
	"0001020304050607080910111213141516171819"
	"2021222324252627282930313233343536373839"
	"4041424344454647484950515253545556575859"
	"6061626364656667686970717273747576777879"
	"8081828384858687888990919293949596979899";

/* Room for @n bytes; else the overflow mark (checked by the caller) and 0. */
const uint64_t nfx_pow10[20] = {
	1ull, 10ull, 100ull, 1000ull, 10000ull, 100000ull, 1000000ull, 10000000ull,
	100000000ull, 1000000000ull, 10000000000ull, 100000000000ull, 1000000000000ull,
	10000000000000ull, 100000000000000ull, 1000000000000000ull, 10000000000000000ull,
	100000000000000000ull, 1000000000000000000ull, 10000000000000000000ull,
};

const char *const nfx_tcp_flag_names[8] = {
	"FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR",
};

uint64_t nfx_octet_dot[256];

__attribute__((constructor)) static void octet_init(void)
{
	for (int o = 0; o < 256; o++) {
		char txt[4] = { 0 }, *p = txt;
		uint32_t lo;

		if (o >= 100)
			*p++ = (char)('0' + o / 100);
		if (o >= 10)
			*p++ = (char)('0' + o / 10 % 10);
		*p++ = (char)('0' + o % 10);
		*p++ = '.';
		memcpy(&lo, txt, 4);
		nfx_octet_dot[o] = lo | (uint64_t)(p - txt) << 56;
	}
}

/*
 * IPv6 text as inet_ntop() writes it (RFC 5952 rules as glibc applies
 * them): the first longest run of two or more zero groups becomes "::",
 * groups in lower-case hex without leading zeros, and the IPv4-compatible
 * forms ::a.b.c.d / ::ffff:a.b.c.d keep a dotted quad at the end.
 */
size_t nfx_v6_text(char *out, const uint8_t *b)
{
	static const char hex[] = "0123456789abcdef";
	unsigned int g[8];
	int best = -1, best_len = 0, cur = -1, cur_len = 0;
	char *p = out;

	for (int i = 0; i < 8; i++) {
		g[i] = (unsigned int)b[2 * i] << 8 | b[2 * i + 1];
		if (!g[i]) {
			if (cur < 0)
				cur = i, cur_len = 0;
			cur_len++;
			if (cur_len > best_len)
				best = cur, best_len = cur_len;
		} else {
			cur = -1;
		}
	}
	if (best_len < 2)
		best = -1;
	for (int i = 0; i < 8; i++) {
		if (best >= 0 && i >= best && i < best + best_len) {
			if (i == best)
				*p++ = ':';
			continue;
		}
		if (i)
			*p++ = ':';
		if (i == 6 && best == 0 && (best_len == 6 || (best_len == 5 && g[5] == 0xffff)))
			return (size_t)(put_v4_raw(p, b + 12) - out);
		if (g[i] >= 0x1000)
			*p++ = hex[g[i] >> 12];
		if (g[i] >= 0x100)
			*p++ = hex[g[i] >> 8 & 15];
		if (g[i] >= 0x10)
			*p++ = hex[g[i] >> 4 & 15];
		*p++ = hex[g[i] & 15];
	}
	if (best >= 0 && best + best_len == 8)
		*p++ = ':';
	return (size_t)(p - out);
}

/* ---- mapped (additional) field values ---- */

static void put_hex(struct wbuf *w, const uint8_t *p, unsigned int len)
{
	static const char hex[] = "0123456789abcdef";
	char tmp[2 * NFX_EXTRA_BYTES];

	for (unsigned int i = 0; i < len; i++) {
		tmp[2 * i] = hex[p[i] >> 4];
		tmp[2 * i + 1] = hex[p[i] & 15];
	}
	put_mem(w, tmp, 2 * (size_t)len);
}

void put_text(struct wbuf *w, const uint8_t *p, unsigned int len)
{
	for (unsigned int i = 0; i < len && p[i]; i++) {
		char c = (char)p[i];

		if (p[i] < 0x20 || p[i] >= 0x7f) {
			put_lit(w, "\\u00");
			put_hex(w, p + i, 1);
		} else if (c == '"' || c == '\\') {
			put_lit(w, "\\");
			put_mem(w, &c, 1);
		} else {
			put_mem(w, &c, 1);
		}
	}
}

void put_mapped_value(struct wbuf *w, const struct nfx_fieldmap *m, const uint8_t *p,
		      unsigned int len, int quote_numbers)
{
	struct nfx_addr a;
	uint64_t v = 0;

	switch (m->type) {
	case NFX_MAP_INTEGER:
		if (len >= 1 && len <= 8) {
			for (unsigned int i = 0; i < len; i++)
				v = v << 8 | p[m->little_endian ? len - 1 - i : i];
			if (quote_numbers)
				put_lit(w, "\"");
			put_u64(w, v);
			if (quote_numbers)
				put_lit(w, "\"");
			return;
		}
		break;
	case NFX_MAP_STRING:
		put_lit(w, "\"");
		put_text(w, p, len);
		put_lit(w, "\"");
		return;
	case NFX_MAP_IP:
		if (len == 4 || len == 16) {
			if (len == 4)
				nfx_addr_set_v4(&a, p);
			else
				nfx_addr_set_v6(&a, p);
			put_lit(w, "\"");
			put_ip(w, &a);
			put_lit(w, "\"");
			return;
		}
		break;
	}
	/* hex, and what does not fit the type it was mapped as */
	put_lit(w, "\"");
	put_hex(w, p, len);
	put_lit(w, "\"");
}
