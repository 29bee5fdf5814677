// SPDX-License-Identifier: BSD-2-Clause
/*
 * handover.c - the live hand-over (handover.h).  Messages are short words
 * on a SOCK_SEQPACKET unix socket, one per datagram, so neither side parses
 * a stream; the old daemon serves one successor at a time, in its main
 * thread, with every wait bounded.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"
#include "control/metrics.h"
#include "control/notify.h"
#include "control/stats_file.h"
#include "daemon/handover.h"
#include "daemon/persist.h"
#include "daemon/worker.h"

#define MSG_RELEASE	"RELEASE"
/* then words: "metrics" (the last fd passed is the metrics listener),
 * "attached" (the old one attached the program: detach it at exit) */
#define MSG_RELEASED	"RELEASED"
#define MSG_GO		"GO"
#define MSG_MAX		64
#define MAX_FDS		(NFX_MAX_PORTS + 1)	/* the UDP sockets and the metrics listener */

static int path_of(const struct nfx_run *r, struct sockaddr_un *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if ((size_t)snprintf(sa->sun_path, sizeof(sa->sun_path), "%s/%s.handover",
			     nfx_runtime_dir(), r->o->ifname) >= sizeof(sa->sun_path))
		return -ENAMETOOLONG;
	return 0;
}

static int connect_to(const struct sockaddr_un *sa)
{
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	if (connect(fd, (const struct sockaddr *)sa, sizeof(*sa))) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

/* One message into @buf (NUL-terminated), fds passed with it into @fds; waits @ms at most. */
static int recv_msg(int fd, char *buf, int *fds, int *nfds, int ms)
{
	char cbuf[CMSG_SPACE(sizeof(int) * MAX_FDS)];
	struct iovec iov = { buf, MSG_MAX - 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			     .msg_controllen = sizeof(cbuf) };
	struct pollfd p = { .fd = fd, .events = POLLIN };
	struct cmsghdr *c;
	ssize_t n;
	int rc;

	rc = poll(&p, 1, ms);
	if (rc <= 0)
		return rc ? -errno : -ETIMEDOUT;
	n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);
	if (n <= 0)
		return n ? -errno : -ECONNRESET;
	buf[n] = '\0';
	if (nfds)
		*nfds = 0;
	for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		int k = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		if (!fds || k > MAX_FDS) {	/* not asked for: not kept */
			for (int i = 0; i < k; i++)
				close(((int *)CMSG_DATA(c))[i]);
			continue;
		}
		memcpy(fds, CMSG_DATA(c), (size_t)k * sizeof(int));
		*nfds = k;
	}
	return 0;
}

static int send_msg(int fd, const char *msg, const int *fds, int nfds)
{
	char cbuf[CMSG_SPACE(sizeof(int) * MAX_FDS)];
	struct iovec iov = { (void *)msg, strlen(msg) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *c;

	if (nfds) {
		memset(cbuf, 0, sizeof(cbuf));
		mh.msg_control = cbuf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * (size_t)nfds);
	}
	return sendmsg(fd, &mh, MSG_NOSIGNAL) < 0 ? -errno : 0;
}

/* ---- the old daemon ---- */

/* Listen on the interface's socket file; @check: refuse when a daemon answers there. */
static int listen_on(struct nfx_run *r, int check)
{
	struct sockaddr_un sa;
	int fd, err;

	r->ho_fd = -1;
	if (r->o->udp_only || path_of(r, &sa))
		return 0;
	fd = check ? connect_to(&sa) : -1;
	if (fd >= 0) {
		close(fd);
		pr_warn("an nfxdp already runs on %s: stop it, or start this one with --takeover\n",
			r->o->ifname);
		return -EBUSY;
	}
	if (mkdir(nfx_runtime_dir(), 0755) && errno != EEXIST)
		goto fail;
	unlink(sa.sun_path);	/* a dead daemon's, or the one we took over from */
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto fail;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || chmod(sa.sun_path, 0600) ||
	    listen(fd, 1)) {
		err = errno;
		close(fd);
		errno = err;
		goto fail;
	}
	r->ho_fd = fd;
	r->pfds_stale = 1;	/* the main loop polls it from its next turn */
	snprintf(r->ho_path, sizeof(r->ho_path), "%s", sa.sun_path);
	return 0;
fail:
	pr_warn("%s: %s: no live hand-over to a successor\n", sa.sun_path, strerror(errno));
	return 0;
}

int nfx_handover_listen(struct nfx_run *r)
{
	return listen_on(r, 1);
}

/*
 * A worker thread polls outside its lock, and a socket it polls stays bound
 * to its queue until that poll returns: wait (a tick at most) until every
 * worker has made its poll set again without them.
 */
static void wait_workers_repolled(struct nfx_run *r)
{
	for (int tries = 0; r->threaded && tries < 100; tries++) {
		int stale = 0;

		nfx_workers_lock(r);
		for (int i = 0; i < r->nw; i++)
			stale |= r->w[i].pfds_stale;
		nfx_workers_unlock(r);
		if (!stale)
			return;
		nanosleep(&(struct timespec){ .tv_nsec = 10 * 1000000L }, NULL);
	}
}

/*
 * Hand the queues over: out of the XSKMAP, drained, closed.  The UDP
 * sockets are read on until GO: from now on they carry every datagram, and
 * the successor, which holds them too, reads them only once it collects.
 */
static void pause_io(struct nfx_run *r)
{
	int xsks_fd = nfx_loader_xsks_fd(r->ldr);
	uint64_t now = nfx_now_ms();

	nfx_workers_lock(r);
	for (int q = 0; q < r->nxsk; q++)
		nfx_xsk_unmap(r->xsks[q], xsks_fd);
	/* frames redirected before the delete land by the end of their NAPI poll */
	nanosleep(&(struct timespec){ .tv_nsec = 20 * 1000000L }, NULL);
	for (int i = 0; i < r->nw; i++) {
		struct nfx_worker *w = &r->w[i];
		int has_udp = w->has_udp;

		/* the rings only: the UDP sockets now get everything, a drain would not end */
		w->has_udp = 0;
		nfx_worker_drain(w, NULL, now, 1);
		w->has_udp = has_udp;
		w->nxsk = 0;
		w->pfds_stale = 1;
	}
	r->io_paused = 1;
	r->pfds_stale = 1;
	nfx_workers_unlock(r);
	wait_workers_repolled(r);
	/* nobody reads them now; closing frees the queues for the successor */
	for (int q = 0; q < r->nxsk; q++)
		nfx_xsk_free(r->xsks[q]);
	r->nxsk = 0;
}

/*
 * The successor failed: our own sockets again.  AF_XDP sockets take
 * CAP_NET_RAW, which a daemon that dropped it no longer has: then its UDP
 * sockets take every queue's datagrams (the program passes what finds no
 * socket), until it is restarted.
 */
static void resume_io(struct nfx_run *r)
{
	int xsks_fd = nfx_loader_xsks_fd(r->ldr);
	struct nfx_xsk_opts xo = nfx_workers_xsk_opts(r, 0);

	nfx_workers_lock(r);
	for (int q = 0; q < r->nqueues; q++) {
		struct nfx_worker *w = &r->w[q % r->nw];

		r->xsks[q] = nfx_xsk_new(r->o->ifname, (uint32_t)q, xsks_fd, &xo);
		if (!r->xsks[q])
			break;	/* logged; the UDP sockets take that queue's datagrams */
		w->xsks[w->nxsk++] = r->xsks[q];
		r->nxsk = q + 1;
	}
	for (int i = 0; i < r->nw; i++)
		r->w[i].pfds_stale = 1;
	r->io_paused = 0;
	r->pfds_stale = 1;
	nfx_workers_unlock(r);
}

/* The UDP sockets, then the metrics listener if there is one. */
static int released_fds(const struct nfx_run *r, int *fds)
{
	int n = 0;

	for (int u = 0; u < r->nudp; u++)
		fds[n++] = nfx_udp_fd(r->udps[u]);
	if (r->metrics && nfx_metrics_listen_fd(r->metrics) >= 0)
		fds[n++] = nfx_metrics_listen_fd(r->metrics);
	return n;
}

/*
 * The successor's GO (or anything else) on @c within NFX_HANDOVER_WAIT_MS.
 * Without worker threads the UDP sockets are ours to read meanwhile.
 */
static int wait_go(struct nfx_run *r, int c, char *msg)
{
	struct pollfd p[1 + NFX_MAX_PORTS];
	uint64_t end = nfx_now_ms() + NFX_HANDOVER_WAIT_MS, now, next_tick = 0;
	int n = 1;

	p[0] = (struct pollfd){ .fd = c, .events = POLLIN };
	for (int u = 0; !r->threaded && u < r->nudp; u++)
		p[n++] = (struct pollfd){ .fd = nfx_udp_fd(r->udps[u]), .events = POLLIN };
	while ((now = nfx_now_ms()) < end) {
		if (poll(p, (nfds_t)n, n > 1 ? TICK_MS : (int)(end - now)) < 0 && errno != EINTR)
			return -errno;
		if (p[0].revents)
			return recv_msg(c, msg, NULL, NULL, 0);
		if (n == 1)
			continue;
		now = nfx_now_ms();
		nfx_worker_drain(&r->w[0], p + 1, now, 0);
		/* the output is written out as in the loop, or its buffer fills and drops */
		if (now >= next_tick) {
			nfx_worker_tick(&r->w[0], now);
			next_tick = now + TICK_MS;
		}
	}
	return -ETIMEDOUT;
}

/* Serve connection @c: 1 handed over, else why not in *@why. */
static int serve(struct nfx_run *r, int c, const char **why)
{
	char msg[MSG_MAX];
	int fds[MAX_FDS], nfds, err;

	err = recv_msg(c, msg, NULL, NULL, 5000);
	if (err || strcmp(msg, MSG_RELEASE)) {
		*why = err ? strerror(-err) : "unknown request";
		return 0;
	}
	pr_info("hand-over: a successor asks for %s; releasing the AF_XDP sockets\n",
		r->o->ifname);
	pause_io(r);
	nfx_persist_save(r, 0);	/* what the successor starts from, read at once */
	nfds = released_fds(r, fds);
	snprintf(msg, sizeof(msg), "%s%s%s", MSG_RELEASED, nfds > r->nudp ? " metrics" : "",
		 r->ldr && nfx_loader_attached(r->ldr) ? " attached" : "");
	err = send_msg(c, msg, fds, nfds);
	if (!err)
		err = wait_go(r, c, msg);
	if (!err && !strcmp(msg, MSG_GO))
		return 1;
	*why = err == -ETIMEDOUT ? "the successor did not say GO in time" :
	       err ? "the successor went away before it collected" : "unknown answer";
	resume_io(r);
	return 0;
}

int nfx_handover_serve(struct nfx_run *r)
{
	const char *why = NULL;
	int c, done;

	c = accept4(r->ho_fd, NULL, NULL, SOCK_CLOEXEC);
	if (c < 0)
		return 0;
	done = serve(r, c, &why);
	close(c);
	if (!done) {
		pr_warn("hand-over failed: %s; %s\n", why,
			r->io_paused ? "still paused" : "collecting as before");
		return 0;
	}
	pr_info("hand-over: the successor collects on %s; flushing and leaving\n", r->o->ifname);
	/* the UDP sockets are the successor's now: a last drain would never end under load */
	nfx_workers_lock(r);
	for (int i = 0; i < r->nw; i++) {
		r->w[i].has_udp = 0;
		r->w[i].pfds_stale = 1;
	}
	nfx_workers_unlock(r);
	r->handed_over = 1;
	nfx_loader_keep(r->ldr);
	nfx_metrics_quiesce(r->metrics);	/* the successor answers on the port */
	return 1;
}

/* ---- the new daemon ---- */

static int adopt_udp(struct nfx_run *r, const int *fds, int n)
{
	r->udps = calloc(NFX_MAX_PORTS, sizeof(*r->udps));
	if (!r->udps)
		return -ENOMEM;
	for (int i = 0; i < n; i++) {
		r->udps[r->nudp] = nfx_udp_adopt(fds[i]);
		if (!r->udps[r->nudp]) {
			close(fds[i]);
			continue;
		}
		r->nudp++;
	}
	return 0;
}

int nfx_handover_take(struct nfx_run *r)
{
	struct sockaddr_un sa;
	char msg[MSG_MAX];
	int fds[MAX_FDS], nfds = 0, err;

	r->ho_conn = -1;
	err = path_of(r, &sa);
	if (!err)
		err = r->ho_conn = connect_to(&sa);
	if (err < 0) {
		r->ho_conn = -1;
		pr_warn("--takeover: no nfxdp answers on %s: %s\n", sa.sun_path, strerror(-err));
		return err;
	}
	err = send_msg(r->ho_conn, MSG_RELEASE, NULL, 0);
	if (!err)
		err = recv_msg(r->ho_conn, msg, fds, &nfds, 10000);
	if (!err && (strncmp(msg, MSG_RELEASED, strlen(MSG_RELEASED)) ||
		     (msg[strlen(MSG_RELEASED)] && msg[strlen(MSG_RELEASED)] != ' ')))
		err = -EPROTO;
	if (!err && strstr(msg, " metrics") && nfds > 0)
		r->ho_metrics_fd = fds[--nfds];
	if (!err)
		r->ho_owner = strstr(msg, " attached") != NULL;
	if (!err && nfds > NFX_MAX_PORTS)
		err = -EPROTO;
	if (err) {
		for (int i = 0; i < nfds; i++)
			close(fds[i]);
		pr_warn("--takeover: the running daemon did not release %s: %s\n", r->o->ifname,
			strerror(-err));
		return err;
	}
	pr_info("--takeover: %s released, %d UDP socket(s)%s taken\n", r->o->ifname, nfds,
		r->ho_metrics_fd >= 0 ? " and the metrics listener" : "");
	return adopt_udp(r, fds, nfds);
}

void nfx_handover_finish(struct nfx_run *r)
{
	int err;

	if (r->ho_conn < 0)
		return;
	/* before the old one may exit: its service manager must know who carries on */
	nfx_notify_takeover();
	err = send_msg(r->ho_conn, MSG_GO, NULL, 0);
	close(r->ho_conn);
	r->ho_conn = -1;
	if (err)
		pr_warn("--takeover: cannot tell the old daemon to go: %s\n", strerror(-err));
	/* only now: a successor that fails before GO must leave the program alone */
	if (!err && r->ho_owner && nfx_loader_own(r->ldr))
		pr_warn("--takeover: the program on %s has no pin of ours: it stays attached "
			"when this daemon stops ('nfxdp detach -i %s')\n", r->o->ifname,
			r->o->ifname);
	/* its socket file becomes ours (the old one still listens there, on its way out) */
	listen_on(r, 0);
}

void nfx_handover_close(struct nfx_run *r)
{
	if (r->ho_fd >= 0) {
		close(r->ho_fd);
		if (!r->handed_over)
			unlink(r->ho_path);
	}
	if (r->ho_conn >= 0)
		close(r->ho_conn);
	if (r->ho_metrics_fd >= 0)	/* handed to us, never used */
		close(r->ho_metrics_fd);
	r->ho_fd = r->ho_conn = r->ho_metrics_fd = -1;
}
