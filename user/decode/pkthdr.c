// SPDX-License-Identifier: BSD-2-Clause
/*
 * pkthdr.c - a sampled packet's headers read into a flow record
 * (pkthdr.h).  Each layer gets its offset from the one before (IPv4 IHL,
 * IPv6 extension header lengths, tags, labels), never an assumed size, and
 * each length is checked before the read: what the snap length cut is
 * left out, what is there is kept.
 */
#include <string.h>

#include "base/wire.h"
#include "decode/pkthdr.h"

#define ETH_HLEN	14
#define ETH_P_IPV4	0x0800
#define ETH_P_IPV6	0x86dd
#define ETH_P_8021Q	0x8100
#define ETH_P_8021AD	0x88a8
#define ETH_P_QINQ_OLD	0x9100		/* pre-802.1ad QinQ, still seen */
#define ETH_P_MPLS_UC	0x8847
#define ETH_P_MPLS_MC	0x8848
#define IPV4_HLEN	20
#define IPV6_HLEN	40

static int is_vlan_tpid(uint16_t et)
{
	return et == ETH_P_8021Q || et == ETH_P_8021AD || et == ETH_P_QINQ_OLD;
}

/* The transport header (first fragments only): ports, TCP flags, ICMP type/code. */
static enum nfx_pkthdr_depth l4(const uint8_t *p, size_t len, uint8_t proto, struct nfx_flow *f)
{
	switch (proto) {
	case 6:		/* TCP: flags are byte 13 */
		if (len >= 14)
			f->tcp_flags = p[13];
		/* fall through */
	case 17:	/* UDP */
		if (len < 4)
			return NFX_PKTHDR_L3;
		f->src_port = nfx_get16(p);
		f->dst_port = nfx_get16(p + 2);
		f->present |= NFX_F_SRC_PORT | NFX_F_DST_PORT;
		return NFX_PKTHDR_L4;
	case 1:		/* ICMP */
	case 58:	/* ICMPv6 */
		if (len < 2)
			return NFX_PKTHDR_L3;
		f->icmp_type = p[0];
		f->icmp_code = p[1];
		f->present |= NFX_F_ICMP;
		return NFX_PKTHDR_L4;
	default:
		return NFX_PKTHDR_L3;
	}
}

/* An IPv4 header shorter than 20 bytes: the fields that are whole. */
static enum nfx_pkthdr_depth ipv4_cut(const uint8_t *p, size_t len, struct nfx_flow *f)
{
	if (len >= 2) {
		f->tos = p[1];
		f->present |= NFX_F_TOS;
	}
	if (len >= 10) {
		f->proto = p[9];
		f->present |= NFX_F_PROTO;
	}
	if (len >= 16) {
		nfx_addr_set_v4(&f->src, p + 12);
		f->present |= NFX_F_SRC_ADDR;
	}
	return NFX_PKTHDR_L3;
}

static enum nfx_pkthdr_depth ipv4(const uint8_t *p, size_t len, struct nfx_flow *f)
{
	size_t ihl;

	if (len < 1 || p[0] >> 4 != 4)
		return NFX_PKTHDR_L2;
	f->ip_version = 4;
	if (len < IPV4_HLEN)
		return ipv4_cut(p, len, f);
	f->tos = p[1];
	f->proto = p[9];
	nfx_addr_set_v4(&f->src, p + 12);
	nfx_addr_set_v4(&f->dst, p + 16);
	f->present |= NFX_F_TOS | NFX_F_PROTO | NFX_F_SRC_ADDR | NFX_F_DST_ADDR;
	/* options (IHL > 5) move the transport header; a non-first fragment has none */
	ihl = (size_t)(p[0] & 15) * 4;
	if (ihl < IPV4_HLEN || ihl > len || (nfx_get16(p + 6) & 0x1fff))
		return NFX_PKTHDR_L3;
	return l4(p + ihl, len - ihl, p[9], f);
}

/*
 * The extension headers after the fixed IPv6 header, then the transport
 * header; @nh is the fixed header's next header.  The record's protocol is
 * the last next header read: the upper layer when the chain was whole.
 */
static enum nfx_pkthdr_depth ipv6_chain(const uint8_t *p, size_t len, uint8_t nh,
					struct nfx_flow *f)
{
	size_t off = 0, hlen;

	for (int i = 0; i < NFX_PKTHDR_MAX_EXT; i++) {
		switch (nh) {
		case 0:		/* hop-by-hop options */
		case 43:	/* routing */
		case 60:	/* destination options */
		case 135:	/* mobility */
		case 139:	/* HIP */
		case 140:	/* shim6 */
			if (len - off < 2)
				goto cut;
			hlen = ((size_t)p[off + 1] + 1) * 8;
			break;
		case 51:	/* AH: length in 4-byte words, less 2 */
			if (len - off < 2)
				goto cut;
			hlen = ((size_t)p[off + 1] + 2) * 4;
			break;
		case 44:	/* fragment: a non-first one has no transport header */
			if (len - off < 8)
				goto cut;
			if (nfx_get16(p + off + 2) & 0xfff8) {
				f->proto = p[off];
				return NFX_PKTHDR_L3;
			}
			hlen = 8;
			break;
		default:
			f->proto = nh;
			return l4(p + off, len - off, nh, f);
		}
		nh = p[off];
		if (hlen > len - off)
			goto cut;
		off += hlen;
	}
cut:
	f->proto = nh;
	return NFX_PKTHDR_L3;
}

/* An IPv6 header shorter than 40 bytes: the fields that are whole. */
static enum nfx_pkthdr_depth ipv6_cut(const uint8_t *p, size_t len, struct nfx_flow *f)
{
	if (len >= 2) {
		f->tos = (uint8_t)(nfx_get16(p) >> 4);
		f->present |= NFX_F_TOS;
	}
	if (len >= 7) {
		f->proto = p[6];
		f->present |= NFX_F_PROTO;
	}
	if (len >= 24) {
		nfx_addr_set_v6(&f->src, p + 8);
		f->present |= NFX_F_SRC_ADDR;
	}
	return NFX_PKTHDR_L3;
}

static enum nfx_pkthdr_depth ipv6(const uint8_t *p, size_t len, struct nfx_flow *f)
{
	if (len < 1 || p[0] >> 4 != 6)
		return NFX_PKTHDR_L2;
	f->ip_version = 6;
	if (len < IPV6_HLEN)
		return ipv6_cut(p, len, f);
	f->tos = (uint8_t)(nfx_get16(p) >> 4);	/* traffic class */
	nfx_addr_set_v6(&f->src, p + 8);
	nfx_addr_set_v6(&f->dst, p + 24);
	f->present |= NFX_F_TOS | NFX_F_PROTO | NFX_F_SRC_ADDR | NFX_F_DST_ADDR;
	return ipv6_chain(p + IPV6_HLEN, len - IPV6_HLEN, p[6], f);
}

/* The MACs of a frame cut inside its Ethernet header. */
static enum nfx_pkthdr_depth ether_cut(const uint8_t *p, size_t len, struct nfx_flow *f)
{
	if (len >= 6) {
		memcpy(f->dst_mac, p, 6);
		f->present |= NFX_F_DST_MAC;
	}
	if (len >= 12) {
		memcpy(f->src_mac, p + 6, 6);
		f->present |= NFX_F_SRC_MAC;
	}
	return NFX_PKTHDR_NONE;
}

/*
 * The label stack from @*off on, its first NFX_MPLS_MAX entries kept in @f;
 * the ethertype its bottom label's payload looks like, or 0.
 */
static uint16_t mpls_skip(const uint8_t *p, size_t len, size_t *off, struct nfx_flow *f)
{
	for (int i = 0; i < NFX_PKTHDR_MAX_LABELS; i++) {
		int bottom;

		if (len - *off < 4)
			return 0;
		nfx_flow_set_mpls(f, (unsigned int)i, (uint32_t)p[*off] << 16 |
				  (uint32_t)p[*off + 1] << 8 | p[*off + 2]);
		bottom = p[*off + 2] & 1;
		*off += 4;
		if (!bottom)
			continue;
		/* no ethertype after a label: the IP version nibble tells */
		if (len - *off < 1)
			return 0;
		switch (p[*off] >> 4) {
		case 4: return ETH_P_IPV4;
		case 6: return ETH_P_IPV6;
		default: return 0;
		}
	}
	return 0;
}

static enum nfx_pkthdr_depth ether(const uint8_t *p, size_t len, struct nfx_flow *f)
{
	size_t off = ETH_HLEN;
	uint16_t et;

	if (len < ETH_HLEN)
		return ether_cut(p, len, f);
	memcpy(f->dst_mac, p, 6);
	memcpy(f->src_mac, p + 6, 6);
	f->present |= NFX_F_SRC_MAC | NFX_F_DST_MAC;
	et = nfx_get16(p + 12);
	for (int i = 0; i < NFX_PKTHDR_MAX_TAGS && is_vlan_tpid(et); i++) {
		uint16_t vid;

		if (len - off < 4)
			return NFX_PKTHDR_L2;
		/* the TCI's low 12 bits; 0 is a priority tag, no VLAN; the outer one counts */
		vid = nfx_get16(p + off) & 0x0fff;
		if (vid && !(f->present & NFX_F_VLAN)) {
			f->vlan = vid;
			f->present |= NFX_F_VLAN;
		}
		et = nfx_get16(p + off + 2);
		off += 4;
	}
	if (et == ETH_P_MPLS_UC || et == ETH_P_MPLS_MC)
		et = mpls_skip(p, len, &off, f);
	switch (et) {
	case ETH_P_IPV4: return ipv4(p + off, len - off, f);
	case ETH_P_IPV6: return ipv6(p + off, len - off, f);
	default: return NFX_PKTHDR_L2;
	}
}

enum nfx_pkthdr_depth nfx_pkthdr_parse(const uint8_t *p, size_t len, enum nfx_pkthdr_link link,
				       struct nfx_flow *f)
{
	enum nfx_pkthdr_depth d;

	switch (link) {
	case NFX_PKTHDR_ETHER:
		return ether(p, len, f);
	case NFX_PKTHDR_IPV4:
		d = ipv4(p, len, f);
		break;
	case NFX_PKTHDR_IPV6:
		d = ipv6(p, len, f);
		break;
	default:
		return NFX_PKTHDR_NONE;
	}
	/* without layer 2, "no IP header" is no header at all */
	return d == NFX_PKTHDR_L2 ? NFX_PKTHDR_NONE : d;
}
