/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * opts.h - the options of `nfxdp run` that belong to the process (which
 * interface, how to attach, pins, sockets, metrics) and the command line's
 * values of configuration keys, kept as overrides for every load.
 */
#ifndef NFX_DAEMON_OPTS_H
#define NFX_DAEMON_OPTS_H

#include "control/config.h"
#include "io/xdp_maps.h"

struct nfx_run_opts {
	const char *ifname;		/* NULL: --udp mode */
	const char *config_path;	/* -c: JSON or YAML configuration, watched; NULL = defaults */
	const char *metrics_listen;	/* --metrics [ADDR:]PORT, NULL = off */
	const char *stats_file;		/* --stats-file, NULL = the default, "none" = off */
	const char *pin_dir;
	const char *bind_addr;
	int skb_mode;
	int no_attach;
	int force;
	int udp_only;
	int takeover;			/* --takeover: from the daemon running on ifname */
	/* command-line values of configuration keys, applied on top of the file */
	struct nfx_cfg_overrides ov;
	/* -p PORT... as the "listeners" key (JSON), ov points into it */
	char listeners[NFX_MAX_PORTS * 2 * 48 + 4];
	int nports;
};

#endif /* NFX_DAEMON_OPTS_H */
