/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * udp_sock.h - a kernel UDP socket on a listener port.  It is the whole
 * input in --udp mode; in XDP mode it catches what the XDP program passes
 * to the stack (IP fragments, queues without an AF_XDP socket).
 */
#ifndef NFX_UDP_SOCK_H
#define NFX_UDP_SOCK_H

#include <stdbool.h>
#include <stdint.h>

#include "base/flow.h"

struct nfx_udp;

struct nfx_udp_stats {
	uint64_t datagrams;
	uint64_t bytes;
	uint64_t truncated;		/* larger than the receive buffer */
};

/*
 * Binds @port on @bind_addr (NULL or "::" = every IPv4 and IPv6 address
 * through one dual-stack socket), for this socket alone: no other socket,
 * of any user, can share the port while it is open.  NULL with errno set
 * after logging one line that says what to do (EADDRINUSE: who to look for).
 */
struct nfx_udp *nfx_udp_new(const char *bind_addr, uint16_t port);
void nfx_udp_free(struct nfx_udp *u);
/*
 * nfx_udp_adopt() - a bound UDP socket @fd another process handed over
 * (a live hand-over), now ours.  NULL with errno (EINVAL: not a bound UDP
 * socket; @fd stays the caller's then).
 */
struct nfx_udp *nfx_udp_adopt(int fd);

int nfx_udp_fd(const struct nfx_udp *u);
uint16_t nfx_udp_port(const struct nfx_udp *u);
/* Bound where nfx_udp_new(@bind_addr, its port) would bind (NULL = ::). */
bool nfx_udp_bound_on(const struct nfx_udp *u, const char *bind_addr);

/**
 * nfx_udp_rx() - read waiting datagrams with recvmmsg, up to @budget, and
 * hand each to @on_dgram(@ctx, ...); the payload is valid only during the
 * call.  Never blocks.
 * @return datagrams read, or -errno on a socket error.
 */
int nfx_udp_rx(struct nfx_udp *u, nfx_dgram_fn on_dgram, void *ctx, uint64_t now_ms,
	       unsigned int budget);

const struct nfx_udp_stats *nfx_udp_stats(const struct nfx_udp *u);

#endif /* NFX_UDP_SOCK_H */
