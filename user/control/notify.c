// SPDX-License-Identifier: BSD-2-Clause
/*
 * notify.c - sd_notify(3) messages for systemd's Type=notify (libsystemd).
 * A failed notification is logged at debug level and otherwise ignored:
 * collecting flows matters more than telling the service manager about it.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "base/log.h"
#include "control/notify.h"

static void notify(const char *msg)
{
	int err = sd_notify(0, msg);

	if (err < 0)
		pr_debug("sd_notify(%s): %s\n", msg, strerror(-err));
}

void nfx_notify_ready(const char *where)
{
	char msg[160];

	snprintf(msg, sizeof(msg), "READY=1\nSTATUS=collecting on %s", where ? where : "?");
	notify(msg);
}

/* systemd >= 253 (Type=notify-reload) wants the reload's start on CLOCK_MONOTONIC. */
void nfx_notify_reloading(void)
{
	struct timespec ts;
	char msg[96];

	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(msg, sizeof(msg), "RELOADING=1\nMONOTONIC_USEC=%llu",
		 (unsigned long long)ts.tv_sec * 1000000ull +
			 (unsigned long long)ts.tv_nsec / 1000ull);
	notify(msg);
}

#define TAKEOVER_ASK	"MAINPID?"
#define TAKEOVER_DONE	"MAINPID"

static void notify_mainpid(pid_t pid)
{
	char msg[64];

	snprintf(msg, sizeof(msg), "MAINPID=%ld", (long)pid);
	notify(msg);
}

/* The socket `nfxdp reload` gave us, -1 without one; taken from the environment. */
static int reload_fd(void)
{
	const char *env = getenv(NFX_NOTIFY_FD_ENV);
	char *end;
	long fd = env ? strtol(env, &end, 10) : -1;
	struct stat st;

	unsetenv(NFX_NOTIFY_FD_ENV);	/* not for our children */
	if (!env || *end || fd < 3 || fd > INT_MAX || fstat((int)fd, &st) || !S_ISSOCK(st.st_mode))
		return -1;
	return (int)fd;
}

void nfx_notify_takeover(void)
{
	struct pollfd p = { .fd = reload_fd(), .events = POLLIN };
	char ack[16];
	ssize_t n = -1;

	if (p.fd >= 0 && send(p.fd, TAKEOVER_ASK, strlen(TAKEOVER_ASK), MSG_NOSIGNAL) > 0 &&
	    poll(&p, 1, 5000) > 0)
		n = recv(p.fd, ack, sizeof(ack) - 1, 0);
	if (p.fd >= 0)
		close(p.fd);
	if (n == (ssize_t)strlen(TAKEOVER_DONE) && !memcmp(ack, TAKEOVER_DONE, (size_t)n))
		return;
	notify_mainpid(getpid());
}

int nfx_notify_serve_takeover(int fd, pid_t succ)
{
	char msg[16];
	ssize_t n = recv(fd, msg, sizeof(msg) - 1, MSG_DONTWAIT);

	if (n <= 0)
		return n ? -errno : -ECONNRESET;
	if (n != (ssize_t)strlen(TAKEOVER_ASK) || memcmp(msg, TAKEOVER_ASK, (size_t)n))
		return -EPROTO;
	notify_mainpid(succ);
	return send(fd, TAKEOVER_DONE, strlen(TAKEOVER_DONE), MSG_NOSIGNAL) < 0 ? -errno : 0;
}

void nfx_notify_stopping(void)
{
	notify("STOPPING=1\nSTATUS=shutting down, writing out the aggregated flows");
}
