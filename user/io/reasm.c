// SPDX-License-Identifier: BSD-2-Clause
/*
 * reasm.c - fragment reassembly.  Each datagram in progress keeps a bitmap
 * of the 8-byte blocks it has, so overlapping or repeated fragments are
 * recognised (and refused: RFC 5722 for IPv6, and the usual practice for
 * IPv4) instead of silently mixing two versions of the same bytes.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/wire.h"
#include "io/reasm.h"

#define REASM_SLOTS	16
#define REASM_MAX	65535u
#define REASM_TIMEOUT_MS 30000u
#define ETH_HLEN	14

struct frag_key {
	struct nfx_addr src;
	struct nfx_addr dst;
	uint32_t id;
	uint8_t v6;
};

struct reasm_slot {
	struct frag_key key;
	uint64_t first_ms;
	uint32_t total;			/* payload length, known from the last fragment */
	uint32_t have;			/* payload bytes received */
	uint8_t used;
	uint8_t bits[REASM_MAX / 8 / 8 + 1];	/* one bit per 8-byte block */
	uint8_t data[REASM_MAX];
};

struct nfx_reasm {
	struct reasm_slot slots[REASM_SLOTS];
	struct nfx_reasm_stats st;
};

/* One fragment as found in a frame. */
struct frag {
	struct frag_key key;
	uint32_t off;
	int more;
	const uint8_t *payload;
	size_t len;
};

struct nfx_reasm *nfx_reasm_new(void)
{
	return calloc(1, sizeof(struct nfx_reasm));
}

void nfx_reasm_free(struct nfx_reasm *r)
{
	free(r);
}

const struct nfx_reasm_stats *nfx_reasm_stats(const struct nfx_reasm *r)
{
	return &r->st;
}

static int ipv4_frag(const uint8_t *p, size_t len, struct frag *f)
{
	size_t ihl, tot;
	uint16_t fo;

	if (len < 20 || (p[0] >> 4) != 4)
		return -EINVAL;
	ihl = (size_t)(p[0] & 15) * 4;
	tot = nfx_get16(p + 2);
	fo = nfx_get16(p + 6);
	if (ihl < 20 || tot < ihl || tot > len || !(fo & 0x3fff) || p[9] != 17)
		return -EINVAL;
	nfx_addr_set_v4(&f->key.src, p + 12);
	nfx_addr_set_v4(&f->key.dst, p + 16);
	f->key.id = nfx_get16(p + 4);
	f->key.v6 = 0;
	f->off = (uint32_t)(fo & 0x1fff) * 8;
	f->more = !!(fo & 0x2000);
	f->payload = p + ihl;
	f->len = tot - ihl;
	return 0;
}

static int ipv6_frag(const uint8_t *p, size_t len, struct frag *f)
{
	size_t plen;
	uint16_t fo;

	/* only a fragment header right after the fixed header, carrying UDP */
	if (len < 48 || (p[0] >> 4) != 6 || p[6] != 44)
		return -EINVAL;
	plen = nfx_get16(p + 4);
	if (plen < 8 || 40 + plen > len || p[40] != 17)
		return -EINVAL;
	fo = nfx_get16(p + 42);
	nfx_addr_set_v6(&f->key.src, p + 8);
	nfx_addr_set_v6(&f->key.dst, p + 24);
	f->key.id = nfx_get32(p + 44);
	f->key.v6 = 1;
	f->off = fo & 0xfff8u;
	f->more = fo & 1;
	f->payload = p + 48;
	f->len = plen - 8;
	return 0;
}

static int frame_frag(enum nfx_link link, const uint8_t *fr, size_t len, struct frag *f)
{
	size_t off = 0;
	uint16_t type;

	if (link == NFX_LINK_RAW_IP) {
		type = len && (fr[0] >> 4) == 6 ? 0x86dd : 0x0800;
	} else if (link == NFX_LINK_LINUX_SLL) {
		if (len < 16)
			return -EINVAL;
		type = nfx_get16(fr + 14);
		off = 16;
	} else {
		if (len < ETH_HLEN)
			return -EINVAL;
		type = nfx_get16(fr + 12);
		off = ETH_HLEN;
		for (int t = 0; t < 2 && (type == 0x8100 || type == 0x88a8); t++) {
			if (len < off + 4)
				return -EINVAL;
			type = nfx_get16(fr + off + 2);
			off += 4;
		}
	}
	if (type == 0x0800)
		return ipv4_frag(fr + off, len - off, f);
	if (type == 0x86dd)
		return ipv6_frag(fr + off, len - off, f);
	return -EINVAL;
}

static struct reasm_slot *slot_for(struct nfx_reasm *r, const struct frag_key *k,
				   uint64_t now)
{
	struct reasm_slot *oldest = &r->slots[0];

	for (int i = 0; i < REASM_SLOTS; i++) {
		struct reasm_slot *s = &r->slots[i];

		if (s->used && now - s->first_ms > REASM_TIMEOUT_MS) {
			s->used = 0;
			r->st.evicted++;
		}
		if (s->used && !memcmp(&s->key, k, sizeof(*k)))
			return s;
	}
	for (int i = 0; i < REASM_SLOTS; i++) {
		if (!r->slots[i].used) {
			oldest = &r->slots[i];
			break;
		}
		if (r->slots[i].first_ms < oldest->first_ms)
			oldest = &r->slots[i];
	}
	if (oldest->used)
		r->st.evicted++;
	memset(oldest->bits, 0, sizeof(oldest->bits));
	oldest->key = *k;
	oldest->first_ms = now;
	oldest->total = 0;
	oldest->have = 0;
	oldest->used = 1;
	return oldest;
}

/* Mark the blocks of [off, off+len); -EINVAL if any was there already. */
static int mark_blocks(struct reasm_slot *s, uint32_t off, size_t len)
{
	uint32_t first = off / 8, last = (uint32_t)((off + len + 7) / 8);

	for (uint32_t b = first; b < last; b++)
		if (s->bits[b / 8] & (1u << (b % 8)))
			return -EINVAL;
	for (uint32_t b = first; b < last; b++)
		s->bits[b / 8] |= (uint8_t)(1u << (b % 8));
	return 0;
}

static int finish(struct nfx_reasm *r, struct reasm_slot *s, struct nfx_udp_view *out)
{
	uint16_t ulen;

	s->used = 0;
	r->st.datagrams++;
	if (s->total < 8)
		return -EINVAL;
	ulen = nfx_get16(s->data + 4);
	if (ulen < 8 || ulen > s->total)
		return -EINVAL;
	out->src = s->key.src;
	out->dst = s->key.dst;
	out->sport = nfx_get16(s->data);
	out->dport = nfx_get16(s->data + 2);
	out->payload = s->data + 8;
	out->len = ulen - 8u;
	return 1;
}

int nfx_reasm_frame(struct nfx_reasm *r, enum nfx_link link, const uint8_t *frame,
		    size_t len, uint64_t now_ms, struct nfx_udp_view *out)
{
	struct reasm_slot *s;
	struct frag f;

	memset(&f, 0, sizeof(f));
	if (frame_frag(link, frame, len, &f))
		return 0;
	r->st.fragments++;
	/* every fragment but the last carries a multiple of 8 bytes */
	if ((f.more && (f.len % 8 || !f.len)) || f.off + f.len > REASM_MAX) {
		r->st.invalid++;
		return -EINVAL;
	}
	s = slot_for(r, &f.key, now_ms);
	if ((!f.more && s->total) || (s->total && f.off + f.len > s->total) ||
	    mark_blocks(s, f.off, f.len)) {
		s->used = 0;
		r->st.invalid++;
		return -EINVAL;
	}
	memcpy(s->data + f.off, f.payload, f.len);
	s->have += (uint32_t)f.len;
	if (!f.more)
		s->total = f.off + (uint32_t)f.len;
	if (s->total && s->have == s->total)
		return finish(r, s, out);
	return 0;
}

int nfx_reasm_rx(struct nfx_reasm *r, enum nfx_link link, const uint8_t *frame, size_t len,
		 uint64_t now_ms, nfx_dgram_fn on_dgram, void *ctx)
{
	struct nfx_udp_view v;
	struct nfx_src src;

	if (nfx_frame_parse(link, frame, len, &v) &&
	    nfx_reasm_frame(r, link, frame, len, now_ms, &v) != 1)
		return 0;
	/* a capture: nothing has checked the allow-list */
	nfx_src_from_view(&src, &v, now_ms, 0);
	on_dgram(ctx, &src, v.payload, v.len);
	return 1;
}
