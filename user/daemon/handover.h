/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * handover.h - a live hand-over between two daemons on one interface
 * (`nfxdp run --takeover -i IF`), over a unix socket in the runtime
 * directory (nfx_runtime_dir()/IF.handover, 0600):
 *
 *   new                                  old
 *   adopts the attached program, pins
 *   RELEASE  ---------------------------> takes its AF_XDP sockets out of the
 *                                         XSKMAP, drains and closes them, writes
 *                                         its state file
 *            <--------------------------- RELEASED + its UDP sockets (SCM_RIGHTS),
 *                                         then "metrics" when its metrics
 *                                         listener follows them, "attached"
 *                                         when it attached the program
 *   takes the state file, opens its own
 *   AF_XDP sockets (into the XSKMAP),
 *   reads the UDP sockets, fills the
 *   port map as usual
 *   MAINPID= to systemd (by nfxdp reload,
 *   the unit's control process, if it
 *   started us; nfx_notify_takeover())
 *   GO       ---------------------------> stops reading the UDP sockets (it read
 *                                         them until now), flushes its
 *                                         aggregators, exits, leaving program
 *                                         and pins attached (no STOPPING=1)
 *
 * Between RELEASE and the new AF_XDP sockets, the program finds no socket
 * on a queue (no_socket) and passes the datagrams to the stack, into the
 * UDP sockets both processes hold: the old one reads them until GO, the new
 * one from when it collects, each datagram once, so every datagram reaches
 * one of the two and the socket buffer need not hold the whole gap.  The UDP sockets change hands instead of being
 * shared (no SO_REUSEPORT, design §7).  If the new process goes away or
 * does not say GO within NFX_HANDOVER_WAIT_MS, the old one opens its
 * AF_XDP sockets again and goes on reading; it says why on one line.
 */
#ifndef NFX_DAEMON_HANDOVER_H
#define NFX_DAEMON_HANDOVER_H

#include "daemon/state.h"

#define NFX_HANDOVER_WAIT_MS	30000

/*
 * Old side, at setup: listen for a successor (XDP mode only).  A daemon that
 * answers there already makes this start fail (-EBUSY, one line saying to
 * use --takeover).  Other errors cost only the hand-over (logged).
 */
int nfx_handover_listen(struct nfx_run *r);
/* Old side, a successor connected (r->ho_fd readable): 1 = handed over, stop now; 0 = go on. */
int nfx_handover_serve(struct nfx_run *r);

/* New side, before the inputs open: RELEASE, and the old daemon's UDP sockets into r->udps. */
int nfx_handover_take(struct nfx_run *r);
/* New side, once collecting: GO, then listen for a successor of our own. */
void nfx_handover_finish(struct nfx_run *r);

/* Close what either side holds; the socket file stays with its last owner. */
void nfx_handover_close(struct nfx_run *r);

#endif /* NFX_DAEMON_HANDOVER_H */
