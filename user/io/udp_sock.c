// SPDX-License-Identifier: BSD-2-Clause
/*
 * udp_sock.c - listener sockets for the stack path.  Datagrams are read in
 * batches with recvmmsg into buffers allocated once per socket, so the
 * receive loop neither allocates nor makes a syscall per datagram.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/flow.h"
#include "base/log.h"
#include "io/udp_sock.h"

#define NFX_UDP_BATCH	32
#define NFX_UDP_BUFSZ	65536		/* largest UDP payload, reassembled */
#define NFX_UDP_RCVBUF	(8 << 20)

struct nfx_udp {
	int fd;
	uint16_t port;
	struct sockaddr_storage addr;	/* where it is bound */
	struct nfx_udp_stats st;
	struct mmsghdr msgs[NFX_UDP_BATCH];
	struct iovec iov[NFX_UDP_BATCH];
	struct sockaddr_storage from[NFX_UDP_BATCH];
	uint8_t *bufs;			/* NFX_UDP_BATCH x NFX_UDP_BUFSZ */
};

static int make_addr(const char *text, uint16_t port, struct sockaddr_storage *ss,
		     socklen_t *len)
{
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

	memset(ss, 0, sizeof(*ss));
	if (text && inet_pton(AF_INET, text, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		*len = sizeof(*s4);
		return 0;
	}
	s6->sin6_family = AF_INET6;
	s6->sin6_port = htons(port);
	*len = sizeof(*s6);
	if (!text)
		return 0;
	return inet_pton(AF_INET6, text, &s6->sin6_addr) == 1 ? 0 : -EINVAL;
}

/*
 * No SO_REUSEADDR: on Linux it lets any process of any user that sets it
 * too bind the same UDP port, and unicast then goes to the newest socket.
 * No SO_REUSEPORT either: the kernel limits it to the same user, but a
 * second nfxdp would still share the port silently.  Neither is needed to
 * bind again after a restart (UDP has no TIME_WAIT), so a port this socket
 * holds is nobody else's.
 */
static int setup_socket(int fd, int family)
{
	int zero = 0, rcv = NFX_UDP_RCVBUF;

	if (family == AF_INET6 &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero)))
		return -errno;
	/* FORCE needs CAP_NET_ADMIN; the plain one is capped by rmem_max */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcv, sizeof(rcv)) &&
	    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv)))
		pr_debug("cannot enlarge the UDP receive buffer: %s\n", strerror(errno));
	return 0;
}

/* One line that says what to do: who holds the port, or why we cannot open it. */
static void log_error(const char *bind_addr, uint16_t port, int err)
{
	const char *on = bind_addr ? " on " : "", *addr = bind_addr ? bind_addr : "";

	if (err == -EADDRINUSE)
		pr_warn("port %u/udp%s%s is in use by another process (ss -lunp sport = :%u)\n",
			port, on, addr, port);
	else if (err == -EACCES && port < 1024)
		pr_warn("port %u/udp%s%s: %s (ports below 1024 need root or "
			"CAP_NET_BIND_SERVICE)\n", port, on, addr, strerror(-err));
	else
		pr_warn("port %u/udp%s%s: %s\n", port, on, addr, strerror(-err));
}

static void setup_msgs(struct nfx_udp *u)
{
	for (int i = 0; i < NFX_UDP_BATCH; i++) {
		u->iov[i].iov_base = u->bufs + (size_t)i * NFX_UDP_BUFSZ;
		u->iov[i].iov_len = NFX_UDP_BUFSZ;
		u->msgs[i].msg_hdr.msg_iov = &u->iov[i];
		u->msgs[i].msg_hdr.msg_iovlen = 1;
		u->msgs[i].msg_hdr.msg_name = &u->from[i];
	}
}

struct nfx_udp *nfx_udp_new(const char *bind_addr, uint16_t port)
{
	struct sockaddr_storage ss;
	struct nfx_udp *u;
	socklen_t len;
	int err;

	err = make_addr(bind_addr, port, &ss, &len);
	if (err) {
		pr_warn("--bind %s: not an IPv4 or IPv6 address\n", bind_addr);
		errno = -err;
		return NULL;
	}
	u = calloc(1, sizeof(*u));
	if (!u) {
		log_error(bind_addr, port, -ENOMEM);
		return NULL;
	}
	u->port = port;
	u->addr = ss;
	u->bufs = malloc((size_t)NFX_UDP_BATCH * NFX_UDP_BUFSZ);
	if (!u->bufs) {
		err = -ENOMEM;
		goto out_free;
	}
	setup_msgs(u);
	u->fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (u->fd < 0) {
		err = -errno;
		goto out_bufs;
	}
	err = setup_socket(u->fd, ss.ss_family);
	if (err)
		goto out_close;
	if (bind(u->fd, (struct sockaddr *)&ss, len)) {
		err = -errno;
		goto out_close;
	}
	return u;

out_close:
	close(u->fd);
out_bufs:
	free(u->bufs);
out_free:
	free(u);
	log_error(bind_addr, port, err);
	errno = -err;
	return NULL;
}

struct nfx_udp *nfx_udp_adopt(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss), tlen = sizeof(int);
	int type = 0;
	struct nfx_udp *u;

	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tlen) || type != SOCK_DGRAM ||
	    getsockname(fd, (struct sockaddr *)&ss, &len) ||
	    (ss.ss_family != AF_INET && ss.ss_family != AF_INET6)) {
		errno = EINVAL;
		return NULL;
	}
	u = calloc(1, sizeof(*u));
	if (!u)
		return NULL;
	u->bufs = malloc((size_t)NFX_UDP_BATCH * NFX_UDP_BUFSZ);
	if (!u->bufs) {
		free(u);
		errno = ENOMEM;
		return NULL;
	}
	u->fd = fd;
	u->addr = ss;
	u->port = ntohs(ss.ss_family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
						: ((struct sockaddr_in6 *)&ss)->sin6_port);
	setup_msgs(u);
	return u;
}

void nfx_udp_free(struct nfx_udp *u)
{
	if (!u)
		return;
	close(u->fd);
	free(u->bufs);
	free(u);
}

int nfx_udp_fd(const struct nfx_udp *u)
{
	return u->fd;
}

uint16_t nfx_udp_port(const struct nfx_udp *u)
{
	return u->port;
}

bool nfx_udp_bound_on(const struct nfx_udp *u, const char *bind_addr)
{
	const struct sockaddr_in6 *a6 = (const struct sockaddr_in6 *)&u->addr, *w6;
	const struct sockaddr_in *a4 = (const struct sockaddr_in *)&u->addr, *w4;
	struct sockaddr_storage want;
	socklen_t len;

	if (make_addr(bind_addr, u->port, &want, &len) || want.ss_family != u->addr.ss_family)
		return false;
	w6 = (const struct sockaddr_in6 *)&want;
	w4 = (const struct sockaddr_in *)&want;
	if (want.ss_family == AF_INET)
		return a4->sin_addr.s_addr == w4->sin_addr.s_addr;
	return !memcmp(&a6->sin6_addr, &w6->sin6_addr, sizeof(w6->sin6_addr));
}

const struct nfx_udp_stats *nfx_udp_stats(const struct nfx_udp *u)
{
	return &u->st;
}

static void sockaddr_to_src(const struct sockaddr_storage *ss, struct nfx_src *src)
{
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;
	const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;

	if (ss->ss_family == AF_INET) {
		nfx_addr_set_v4(&src->addr, (const uint8_t *)&s4->sin_addr);
		src->port = ntohs(s4->sin_port);
	} else {
		/* a dual-stack socket reports IPv4 as ::ffff:a.b.c.d already */
		nfx_addr_set_v6(&src->addr, s6->sin6_addr.s6_addr);
		src->port = ntohs(s6->sin6_port);
	}
}

int nfx_udp_rx(struct nfx_udp *u, nfx_dgram_fn on_dgram, void *ctx, uint64_t now_ms,
	       unsigned int budget)
{
	unsigned int done = 0;
	struct nfx_src src = { .now_ms = now_ms, .dst_port = u->port };
	int n;

	while (done < budget) {
		for (int i = 0; i < NFX_UDP_BATCH; i++)
			u->msgs[i].msg_hdr.msg_namelen = sizeof(u->from[i]);
		n = recvmmsg(u->fd, u->msgs, NFX_UDP_BATCH, MSG_DONTWAIT, NULL);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			return -errno;
		}
		for (int i = 0; i < n; i++) {
			const struct msghdr *h = &u->msgs[i].msg_hdr;

			if (h->msg_flags & MSG_TRUNC) {
				u->st.truncated++;
				continue;
			}
			sockaddr_to_src(&u->from[i], &src);
			u->st.bytes += u->msgs[i].msg_len;
			on_dgram(ctx, &src, u->iov[i].iov_base, u->msgs[i].msg_len);
		}
		u->st.datagrams += (unsigned int)n;
		done += (unsigned int)n;
		if (n < NFX_UDP_BATCH)
			break;
	}
	return (int)done;
}
