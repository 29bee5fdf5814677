// SPDX-License-Identifier: BSD-2-Clause
/*
 * ch_schema.c - the ClickHouse flow table (one column per key of the
 * sink's flat rows) and `nfxdp clickhouse-schema`, which prints its DDL.
 *
 * Types are those ClickHouse 18.16 takes from JSONEachRow: addresses, MACs,
 * masks and ports as String (ports may be "*" after roll-up), times as
 * DateTime from Unix seconds.  Columns a record lacks (tos, vlan, ...) are
 * left out of the row and take the type's default (0 or ""): 18.16 does not
 * evaluate DEFAULT expressions for fields JSONEachRow omits, so `time` (the
 * partition and sort key) is written by the sink, not derived here.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sink/ch_schema.h"
#include "base/flow.h"
#include "base/log.h"

const struct nfx_ch_column nfx_ch_columns[] = {
	{ "time", "DateTime", "flush time (s): partition and sort key" },
	{ "flush_timestamp", "UInt64", "flush time (ms since the epoch)" },
	{ "type", "String", "netflow1/5/6/7/9, ipfix" },
	{ "sampling_rate", "UInt32", "0 = unknown" },
	{ "direction", "String", "ingress or egress" },
	{ "start", "DateTime", "flow start (s)" },
	{ "end", "DateTime", "flow end (s)" },
	{ "bytes", "UInt64", "" },
	{ "packets", "UInt64", "" },
	{ "ether_type", "String", "IPv4, IPv6 or empty" },
	{ "ip_protocol", "String", "TCP, UDP, ... or the number" },
	{ "namespace", "String", "device.namespace" },
	{ "exporter", "String", "exporter.ip" },
	{ "src_ip", "String", "source.ip" },
	{ "src_port", "String", "source.port (\"*\" when rolled up)" },
	{ "src_mac", "String", "source.mac" },
	{ "src_mask", "String", "source.mask (CIDR)" },
	{ "dst_ip", "String", "destination.ip" },
	{ "dst_port", "String", "destination.port" },
	{ "dst_mac", "String", "destination.mac" },
	{ "dst_mask", "String", "destination.mask" },
	{ "in_if", "UInt32", "ingress.interface.index" },
	{ "out_if", "UInt32", "egress.interface.index" },
	{ "host", "String", "the collector's host name" },
	{ "tcp_flags", "Array(String)", "FIN, SYN, ..." },
	{ "next_hop", "String", "next_hop.ip (empty when absent)" },
	{ "tos", "UInt8", "" },
	{ "src_as", "UInt32", "" },
	{ "dst_as", "UInt32", "" },
	{ "vlan", "UInt16", "" },
	{ "icmp_type", "UInt8", "" },
	{ "icmp_code", "UInt8", "" },
	{ "observation_domain_id", "UInt32", "" },
	{ "bgp_next_hop", "String", "bgp_next_hop.ip" },
	{ "src_reverse_dns_hostname", "String", "source.reverse_dns_hostname" },
	{ "dst_reverse_dns_hostname", "String", "destination.reverse_dns_hostname" },
	{ "additional_keys", "Array(String)", "mapped fields: keys ..." },
	{ "additional_values", "Array(String)", "... and their values as text" },
#define NFX_XFIELD_COLUMN_(id, key, ch, ie, bits, type) { key, ch, "IE " #ie },
	NFX_FLOW_XFIELDS(NFX_XFIELD_COLUMN_)
#undef NFX_XFIELD_COLUMN_
	{ "tun_src_ip", "String", "tunnel.source.ip: outer header of a tunnelled flow" },
	{ "tun_dst_ip", "String", "tunnel.destination.ip" },
	{ "tun_src_port", "UInt16", "tunnel.source.port" },
	{ "tun_dst_port", "UInt16", "tunnel.destination.port" },
	{ "tun_ip_protocol", "String", "tunnel.ip_protocol" },
	{ "nat_src_ip", "String", "nat_source.ip (post-NAT, empty when absent)" },
	{ "nat_src_port", "UInt16", "nat_source.port (post-NAPT)" },
	{ "nat_dst_ip", "String", "nat_destination.ip" },
	{ "nat_dst_port", "UInt16", "nat_destination.port" },
	{ "nat_event", "UInt8", "IANA natEvent (IE 230)" },
	{ "firewall_event", "UInt8", "IANA firewallEvent (IE 233, NSEL 40005)" },
	{ "mpls_top_label", "UInt32", "top MPLS label (IE 70, sFlow header)" },
	{ "mpls_labels", "Array(UInt32)", "MPLS label stack, top first (IE 70..79)" },
	{ "in_if_name", "String", "ingress.interface.name (options data ifName/ifDescr)" },
	{ "out_if_name", "String", "egress.interface.name" },
};
const size_t nfx_ch_ncolumns = sizeof(nfx_ch_columns) / sizeof(nfx_ch_columns[0]);

static int name_ok(const char *s)
{
	if (!s || !*s || strlen(s) > 128)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '_'))
			return 0;
	return 1;
}

static void print_columns(FILE *out)
{
	fprintf(out, "(\n");
	for (size_t i = 0; i < nfx_ch_ncolumns; i++) {
		const struct nfx_ch_column *c = &nfx_ch_columns[i];

		int n = fprintf(out, "    `%s` %s%s", c->name, c->type,
				i + 1 < nfx_ch_ncolumns ? "," : "");

		if (c->doc[0])
			fprintf(out, "%*s-- %s", n < 32 ? 32 - n : 1, "", c->doc);
		fprintf(out, "\n");
	}
	fprintf(out, ")\n");
}

/* db.table, or table alone */
static void print_name(FILE *out, const char *db, const char *table, const char *suffix)
{
	if (db)
		fprintf(out, "%s.", db);
	fprintf(out, "%s%s", table, suffix);
}

static void print_mergetree(FILE *out, const struct nfx_ch_schema_opts *o, const char *suffix,
			    int replicated)
{
	fprintf(out, "CREATE TABLE IF NOT EXISTS ");
	print_name(out, o->database, o->table, suffix);
	fprintf(out, "\n");
	print_columns(out);
	if (replicated)
		fprintf(out, "ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/%s%s%s%s', "
			"'{replica}')\n", o->database ? o->database : "", o->database ? "." : "",
			o->table, suffix);
	else
		fprintf(out, "ENGINE = MergeTree()\n");
	fprintf(out, "PARTITION BY toYYYYMMDD(time)\n"
		     "ORDER BY (exporter, time)\n");
	if (o->ttl_days)
		fprintf(out, "TTL time + INTERVAL %u DAY\n", o->ttl_days);
	fprintf(out, "SETTINGS index_granularity = 8192;\n");
}

int nfx_ch_schema_print(FILE *out, const struct nfx_ch_schema_opts *o)
{
	struct nfx_ch_schema_opts d = *o;
	int replicated;

	if (!d.table)
		d.table = "flows";
	if (!name_ok(d.table) || (d.cluster && !name_ok(d.cluster)) ||
	    (d.database && !name_ok(d.database)))
		return -EINVAL;
	replicated = d.engine == NFX_CH_REPLICATED || (d.cluster && d.engine == NFX_CH_ENGINE_AUTO);
	fprintf(out, "-- nfxdp flow records (nfxdp run --clickhouse URL --clickhouse-table %s)\n",
		d.table);
	if (!d.cluster) {
		if (replicated)
			fprintf(out, "-- ReplicatedMergeTree: needs <zookeeper> and the {shard} and "
				     "{replica} <macros> in the server configuration,\n"
				     "-- a retried batch (same bytes) is dropped as a duplicate block.\n");
		else
			fprintf(out, "-- one server: MergeTree, one partition per day.\n");
		print_mergetree(out, &d, "", replicated);
		return 0;
	}
	fprintf(out, "-- cluster '%s': run all of this on every server of the cluster.\n"
		     "-- %s_local holds each shard's rows%s. %s spans the shards:\n"
		     "-- collectors insert into it (rows spread by a hash of exporter and\n"
		     "-- addresses, so a retried batch splits the same way and each shard drops\n"
		     "-- its part as a duplicate), and queries read it.\n",
		d.cluster, d.table, replicated ? " (ReplicatedMergeTree: <zookeeper>, and\n"
		"-- <macros> {shard} and {replica} set per server)" : "", d.table);
	print_mergetree(out, &d, "_local", replicated);
	fprintf(out, "\nCREATE TABLE IF NOT EXISTS ");
	print_name(out, d.database, d.table, "");
	fprintf(out, " AS ");
	print_name(out, d.database, d.table, "_local");
	fprintf(out, "\nENGINE = Distributed(%s, %s, %s_local, "
		     "cityHash64(exporter, src_ip, dst_ip));\n",
		d.cluster, d.database ? d.database : "currentDatabase()", d.table);
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: nfxdp clickhouse-schema [--table NAME] [--cluster NAME] [--database DB]\n"
		"                               [--engine mergetree|replicated] [--ttl-days N]\n"
		"\n"
		"Prints the ClickHouse DDL of the table `nfxdp run --clickhouse` writes to:\n"
		"MergeTree, one partition per day (toYYYYMMDD(time)), ordered by (exporter,\n"
		"time).  With --cluster: TABLE_local (ReplicatedMergeTree with the {shard} and\n"
		"{replica} macros) on every server and TABLE, a Distributed table over the\n"
		"cluster, which the collectors insert into.  Pipe it to\n"
		"'clickhouse-client --multiquery'.\n"
		"\n"
		"  --table NAME      table name (default flows)\n"
		"  --cluster NAME    a cluster of <remote_servers>: local + Distributed tables\n"
		"  --database DB     qualify the tables with DB (default: the current one)\n"
		"  --engine E        mergetree or replicated (default: replicated with\n"
		"                    --cluster, else mergetree)\n"
		"  --ttl-days N      delete rows N days after their flush time\n");
}

int nfx_cmd_clickhouse_schema(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "table", required_argument, NULL, 't' },
		{ "cluster", required_argument, NULL, 'C' },
		{ "database", required_argument, NULL, 'd' },
		{ "engine", required_argument, NULL, 'e' },
		{ "ttl-days", required_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct nfx_ch_schema_opts o = { .table = "flows" };
	char *end;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 't': o.table = optarg; break;
		case 'C': o.cluster = optarg; break;
		case 'd': o.database = optarg; break;
		case 'e':
			if (!strcmp(optarg, "mergetree")) {
				o.engine = NFX_CH_MERGETREE;
			} else if (!strcmp(optarg, "replicated")) {
				o.engine = NFX_CH_REPLICATED;
			} else {
				pr_warn("--engine: mergetree or replicated, not '%s'\n", optarg);
				return 2;
			}
			break;
		case 'T':
			errno = 0;
			o.ttl_days = (unsigned int)strtoul(optarg, &end, 10);
			if (errno || *end || end == optarg || optarg[0] == '-' || o.ttl_days > 100000) {
				pr_warn("--ttl-days: bad number '%s'\n", optarg);
				return 2;
			}
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc) {
		pr_warn("unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	if (nfx_ch_schema_print(stdout, &o)) {
		pr_warn("names may only hold letters, digits and '_'\n");
		return 2;
	}
	return fflush(stdout) ? 1 : 0;
}
