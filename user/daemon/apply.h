/* SPDX-License-Identifier: BSD-2-Clause */
/* apply.h - loading the configuration and applying a change to the running daemon. */
#ifndef NFX_DAEMON_APPLY_H
#define NFX_DAEMON_APPLY_H

#include "daemon/state.h"

/* r->cfg from -c FILE (watched) and the command line.  0 or -EINVAL (logged). */
int nfx_apply_load(struct nfx_run *r);
/* Load again; apply what differs.  @why goes into the log line of a refused file. */
void nfx_apply_reload(struct nfx_run *r, const char *why);
/* The kernel maps (ports, allow-list) as r->cfg wants them; @old NULL at start. */
int nfx_apply_maps(struct nfx_run *r, const struct nfx_config *old);
/* A UDP socket on every listener port, none on others.  0 or the last -errno. */
int nfx_apply_sync_udp(struct nfx_run *r);
/* Template TTL and sweep interval from r->cfg. */
void nfx_apply_templates(struct nfx_run *r);
/*
 * The decoder policy (biflow reverse records, sampling rates, ...) from
 * r->cfg, to every worker's decoder; it points into r->cfg, so it is set
 * again whenever r->cfg is replaced.
 */
void nfx_apply_decoder_policy(struct nfx_run *r);

#endif /* NFX_DAEMON_APPLY_H */
