// SPDX-License-Identifier: BSD-2-Clause
/*
 * frame.c - locate the UDP payload of a link-layer frame.  The XDP program
 * already validated frames that come through AF_XDP, but a capture file is
 * arbitrary input, so every header is bounds-checked here as well.
 */
#include <errno.h>

#include "base/wire.h"
#include "io/frame.h"

#define ETH_HLEN	14
#define ETHERTYPE_IP	0x0800
#define ETHERTYPE_IPV6	0x86dd
#define ETHERTYPE_VLAN	0x8100
#define ETHERTYPE_QINQ	0x88a8
#define IPPROTO_UDP_	17
#define UDP_HLEN	8

static int parse_udp(const uint8_t *p, size_t len, struct nfx_udp_view *out)
{
	uint16_t ulen;

	if (len < UDP_HLEN)
		return -EMSGSIZE;
	ulen = nfx_get16(p + 4);
	if (ulen < UDP_HLEN || ulen > len)
		return -EMSGSIZE;
	out->sport = nfx_get16(p);
	out->dport = nfx_get16(p + 2);
	out->payload = p + UDP_HLEN;
	out->len = ulen - UDP_HLEN;
	return 0;
}

static int parse_ipv4(const uint8_t *p, size_t len, struct nfx_udp_view *out)
{
	size_t ihl, tot;

	if (len < 20 || (p[0] >> 4) != 4)
		return -EMSGSIZE;
	ihl = (size_t)(p[0] & 0x0f) * 4;
	tot = nfx_get16(p + 2);
	if (ihl < 20 || tot < ihl || tot > len)
		return -EMSGSIZE;
	/* fragments: MF set or non-zero offset; reassembly is the stack's job */
	if (nfx_get16(p + 6) & 0x3fff)
		return -EPROTO;
	if (p[9] != IPPROTO_UDP_)
		return -EPROTO;
	nfx_addr_set_v4(&out->src, p + 12);
	nfx_addr_set_v4(&out->dst, p + 16);
	return parse_udp(p + ihl, tot - ihl, out);
}

static int parse_ipv6(const uint8_t *p, size_t len, struct nfx_udp_view *out)
{
	size_t plen;

	if (len < 40 || (p[0] >> 4) != 6)
		return -EMSGSIZE;
	plen = nfx_get16(p + 4);
	if (40 + plen > len)
		return -EMSGSIZE;
	/* extension headers (fragments included) are left to the stack */
	if (p[6] != IPPROTO_UDP_)
		return -EPROTO;
	nfx_addr_set_v6(&out->src, p + 8);
	nfx_addr_set_v6(&out->dst, p + 24);
	return parse_udp(p + 40, plen, out);
}

static int parse_ip(uint16_t ethertype, const uint8_t *p, size_t len,
		    struct nfx_udp_view *out)
{
	if (ethertype == ETHERTYPE_IP)
		return parse_ipv4(p, len, out);
	if (ethertype == ETHERTYPE_IPV6)
		return parse_ipv6(p, len, out);
	return -EPROTO;
}

int nfx_frame_parse(enum nfx_link link, const uint8_t *frame, size_t len,
		    struct nfx_udp_view *out)
{
	size_t off;
	uint16_t type;
	int tags;

	switch (link) {
	case NFX_LINK_RAW_IP:
		if (len < 1)
			return -EMSGSIZE;
		return parse_ip((frame[0] >> 4) == 6 ? ETHERTYPE_IPV6 : ETHERTYPE_IP,
				frame, len, out);
	case NFX_LINK_LINUX_SLL:
		if (len < 16)
			return -EMSGSIZE;
		return parse_ip(nfx_get16(frame + 14), frame + 16, len - 16, out);
	case NFX_LINK_ETHER:
		break;
	default:
		return -EPROTO;
	}
	if (len < ETH_HLEN)
		return -EMSGSIZE;
	type = nfx_get16(frame + 12);
	off = ETH_HLEN;
	for (tags = 0; tags < 2 && (type == ETHERTYPE_VLAN || type == ETHERTYPE_QINQ); tags++) {
		if (len < off + 4)
			return -EMSGSIZE;
		type = nfx_get16(frame + off + 2);
		off += 4;
	}
	return parse_ip(type, frame + off, len - off, out);
}

void nfx_src_from_view(struct nfx_src *src, const struct nfx_udp_view *v, uint64_t now_ms,
		       int allow_checked)
{
	src->addr = v->src;
	src->port = v->sport;
	src->dst_port = v->dport;
	src->allow_checked = (uint8_t)allow_checked;
	src->now_ms = now_ms;
}
