/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * xsk.h - AF_XDP receive: one socket with its own UMEM per RX queue of the
 * interface, registered in the XDP program's XSKMAP.  Each frame's
 * datagram is handed to a callback in place, and the frame always given
 * back to the fill ring.
 */
#ifndef NFX_XSK_H
#define NFX_XSK_H

#include <stdint.h>

#include "base/flow.h"

struct nfx_xsk;

struct nfx_xsk_opts {
	uint32_t frames;	/* UMEM frames, power of two; 0 = 4096 */
	uint32_t frame_size;	/* 2048 or 4096; 0 = 2048 */
	int force_copy;		/* skip the zero-copy attempt */
	uint32_t busy_wait_ms;	/* a queue still bound (EBUSY): try again this long */
	uint32_t busy_poll_usecs;	/* SO_BUSY_POLL + SO_PREFER_BUSY_POLL; 0 = off */
	uint32_t busy_poll_budget;	/* SO_BUSY_POLL_BUDGET; 0 = the kernel's (8) */
};

/* Our counters plus the kernel's XDP_STATISTICS for the socket. */
struct nfx_xsk_stats {
	uint64_t rx_frames;		/* descriptors read from the RX ring */
	uint64_t rx_not_udp;		/* frame not an unfragmented UDP datagram */
	uint64_t rx_dropped;		/* XDP_STATISTICS */
	uint64_t rx_invalid_descs;
	uint64_t rx_ring_full;
	uint64_t rx_fill_ring_empty_descs;
	/* busy polling as the kernel holds it for the socket, 0 = off (or unreadable) */
	uint32_t busy_poll_usecs;	/* SO_BUSY_POLL */
	uint32_t prefer_busy_poll;	/* SO_PREFER_BUSY_POLL */
};

/* Number of RX queues of @ifname (ethtool channels, else sysfs); >= 1 or -errno. */
int nfx_xsk_queue_count(const char *ifname);

/*
 * Socket on @queue of @ifname, put in @xsks_map_fd unless it is -1 (then
 * nfx_xsk_map() puts it there once its reader is ready).  NULL with errno set.
 */
struct nfx_xsk *nfx_xsk_new(const char *ifname, uint32_t queue, int xsks_map_fd,
			    const struct nfx_xsk_opts *opts);
void nfx_xsk_free(struct nfx_xsk *x);
/* nfx_xsk_map() - the program redirects @x's queue to @x from now on.  0 or -errno. */
int nfx_xsk_map(struct nfx_xsk *x, int xsks_map_fd);
/*
 * nfx_xsk_unmap() - take @x out of the XSKMAP (a hand-over: the program
 * stops redirecting to it, what is in its ring stays to be read).  0 or -errno.
 */
int nfx_xsk_unmap(struct nfx_xsk *x, int xsks_map_fd);

int nfx_xsk_fd(const struct nfx_xsk *x);

/*
 * nfx_xsk_busy_poll() - run the queue's NAPI now, in this thread (a socket
 * opened with busy_poll_usecs): the XDP program and the copy into the ring
 * happen here instead of in a softirq.  No-op on a socket without.
 */
void nfx_xsk_busy_poll(struct nfx_xsk *x);
/* "zerocopy" or "copy". */
const char *nfx_xsk_mode(const struct nfx_xsk *x);

/**
 * nfx_xsk_rx() - hand each UDP datagram waiting in the RX ring, at most
 * @budget frames, to @on_dgram(@ctx, ...), and recycle every frame to the
 * fill ring.  The payload is valid only during the call.
 * @return frames read (0 when the ring was empty).
 */
int nfx_xsk_rx(struct nfx_xsk *x, nfx_dgram_fn on_dgram, void *ctx, uint64_t now_ms,
	       unsigned int budget);

/* Fills @st (XDP_STATISTICS read by getsockopt).  0 or -errno. */
int nfx_xsk_stats(const struct nfx_xsk *x, struct nfx_xsk_stats *st);

#endif /* NFX_XSK_H */
