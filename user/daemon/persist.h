/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * persist.h - the daemon's state file (control/state_file.h,
 * decode/dec_state.h): where it is, taken back into every worker's decoder
 * at start, written every NFX_STATE_INTERVAL_MS and at shutdown.
 *
 * Where: the configuration's state_dir; by default NFX_STATE_DIR with an
 * interface (a service) and none with --udp (a user's ad hoc run, which
 * may not write there).  A directory the configuration names must work: it
 * is made if missing and must be writable by the user the daemon runs as,
 * else the daemon does not start.  The default directory failing only
 * costs the state file, with one line saying so.
 */
#ifndef NFX_DAEMON_PERSIST_H
#define NFX_DAEMON_PERSIST_H

#include "daemon/state.h"

/* Before privileges are dropped: the directory made (0700), the file's path set. 0 or -errno. */
int nfx_persist_prepare(struct nfx_run *r);
/* After: the directory must be writable by the user the daemon now is. 0 or -errno. */
int nfx_persist_check(struct nfx_run *r);
/* The last state taken into every worker's decoder (mappings set); never fatal. */
void nfx_persist_load(struct nfx_run *r);
/*
 * Write the state now (main thread; takes the workers' locks while it
 * copies); @sync: to the disk too (not for a successor that reads it now).
 */
void nfx_persist_save(struct nfx_run *r, int sync);
/* From the 100 ms tick: write it when NFX_STATE_INTERVAL_MS has passed. */
void nfx_persist_tick(struct nfx_run *r, uint64_t now);

#endif /* NFX_DAEMON_PERSIST_H */
