/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ch_schema.h - the ClickHouse table the sink (sink_ch.h) writes to, and
 * `nfxdp clickhouse-schema`, which prints its DDL for ClickHouse 18.16:
 * a MergeTree table partitioned by day and ordered by (exporter, time), or,
 * with --cluster, a ReplicatedMergeTree table per shard ({shard}/{replica}
 * macros) under a Distributed table over that cluster.
 */
#ifndef NFX_CH_SCHEMA_H
#define NFX_CH_SCHEMA_H

#include <stddef.h>
#include <stdio.h>

/* One column: its name (= the row's JSON key), ClickHouse type, meaning. */
struct nfx_ch_column {
	const char *name;
	const char *type;
	const char *doc;
};

extern const struct nfx_ch_column nfx_ch_columns[];
extern const size_t nfx_ch_ncolumns;

enum nfx_ch_engine {
	NFX_CH_ENGINE_AUTO = 0,		/* MergeTree; ReplicatedMergeTree with a cluster */
	NFX_CH_MERGETREE,
	NFX_CH_REPLICATED,		/* ZooKeeper + {shard}/{replica} macros */
};

struct nfx_ch_schema_opts {
	const char *table;		/* default "flows" */
	const char *cluster;		/* NULL: one table; else local + Distributed */
	const char *database;		/* NULL: currentDatabase() / unqualified */
	int engine;			/* enum nfx_ch_engine */
	unsigned int ttl_days;		/* 0: keep forever */
};

/* Writes the DDL (statements end with ";\n"). 0 or -EINVAL. */
int nfx_ch_schema_print(FILE *out, const struct nfx_ch_schema_opts *o);

/* `nfxdp clickhouse-schema [--table NAME] [--cluster NAME] ...`: exit status. */
int nfx_cmd_clickhouse_schema(int argc, char **argv);

#endif /* NFX_CH_SCHEMA_H */
