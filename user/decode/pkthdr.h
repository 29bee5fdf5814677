/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * pkthdr.h - the first bytes of a sampled packet (sFlow's raw packet
 * header record) read into a flow record: MACs, VLAN, MPLS labels,
 * addresses, protocol, ToS, ports, TCP flags, ICMP type and code.
 *
 * The header is whatever the agent's snap length left of the packet, so
 * any field may be missing: each is taken only when all of its bytes are
 * there, and nothing is read past @len.  Only the outer headers are read
 * (a tunnel's inner packet and an ICMP error's quoted packet are not).
 */
#ifndef NFX_PKTHDR_H
#define NFX_PKTHDR_H

#include <stddef.h>
#include <stdint.h>

#include "base/flow.h"

/* Where the sampled header starts (sFlow header protocols 1, 11 and 12). */
enum nfx_pkthdr_link {
	NFX_PKTHDR_ETHER,		/* Ethernet, up to two VLAN tags, MPLS */
	NFX_PKTHDR_IPV4,		/* an IPv4 header, no layer 2 */
	NFX_PKTHDR_IPV6,		/* an IPv6 header, no layer 2 */
};

/* How far a parse got: each level's fields are (at least partly) in the record. */
enum nfx_pkthdr_depth {
	NFX_PKTHDR_NONE,		/* not even a whole link header */
	NFX_PKTHDR_L2,			/* MACs/VLAN; no IP header (not IP, or cut) */
	NFX_PKTHDR_L3,			/* IP fields; no transport header */
	NFX_PKTHDR_L4,			/* ports, TCP flags or ICMP type/code */
};

/* VLAN tags and MPLS labels read before giving up on a header. */
#define NFX_PKTHDR_MAX_TAGS	2
#define NFX_PKTHDR_MAX_LABELS	16
/* IPv6 extension headers walked before the transport header. */
#define NFX_PKTHDR_MAX_EXT	8

/**
 * nfx_pkthdr_parse() - read the sampled header @p of @len bytes into @f.
 * Sets the NFX_F_* bit of every field it fills, and f->ip_version; leaves
 * every other field of @f as it was.
 * @return how deep it got (enum nfx_pkthdr_depth).
 */
enum nfx_pkthdr_depth nfx_pkthdr_parse(const uint8_t *p, size_t len, enum nfx_pkthdr_link link,
				       struct nfx_flow *f);

#endif /* NFX_PKTHDR_H */
