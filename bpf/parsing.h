/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * parsing.h - header-cursor parser for the XDP program: Ethernet with up
 * to two VLAN tags, IPv4, the IPv6 fixed header (plus a fragment header)
 * and UDP.  BPF only; include after vmlinux.h.
 *
 * Every parse_*() checks its header against the end of the linear frame
 * before touching it, advances the cursor past it and returns a negative
 * value if the header is missing or not one we handle, so the caller can
 * hand such a frame to the stack untouched.
 */
#ifndef NFX_BPF_PARSING_H
#define NFX_BPF_PARSING_H

/* vmlinux.h carries no UAPI macros, so define the few we need. */
#ifndef ETH_P_IP
#define ETH_P_IP	0x0800
#endif
#ifndef ETH_P_IPV6
#define ETH_P_IPV6	0x86DD
#endif
#ifndef ETH_P_8021Q
#define ETH_P_8021Q	0x8100
#endif
#ifndef ETH_P_8021AD
#define ETH_P_8021AD	0x88A8
#endif
#ifndef IPPROTO_FRAGMENT
#define IPPROTO_FRAGMENT 44
#endif

#define NFX_IP_MF	0x2000	/* IPv4 "more fragments" */
#define NFX_IP_OFFSET	0x1FFF	/* IPv4 fragment offset, 8-byte units */
#define NFX_IP6_OFFSET	0xFFF8	/* IPv6 fragment offset, already x8 */

/* How many 802.1Q/802.1ad tags we look through (QinQ). */
#define NFX_VLAN_MAX	2

struct hdr_cursor {
	void *pos;
	void *end;
};

/* What the UDP handling needs to know about the network layer. */
struct l3_info {
	__u32 len;		/* bytes after the L3 header(s), per the IP header */
	__u8 proto;		/* next protocol after the L3 header(s) */
	__u8 first_frag;	/* first fragment of a fragmented datagram */
	__u8 is_v6;
	__u8 pad;
	__u8 src[16];		/* source; IPv4 as ::ffff:a.b.c.d */
};

/* Returns the ethertype in host order after skipping VLAN tags, or -1. */
static __always_inline int parse_eth(struct hdr_cursor *c)
{
	struct ethhdr *eth = c->pos;
	struct vlan_hdr *vh;
	__u16 proto;
	int i;

	if ((void *)(eth + 1) > c->end)
		return -1;
	c->pos = eth + 1;
	proto = bpf_ntohs(eth->h_proto);

#pragma unroll
	for (i = 0; i < NFX_VLAN_MAX; i++) {
		if (proto != ETH_P_8021Q && proto != ETH_P_8021AD)
			break;
		vh = c->pos;
		if ((void *)(vh + 1) > c->end)
			return -1;
		c->pos = vh + 1;
		proto = bpf_ntohs(vh->h_vlan_encapsulated_proto);
	}
	return proto;
}

/*
 * Returns 0 with l3 filled in, 1 for a non-first fragment (the transport
 * header is not in this frame), -1 for anything malformed.
 */
static __always_inline int parse_ipv4(struct hdr_cursor *c, struct l3_info *l3)
{
	struct iphdr *iph = c->pos;
	__u32 hlen, tot;
	__u16 frag;

	if ((void *)(iph + 1) > c->end)
		return -1;
	if (iph->version != 4 || iph->ihl < 5)
		return -1;
	hlen = iph->ihl * 4;
	tot = bpf_ntohs(iph->tot_len);
	if (tot < hlen)
		return -1;
	/* Options are skipped, not parsed; bound the variable offset. */
	if (c->pos + hlen > c->end)
		return -1;

	frag = bpf_ntohs(iph->frag_off);
	if (frag & NFX_IP_OFFSET)
		return 1;

	l3->len = tot - hlen;
	l3->proto = iph->protocol;
	l3->first_frag = !!(frag & NFX_IP_MF);
	l3->is_v6 = 0;
	__builtin_memset(l3->src, 0, 10);
	l3->src[10] = 0xff;
	l3->src[11] = 0xff;
	__builtin_memcpy(&l3->src[12], &iph->saddr, 4);
	c->pos += hlen;
	return 0;
}

/*
 * Only the fixed header and a directly following fragment header are
 * understood; any other extension header leaves proto != UDP and the frame
 * goes to the stack.  Same return values as parse_ipv4().
 */
static __always_inline int parse_ipv6(struct hdr_cursor *c, struct l3_info *l3)
{
	struct ipv6hdr *ip6h = c->pos;
	struct frag_hdr *fh;

	if ((void *)(ip6h + 1) > c->end)
		return -1;
	if (ip6h->version != 6)
		return -1;
	c->pos = ip6h + 1;

	l3->len = bpf_ntohs(ip6h->payload_len);
	l3->proto = ip6h->nexthdr;
	l3->first_frag = 0;
	l3->is_v6 = 1;
	__builtin_memcpy(l3->src, &ip6h->saddr, 16);

	if (l3->proto != IPPROTO_FRAGMENT)
		return 0;

	fh = c->pos;
	if ((void *)(fh + 1) > c->end)
		return -1;
	if (bpf_ntohs(fh->frag_off) & NFX_IP6_OFFSET)
		return 1;
	if (l3->len < sizeof(*fh))
		return -1;
	c->pos = fh + 1;
	l3->len -= sizeof(*fh);
	l3->proto = fh->nexthdr;
	/*
	 * An atomic fragment (offset 0, M clear) is a whole datagram, but the
	 * stack still has to strip the header, so treat it like a fragment.
	 */
	l3->first_frag = 1;
	return 0;
}

static __always_inline struct udphdr *parse_udp(struct hdr_cursor *c)
{
	struct udphdr *uh = c->pos;

	if ((void *)(uh + 1) > c->end)
		return NULL;
	c->pos = uh + 1;
	return uh;
}

#endif /* NFX_BPF_PARSING_H */
