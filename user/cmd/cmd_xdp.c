// SPDX-License-Identifier: BSD-2-Clause
/*
 * cmd_xdp.c - `nfxdp attach`, `nfxdp detach` and `nfxdp stats`: the XDP
 * program without the daemon.  attach leaves it on the interface with its
 * maps pinned, for `nfxdp run` to adopt or for the stack's UDP socket to
 * get what it passes; stats reads the pinned counters (or, with --daemon,
 * the running daemons' own).
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"
#include "cmd/cmd.h"
#include "control/stats_file.h"
#include "decode/decode.h"
#include "io/loader.h"
#include "io/xdp_maps.h"

static void print_stats_table(const struct nfx_ctr *c)
{
	printf("%-6s", "slot");
	for (unsigned int f = 0; f < NFX_CTR_NUM; f++)
		printf(" %12s", nfx_ctr_names[f]);
	printf("\n");
	for (int s = 0; s < NFX_SLOT_MAX; s++) {
		printf("%-6s", nfx_slot_name(s));
		for (unsigned int f = 0; f < NFX_CTR_NUM; f++)
			printf(" %12llu", (unsigned long long)nfx_ctr_get(&c[s], f));
		printf("\n");
	}
}

static void print_stats_json(const struct nfx_ctr *c)
{
	printf("{");
	for (int s = 0; s < NFX_SLOT_MAX; s++) {
		printf("%s\"%s\":{", s ? "," : "", nfx_slot_name(s));
		for (unsigned int f = 0; f < NFX_CTR_NUM; f++)
			printf("%s\"%s\":%llu", f ? "," : "", nfx_ctr_names[f],
			       (unsigned long long)nfx_ctr_get(&c[s], f));
		printf("}");
	}
	printf("}\n");
}

/* ---- subcommands ---- */

enum { OPT_PIN_DIR = 0x100, OPT_FORCE, OPT_SKB, OPT_JSON, OPT_DAEMON };

static void attach_usage(FILE *f)
{
	fprintf(f, "usage: nfxdp attach -i IF [-p PORT[/legacy|/modern|/all|/sflow]]... [--skb]\n"
		   "                    [--pin-dir DIR] [--force]\n"
		   "Attaches the XDP program to IF, pins its maps (default %s) and\n"
		   "leaves it attached.  Default ports: 2055 (all versions), 4739 (v9, IPFIX).\n"
		   "\n"
		   "  -i, --interface IF  the interface\n"
		   "  -p, --port PORT     listener port, repeatable, as for 'nfxdp run'\n",
		NFX_PIN_DIR_DEFAULT);
}

int nfx_cmd_attach(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "interface", required_argument, NULL, 'i' },
		{ "port", required_argument, NULL, 'p' },
		{ "pin-dir", required_argument, NULL, OPT_PIN_DIR },
		{ "skb", no_argument, NULL, OPT_SKB },
		{ "force", no_argument, NULL, OPT_FORCE },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct nfx_port_want ports[NFX_MAX_PORTS];
	struct nfx_loader_opts o = {};
	struct nfx_loader *l;
	size_t nports = 0;
	int c, err;

	optind = 1;
	while ((c = getopt_long(argc, argv, "i:p:h", lo, NULL)) != -1) {
		switch (c) {
		case 'i': o.ifname = optarg; break;
		case 'p':
			if (nports == NFX_MAX_PORTS || nfx_port_parse(optarg, &ports[nports])) {
				pr_warn("bad or too many ports: %s\n", optarg);
				return 2;
			}
			nports++;
			break;
		case OPT_PIN_DIR: o.pin_dir = optarg; break;
		case OPT_SKB: o.skb_mode = 1; break;
		case OPT_FORCE: o.force = 1; break;
		case 'h': attach_usage(stdout); return 0;
		default: attach_usage(stderr); return 2;
		}
	}
	if (!o.ifname) {
		attach_usage(stderr);
		return 2;
	}
	if (!nports) {
		nfx_port_parse("2055", &ports[nports++]);
		nfx_port_parse("4739", &ports[nports++]);
	}
	l = nfx_loader_new(&o);
	if (!l)
		return 1;
	err = nfx_ports_reconcile(nfx_loader_ports_fd(l), ports, nports);
	if (err) {
		pr_warn("cannot set the listener ports: %s\n", strerror(-err));
		nfx_loader_free(l);
		return 1;
	}
	nfx_loader_keep(l);
	printf("%s: %s attached (%s), maps in %s\n", o.ifname, NFX_PROG_NAME,
	       nfx_loader_mode(l), nfx_loader_pin_dir(l));
	nfx_loader_free(l);
	return 0;
}

int nfx_cmd_detach(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "interface", required_argument, NULL, 'i' },
		{ "pin-dir", required_argument, NULL, OPT_PIN_DIR },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *ifname = NULL, *pin_dir = NFX_PIN_DIR_DEFAULT;
	__u32 id = 0;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "i:h", lo, NULL)) != -1) {
		switch (c) {
		case 'i': ifname = optarg; break;
		case OPT_PIN_DIR: pin_dir = optarg; break;
		case 'h':
		default:
			fprintf(c == 'h' ? stdout : stderr,
				"usage: nfxdp detach -i|--interface IF [--pin-dir DIR]\n"
				"Detaches nfxdp's XDP program from IF and removes its pins.\n");
			return c == 'h' ? 0 : 2;
		}
	}
	if (nfx_loader_detach(ifname, &id))
		return 1;
	if (id)
		printf("%s: detached program id %u\n", ifname, id);
	else
		printf("%s: no XDP program attached\n", ifname);
	nfx_pins_remove(pin_dir);
	return 0;
}

int nfx_cmd_stats(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "pin-dir", required_argument, NULL, OPT_PIN_DIR },
		{ "interface", required_argument, NULL, 'i' },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "daemon", optional_argument, NULL, OPT_DAEMON },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct nfx_ctr ctr[NFX_SLOT_MAX];
	const char *pin_dir = NULL, *daemon_file = NULL, *ifname = NULL;
	char path[PATH_MAX] = "";
	int c, fd, err, json = 0, daemon = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, "i:h", lo, NULL)) != -1) {
		switch (c) {
		case 'i': ifname = optarg; break;
		case OPT_PIN_DIR: pin_dir = optarg; break;
		case OPT_JSON: json = 1; break;
		case OPT_DAEMON:
			daemon = 1;
			daemon_file = optarg;
			break;
		case 'h':
		default:
			fprintf(c == 'h' ? stdout : stderr,
				"usage: nfxdp stats [-i|--interface IF | --pin-dir DIR] [--json]\n"
				"       nfxdp stats --daemon[=FILE] [--json]\n"
				"Prints the XDP program's counters (%s), summed over CPUs: of the\n"
				"program on IF, else the pinned map, else the only one loaded (no bpffs);\n"
				"with --daemon, the running daemons' own counters (decoders, aggregation,\n"
				"output, ClickHouse sink, reverse DNS) from their stats files\n"
				"(default every file in %s).\n",
				nfx_textify(NFX_MAP_STATS), NFX_STATS_DIR);
			return c == 'h' ? 0 : 2;
		}
	}
	if (daemon)
		return nfx_daemon_stats_print(daemon_file, json) ? 1 : 0;
	fd = nfx_stats_open(pin_dir, ifname, path, sizeof(path));
	if (fd == -EPERM) {
		pr_warn("reading %s needs CAP_BPF (and CAP_SYS_ADMIN without pins): run as root\n",
			nfx_textify(NFX_MAP_STATS));
		return 1;
	}
	if (fd == -ENOENT && !ifname)
		pr_warn("no %s found (pinned in %s, or loaded): is nfxdp attached ('nfxdp attach "
			"-i IF' or 'nfxdp run -i IF')?\n", nfx_textify(NFX_MAP_STATS),
			pin_dir ? pin_dir : NFX_PIN_DIR_DEFAULT ", tc/globals or xdp/globals");
	if (fd < 0)
		return 1;
	err = nfx_stats_read(fd, ctr);
	close(fd);
	if (err == -EPROTO) {
		pr_warn("%s was made by another nfxdp version (its layout differs): detach that "
			"program and attach this version's ('nfxdp detach -i IF')\n", path);
		return 1;
	}
	if (err) {
		pr_warn("cannot read %s: %s\n", path, strerror(-err));
		return 1;
	}
	if (json)
		print_stats_json(ctr);
	else
		print_stats_table(ctr);
	return 0;
}
