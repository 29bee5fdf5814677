/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * frame.h - Ethernet (+ up to two VLAN tags) / IPv4 / IPv6 / UDP parsing of
 * a captured or AF_XDP frame, shared by the capture reader and the xsk
 * path, and the struct nfx_src both hand on with the datagram.
 */
#ifndef NFX_FRAME_H
#define NFX_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include "base/flow.h"

struct nfx_udp_view {
	struct nfx_addr src;
	struct nfx_addr dst;
	uint16_t sport;
	uint16_t dport;
	const uint8_t *payload;
	size_t len;			/* UDP payload length, within the frame */
};

/* Link types accepted by nfx_frame_parse(). */
enum nfx_link { NFX_LINK_ETHER = 0, NFX_LINK_RAW_IP, NFX_LINK_LINUX_SLL };

/**
 * nfx_frame_parse() - find the UDP payload of a frame.
 * @return 0, -EPROTO if it is not an unfragmented UDP datagram, -EMSGSIZE if
 *         a header or the UDP length runs past the frame.
 */
int nfx_frame_parse(enum nfx_link link, const uint8_t *frame, size_t len,
		    struct nfx_udp_view *out);

/*
 * The source of the datagram @v, received at @now_ms; @allow_checked when
 * the XDP program has already applied the allow-list to it.
 */
void nfx_src_from_view(struct nfx_src *src, const struct nfx_udp_view *v, uint64_t now_ms,
		       int allow_checked);

#endif /* NFX_FRAME_H */
