/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * reconcile.h - applies a configuration to the running XDP program through
 * its maps (listener ports, exporter allow-list, nfx_cfg) without detaching
 * or rebinding anything.
 *
 * The daemon's reload path (config_watch.h tells it the file changed) is:
 *
 *	if (nfx_config_watch_changed(w) > 0 &&
 *	    !nfx_config_load(path, &next, err, sizeof(err))) {
 *		nfx_reconcile(next, running, &maps);
 *		nfx_config_free(running);
 *		running = next;
 *	} // else: log err, the running configuration stays in force
 */
#ifndef NFX_RECONCILE_H
#define NFX_RECONCILE_H

#include "control/config.h"

/* Map fds of the running program; a negative fd skips that part. */
struct nfx_reconcile_maps {
	int ports_fd;		/* NFX_MAP_PORTS hash */
	int allow_fd;		/* NFX_MAP_ALLOW LPM trie */
	int cfg_fd;		/* NFX_MAP_CFG array[1] */
};

/**
 * nfx_reconcile() - make the maps hold what @want says, changing only what
 * differs from their current contents.
 * @want:    the configuration to apply
 * @running: the one in force, or NULL at startup; only used for the log
 *           (the maps themselves are the running state, so a reconcile
 *           after a partial failure, or over maps adopted from a previous
 *           daemon, still converges)
 * @maps:    where to apply it
 *
 * Ports: entries kept across the change are never removed (updated in place
 * when their versions change).  Allow-list: new prefixes are inserted
 * before stale ones are deleted, allow_enabled is set only once the entries
 * are in and cleared before the last ones go, so there is no moment when a
 * wanted exporter is dropped.  One log line per change.
 * @return 0, or -errno of the first failing map operation (the maps are
 * then partly updated; calling again with the same @want finishes the job);
 * -E2BIG when the allow map holds more entries than can be read back.
 */
int nfx_reconcile(const struct nfx_config *want, const struct nfx_config *running,
		  const struct nfx_reconcile_maps *maps);

#endif /* NFX_RECONCILE_H */
