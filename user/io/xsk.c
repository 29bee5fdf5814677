// SPDX-License-Identifier: BSD-2-Clause
/*
 * xsk.c - AF_XDP sockets, one per RX queue, each with its own UMEM.
 *
 * Frame life cycle: every frame starts in the fill ring; the kernel moves
 * it to the RX ring with a packet; we hand its datagram on in place (the
 * callback is done with it when it returns), release the RX descriptor
 * and push the frame onto a local stack, which is drained into the fill
 * ring as far as the ring has room.  A frame is therefore always
 * in exactly one of: fill ring, kernel, RX ring, local stack -- none leak,
 * even when a fill reservation comes back short.
 *
 * The hot path makes no allocation and no syscall per packet; the only
 * syscall is the fill-ring kick, and only when the kernel asks for it.
 */
#include <dirent.h>
#include <errno.h>
#include <linux/ethtool.h>
#include <linux/if_xdp.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <xdp/xsk.h>

#include "io/frame.h"
#include "base/log.h"
#include "nfx/shared.h"
#include "io/xsk.h"

#define NFX_XSK_BATCH	64

struct nfx_xsk {
	struct xsk_ring_prod fq;
	struct xsk_ring_cons cq;
	struct xsk_ring_cons rx;
	struct xsk_umem *umem;
	struct xsk_socket *xsk;
	void *area;
	size_t area_size;
	uint64_t *stack;		/* frames waiting to go back to the fill ring */
	uint32_t nstack;
	uint32_t frames;
	uint32_t frame_size;
	uint32_t queue;
	int zerocopy;
	int busy_poll;
	struct nfx_xsk_stats st;
};

static int queues_ethtool(const char *ifname)
{
	struct ethtool_channels ch = { .cmd = ETHTOOL_GCHANNELS };
	struct ifreq ifr = {};
	int fd, err;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	ifr.ifr_data = (void *)&ch;
	err = ioctl(fd, SIOCETHTOOL, &ifr) ? -errno : 0;
	close(fd);
	if (err)
		return err;
	/* rx-only channels (veth) or combined ones (most NICs) */
	return (int)(ch.rx_count + ch.combined_count);
}

static int queues_sysfs(const char *ifname)
{
	char path[64 + IF_NAMESIZE];
	struct dirent *de;
	int n = 0;
	DIR *dir;

	snprintf(path, sizeof(path), "/sys/class/net/%s/queues", ifname);
	dir = opendir(path);
	if (!dir)
		return -errno;
	while ((de = readdir(dir)))
		n += !strncmp(de->d_name, "rx-", 3);
	closedir(dir);
	return n;
}

int nfx_xsk_queue_count(const char *ifname)
{
	int n = queues_ethtool(ifname);

	if (n <= 0) {
		pr_debug("%s: no ethtool channel count (%s), reading sysfs\n", ifname,
			 n ? strerror(-n) : "0 channels");
		n = queues_sysfs(ifname);
	}
	if (n < 0)
		return n;
	if (n == 0)
		n = 1;
	return n > NFX_MAX_QUEUES ? NFX_MAX_QUEUES : n;
}

static int umem_create(struct nfx_xsk *x)
{
	struct xsk_umem_config cfg = {
		.fill_size = x->frames,
		.comp_size = 64,	/* we never transmit */
		.frame_size = x->frame_size,
		.frame_headroom = 0,
		.flags = 0,
	};

	return xsk_umem__create(&x->umem, x->area, x->area_size, &x->fq, &x->cq, &cfg);
}

/*
 * A failed bind leaves the UMEM's rings registered on its fd, so each
 * attempt gets a fresh UMEM on the same memory.
 */
static int socket_create(struct nfx_xsk *x, const char *ifname, __u16 mode_flag)
{
	struct xsk_socket_config cfg = {
		/* as deep as the UMEM: a slow batch drops only when all frames wait */
		.rx_size = x->frames,
		.tx_size = 0,
		.libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD,
		.bind_flags = mode_flag | XDP_USE_NEED_WAKEUP,
	};
	int err;

	err = umem_create(x);
	if (err)
		return err;
	err = xsk_socket__create(&x->xsk, ifname, x->queue, x->umem, &x->rx, NULL, &cfg);
	if (err) {
		x->xsk = NULL;
		xsk_umem__delete(x->umem);
		x->umem = NULL;
	}
	return err;
}

/* Zero-copy where the driver has it, else copy mode. */
static int socket_create_any(struct nfx_xsk *x, const char *ifname,
			     const struct nfx_xsk_opts *opts)
{
	int err = opts && opts->force_copy ? -EOPNOTSUPP : socket_create(x, ifname, XDP_ZEROCOPY);

	x->zerocopy = !err;
	if (err)
		err = socket_create(x, ifname, XDP_COPY);
	return err;
}

/* Gives back as many stacked frames as the fill ring has room for. */
static void refill(struct nfx_xsk *x)
{
	uint32_t n = x->nstack, room, idx;

	if (!n)
		return;
	room = xsk_prod_nb_free(&x->fq, n);
	if (room < n)
		n = room;
	if (!n || xsk_ring_prod__reserve(&x->fq, n, &idx) != n)
		return;
	for (uint32_t i = 0; i < n; i++)
		*xsk_ring_prod__fill_addr(&x->fq, idx + i) = x->stack[--x->nstack];
	xsk_ring_prod__submit(&x->fq, n);
	if (xsk_ring_prod__needs_wakeup(&x->fq))
		recvfrom(xsk_socket__fd(x->xsk), NULL, 0, MSG_DONTWAIT, NULL, NULL);
}

/*
 * Busy polling: the worker runs the queue's NAPI from nfx_xsk_busy_poll(),
 * and SO_PREFER_BUSY_POLL keeps the softirq off it while it does (with the
 * interface's napi_defer_hard_irqs and gro_flush_timeout set, interrupts
 * stay masked between polls).  Needs CAP_NET_ADMIN, so at setup.
 */
static int busy_poll_set(struct nfx_xsk *x, const struct nfx_xsk_opts *o)
{
	int fd = xsk_socket__fd(x->xsk), on = 1, usecs = (int)o->busy_poll_usecs;
	int budget = (int)o->busy_poll_budget;

	if (setsockopt(fd, SOL_SOCKET, SO_PREFER_BUSY_POLL, &on, sizeof(on)) ||
	    setsockopt(fd, SOL_SOCKET, SO_BUSY_POLL, &usecs, sizeof(usecs)) ||
	    (budget && setsockopt(fd, SOL_SOCKET, SO_BUSY_POLL_BUDGET, &budget, sizeof(budget))))
		return -errno;
	x->busy_poll = 1;
	return 0;
}

void nfx_xsk_busy_poll(struct nfx_xsk *x)
{
	if (x->busy_poll)
		recvfrom(xsk_socket__fd(x->xsk), NULL, 0, MSG_DONTWAIT, NULL, NULL);
}

static int check_opts(const struct nfx_xsk_opts *o, uint32_t *frames, uint32_t *fsize)
{
	*frames = o && o->frames ? o->frames : 4096;
	*fsize = o && o->frame_size ? o->frame_size : 2048;
	if (*frames & (*frames - 1) || *frames < 64)
		return -EINVAL;
	if (*fsize != 2048 && *fsize != 4096)
		return -EINVAL;
	return 0;
}

struct nfx_xsk *nfx_xsk_new(const char *ifname, uint32_t queue, int xsks_map_fd,
			    const struct nfx_xsk_opts *opts)
{
	struct nfx_xsk *x;
	int err;

	x = calloc(1, sizeof(*x));
	if (!x)
		return NULL;
	x->queue = queue;
	err = check_opts(opts, &x->frames, &x->frame_size);
	if (err)
		goto out_free;
	x->area_size = (size_t)x->frames * x->frame_size;
	x->stack = calloc(x->frames, sizeof(*x->stack));
	if (!x->stack) {
		err = -ENOMEM;
		goto out_free;
	}
	x->area = mmap(NULL, x->area_size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (x->area == MAP_FAILED) {
		err = -errno;
		goto out_stack;
	}

	err = socket_create_any(x, ifname, opts);
	/* a queue just given up is freed by the kernel a little later */
	for (uint32_t ms = 0; err == -EBUSY && opts && ms < opts->busy_wait_ms; ms += 10) {
		nanosleep(&(struct timespec){ .tv_nsec = 10 * 1000000L }, NULL);
		err = socket_create_any(x, ifname, opts);
	}
	if (err == -ENOBUFS)
		pr_warn("%s queue %u: cannot create AF_XDP socket: its %zu KiB UMEM exceed "
			"RLIMIT_MEMLOCK: grant CAP_IPC_LOCK or raise the limit (systemd "
			"LimitMEMLOCK=, ulimit -l)\n", ifname, queue, x->area_size >> 10);
	else if (err)
		pr_warn("%s queue %u: cannot create AF_XDP socket: %s\n", ifname, queue,
			strerror(-err));
	if (err)
		goto out_unmap;

	err = opts && opts->busy_poll_usecs ? busy_poll_set(x, opts) : 0;
	if (err) {
		pr_warn("%s queue %u: cannot set AF_XDP busy polling: %s\n", ifname, queue,
			strerror(-err));
		goto out_socket;
	}

	/* every frame starts in the fill ring */
	for (uint32_t i = 0; i < x->frames; i++)
		x->stack[x->nstack++] = (uint64_t)(x->frames - 1 - i) * x->frame_size;
	refill(x);

	err = xsks_map_fd >= 0 ? nfx_xsk_map(x, xsks_map_fd) : 0;
	if (err) {
		pr_warn("%s queue %u: cannot put the AF_XDP socket in the XSKMAP: %s\n", ifname,
			queue, strerror(-err));
		goto out_socket;
	}
	pr_debug("%s queue %u: AF_XDP socket in %s mode\n", ifname, queue, nfx_xsk_mode(x));
	return x;

out_socket:
	xsk_socket__delete(x->xsk);
	xsk_umem__delete(x->umem);
out_unmap:
	munmap(x->area, x->area_size);
out_stack:
	free(x->stack);
out_free:
	free(x);
	errno = -err;
	return NULL;
}

int nfx_xsk_map(struct nfx_xsk *x, int xsks_map_fd)
{
	return xsk_socket__update_xskmap(x->xsk, xsks_map_fd);
}

int nfx_xsk_unmap(struct nfx_xsk *x, int xsks_map_fd)
{
	__u32 q = x->queue;

	return bpf_map_delete_elem(xsks_map_fd, &q) && errno != ENOENT ? -errno : 0;
}

void nfx_xsk_free(struct nfx_xsk *x)
{
	if (!x)
		return;
	/* closing the socket also removes it from the XSKMAP */
	xsk_socket__delete(x->xsk);
	xsk_umem__delete(x->umem);
	munmap(x->area, x->area_size);
	free(x->stack);
	free(x);
}

int nfx_xsk_fd(const struct nfx_xsk *x)
{
	return xsk_socket__fd(x->xsk);
}

const char *nfx_xsk_mode(const struct nfx_xsk *x)
{
	return x->zerocopy ? "zerocopy" : "copy";
}

static void rx_frame(struct nfx_xsk *x, const struct xdp_desc *desc, nfx_dgram_fn on_dgram,
		     void *ctx, uint64_t now_ms)
{
	const uint8_t *data = xsk_umem__get_data(x->area, desc->addr);
	struct nfx_udp_view v;
	struct nfx_src src;

	if (nfx_frame_parse(NFX_LINK_ETHER, data, desc->len, &v)) {
		x->st.rx_not_udp++;
		return;
	}
	/* the XDP program applied the allow-list before redirecting */
	nfx_src_from_view(&src, &v, now_ms, 1);
	on_dgram(ctx, &src, v.payload, v.len);
}

int nfx_xsk_rx(struct nfx_xsk *x, nfx_dgram_fn on_dgram, void *ctx, uint64_t now_ms,
	       unsigned int budget)
{
	const uint64_t base_mask = ~(uint64_t)(x->frame_size - 1);
	unsigned int done = 0;
	uint32_t n, idx;

	while (done < budget) {
		n = xsk_ring_cons__peek(&x->rx, budget - done < NFX_XSK_BATCH ?
					budget - done : NFX_XSK_BATCH, &idx);
		if (!n)
			break;
		for (uint32_t i = 0; i < n; i++) {
			const struct xdp_desc *desc = xsk_ring_cons__rx_desc(&x->rx, idx + i);

			rx_frame(x, desc, on_dgram, ctx, now_ms);
			/* aligned UMEM: the frame is the chunk the address falls in */
			x->stack[x->nstack++] = desc->addr & base_mask;
		}
		xsk_ring_cons__release(&x->rx, n);
		x->st.rx_frames += n;
		done += n;
		refill(x);
	}
	/* a short reservation earlier leaves frames stacked: retry them now */
	refill(x);
	return (int)done;
}

/*
 * Read back from the kernel: the metrics show what the socket has.  (The
 * budget cannot be read back: SO_BUSY_POLL_BUDGET is set-only.)
 */
static void busy_poll_get(const struct nfx_xsk *x, struct nfx_xsk_stats *st)
{
	int fd = xsk_socket__fd(x->xsk), usecs = 0, prefer = 0;
	socklen_t len = sizeof(int);

	if (!getsockopt(fd, SOL_SOCKET, SO_BUSY_POLL, &usecs, &len))
		st->busy_poll_usecs = (uint32_t)usecs;
	len = sizeof(int);
	if (!getsockopt(fd, SOL_SOCKET, SO_PREFER_BUSY_POLL, &prefer, &len))
		st->prefer_busy_poll = (uint32_t)prefer;
}

int nfx_xsk_stats(const struct nfx_xsk *x, struct nfx_xsk_stats *st)
{
	struct xdp_statistics xs = {};
	socklen_t len = sizeof(xs);

	*st = x->st;
	if (getsockopt(xsk_socket__fd(x->xsk), SOL_XDP, XDP_STATISTICS, &xs, &len))
		return -errno;
	st->rx_dropped = xs.rx_dropped;
	st->rx_invalid_descs = xs.rx_invalid_descs;
	st->rx_ring_full = xs.rx_ring_full;
	st->rx_fill_ring_empty_descs = xs.rx_fill_ring_empty_descs;
	if (x->busy_poll)
		busy_poll_get(x, st);
	return 0;
}
