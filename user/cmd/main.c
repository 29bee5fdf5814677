// SPDX-License-Identifier: BSD-2-Clause
/* main.c - nfxdp command dispatch. */
#include <stdio.h>
#include <string.h>

#include "cmd/cmd.h"
#include "base/log.h"
#include "io/liblog.h"

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;
} cmds[] = {
	{ "run", nfx_cmd_run, "collect flows from an interface (XDP + AF_XDP) or UDP sockets" },
	{ "reload", nfx_cmd_reload,
	  "reload a running daemon's configuration, or hand it over to new code" },
	{ "decode", nfx_cmd_decode, "decode the export packets of a pcap file to NDJSON" },
	{ "attach", nfx_cmd_attach, "attach the XDP program to an interface and pin its maps" },
	{ "detach", nfx_cmd_detach, "detach the XDP program and remove its pins" },
	{ "stats", nfx_cmd_stats, "print the kernel counters (nfx_stats)" },
	{ "clickhouse-schema", nfx_cmd_clickhouse_schema,
	  "print the ClickHouse DDL of the flow table (--table, --cluster)" },
	/* hidden: the configuration table, for the check of nfxdp.json(5) */
	{ "config-keys", nfx_cmd_config_keys, NULL },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: nfxdp [-v] COMMAND [ARGS]\n"
		   "       nfxdp --version\n\n"
		   "NetFlow v1/v5/v6/v7/v9, IPFIX and sFlow v5 collector with an XDP fast path.\n\n"
		   "commands:\n");
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (cmds[i].help)
			fprintf(f, "  %-17s %s\n", cmds[i].name, cmds[i].help);
	fprintf(f, "\n'nfxdp COMMAND --help' describes each command; man nfxdp, man nfxdp.json.\n"
		   "  -v         more log output (repeat for debug, incl. libbpf/libxdp)\n"
		   "  --version  print the version and the libbpf/libxdp versions in use\n");
}

int main(int argc, char **argv)
{
	int i = 1;

	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "-v")) {
			nfx_log_level++;
		} else if (!strcmp(argv[i], "--version")) {
			nfx_print_version(stdout);
			return 0;
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			return 0;
		} else {
			fprintf(stderr, "nfxdp: unknown option %s\n", argv[i]);
			usage(stderr);
			return 2;
		}
	}
	if (i >= argc) {
		usage(stderr);
		return 2;
	}
	nfx_log_hook_libs();
	for (size_t c = 0; c < sizeof(cmds) / sizeof(cmds[0]); c++)
		if (!strcmp(argv[i], cmds[c].name))
			return cmds[c].fn(argc - i, argv + i);
	fprintf(stderr, "nfxdp: unknown command '%s'\n", argv[i]);
	usage(stderr);
	return 2;
}
