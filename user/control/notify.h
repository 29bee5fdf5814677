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
 * A successor that took over, before the old main process may exit: the
 * service goes on in this process.  With NotifyAccess=exec only the main
 * and the control process are heard, so the successor asks the process
 * that started it (`nfxdp reload`, the control process: NFX_NOTIFY_FD_ENV
 * names its socket) to send MAINPID=; started otherwise, it sends it itself.
 */
#define NFX_NOTIFY_FD_ENV	"NFXDP_RELOAD_FD"
void nfx_notify_takeover(void);
/*
 * `nfxdp reload`: answers the successor @succ's request on @fd: MAINPID=@succ,
 * then an acknowledgement.  0, or -errno (nothing asked yet: -EAGAIN; the
 * successor gone without asking: -ECONNRESET).
 */
int nfx_notify_serve_takeover(int fd, pid_t succ);
/* STOPPING=1: shutting down (what the aggregators hold is being written out). */
void nfx_notify_stopping(void);

#endif /* NFX_NOTIFY_H */
