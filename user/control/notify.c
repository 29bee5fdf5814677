// SPDX-License-Identifier: BSD-2-Clause
/*
 * notify.c - sd_notify(3) messages for systemd's Type=notify (libsystemd).
 * A failed notification is logged at debug level and otherwise ignored:
 * collecting flows matters more than telling the service manager about it.
 */
#include <stdio.h>
#include <string.h>
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

void nfx_notify_mainpid(void)
{
	char msg[64];

	snprintf(msg, sizeof(msg), "MAINPID=%ld", (long)getpid());
	notify(msg);
}

void nfx_notify_stopping(void)
{
	notify("STOPPING=1\nSTATUS=shutting down, writing out the aggregated flows");
}
