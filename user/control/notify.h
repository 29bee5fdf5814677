/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * notify.h - the daemon's state for its service manager (systemd
 * Type=notify, sd_notify(3)): ready once collecting, reloading around a
 * configuration reload, stopping at shutdown.  Each call is a no-op when
 * NOTIFY_SOCKET is unset (not started by systemd).
 */
#ifndef NFX_NOTIFY_H
#define NFX_NOTIFY_H

/* READY=1, with "collecting on @where" as the status line (@where may be NULL). */
void nfx_notify_ready(const char *where);
/* RELOADING=1: the configuration is being reloaded; nfx_notify_ready() ends it. */
void nfx_notify_reloading(void);
/*
 * MAINPID=<ours>: a successor that took over tells systemd the service goes
 * on in this process (the unit's NotifyAccess=all lets it), before the old
 * main process exits.
 */
void nfx_notify_mainpid(void);
/* STOPPING=1: shutting down (what the aggregators hold is being written out). */
void nfx_notify_stopping(void);

#endif /* NFX_NOTIFY_H */
