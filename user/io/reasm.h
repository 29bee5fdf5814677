/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * reasm.h - IPv4/IPv6 fragment reassembly for `nfxdp decode`.  Live
 * collection leaves this to the kernel (the XDP program passes fragments
 * to the stack and the UDP socket gets whole datagrams); a capture file
 * has only the fragments, so the offline decoder puts them together.
 * Bounded: a fixed number of datagrams in progress, each at most 64 KiB.
 */
#ifndef NFX_REASM_H
#define NFX_REASM_H

#include <stddef.h>
#include <stdint.h>

#include "io/frame.h"

struct nfx_reasm;

struct nfx_reasm_stats {
	uint64_t fragments;		/* fragments taken */
	uint64_t datagrams;		/* datagrams completed */
	uint64_t evicted;		/* incomplete datagrams pushed out or timed out */
	uint64_t invalid;		/* overlapping, oversized or malformed fragments */
};

/* Returns NULL with errno set. */
struct nfx_reasm *nfx_reasm_new(void);
void nfx_reasm_free(struct nfx_reasm *r);

/**
 * nfx_reasm_frame() - offer a frame that nfx_frame_parse() refused.
 * @return 1 when it completed a UDP datagram (@out then points into the
 *         reassembler's buffer, valid until the next call), 0 when it was
 *         a fragment kept for later or not a fragment at all, -EINVAL for a
 *         malformed fragment.
 */
int nfx_reasm_frame(struct nfx_reasm *r, enum nfx_link link, const uint8_t *frame,
		    size_t len, uint64_t now_ms, struct nfx_udp_view *out);

/**
 * nfx_reasm_rx() - hand the UDP datagram of a captured frame to @on_dgram:
 * the frame's own or, for a fragment, the datagram it completes.  The
 * source's time is @now_ms, the capture time.
 * @return 1 when @on_dgram was called, 0 when the frame is not UDP, a
 *         malformed fragment or one kept for later.
 */
int nfx_reasm_rx(struct nfx_reasm *r, enum nfx_link link, const uint8_t *frame, size_t len,
		 uint64_t now_ms, nfx_dgram_fn on_dgram, void *ctx);

const struct nfx_reasm_stats *nfx_reasm_stats(const struct nfx_reasm *r);

#endif /* NFX_REASM_H */
