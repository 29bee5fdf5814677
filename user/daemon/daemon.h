/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * daemon.h - the collector daemon (`nfxdp run`): XDP + AF_XDP input, or plain
 * UDP sockets, into the decoders and the NDJSON writer; one worker
 * (decoder, aggregators, writer) per RX queue.  The entry point is
 * nfx_cmd_run() in cmd.h.
 */
#ifndef NFX_RUN_H
#define NFX_RUN_H

#include <stddef.h>
#include <stdint.h>

#include "control/stats_file.h"
#include "io/xdp_maps.h"

struct nfx_run_opts {
	const char *ifname;		/* NULL: --udp mode */
	const char *config_path;	/* -c: JSON configuration, watched */
	const char *metrics_listen;	/* --metrics [ADDR:]PORT, NULL = off */
	const char *stats_file;		/* --stats-file, NULL = the default, "none" = off */
	const char *out_path;		/* NULL: the configuration's, "-" = stdout */
	const char *pin_dir;
	const char *bind_addr;
	const char *namespace;		/* NULL: the configuration's */
	struct nfx_port_want ports[NFX_MAX_PORTS];
	size_t nports;			/* 0: the configuration's listeners */
	int raw;			/* --raw; the configuration's output.raw too */
	int gzip;
	uint64_t rotate_size;
	uint32_t rotate_secs;
	int skb_mode;
	int no_attach;
	int force;
	int udp_only;
	int ms_times;			/* also write start_ms/end_ms */
	int rdns;			/* --rdns: reverse DNS names (else the configuration's) */
	const char *rdns_server;	/* --rdns-server IP[:PORT]; implies --rdns */
	const char *ch_url;		/* --clickhouse URL: also insert into ClickHouse */
	const char *ch_table;		/* --clickhouse-table (default flows) */
	const char *ch_spool;		/* --clickhouse-spool DIR */
	uint64_t ch_spool_max;		/* --clickhouse-spool-max BYTES (default 1 GiB) */
	uint32_t ch_batch_rows;		/* --clickhouse-batch-rows (default 50000) */
	uint32_t ch_batch_ms;		/* --clickhouse-batch-ms (default 1000) */
	uint32_t workers;		/* --workers: 0 = one per RX queue (<= CPUs) */
};

/* Parses the command line of `nfxdp run`; 0, 1 after --help, or -EINVAL. */
int nfx_run_parse(int argc, char **argv, struct nfx_run_opts *o);
/* Runs until SIGINT/SIGTERM; 0 or -errno. */
int nfx_run(const struct nfx_run_opts *o);

#endif /* NFX_RUN_H */
