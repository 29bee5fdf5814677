/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * config.h - the configuration file (`nfxdp run -c FILE`, JSON or YAML)
 * with the Datadog Agent's key names, parsed into a plain struct nfx_config that
 * owns its strings, plus the diff that tells reconcile what changed.
 *
 * Every option lives in one table in config.c (name, type, bounds, default,
 * change bit, runtime/restart flag); the parser, the defaults and the diff
 * are all driven by it.
 */
#ifndef NFX_CONFIG_H
#define NFX_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/fieldmap.h"
#include "base/flow.h"
#include "decode/policy.h"
#include "io/xdp_maps.h"

enum nfx_listen_type {
	NFX_LISTEN_NETFLOW5 = 0,	/* accepts v1/v5/v6/v7 (NFX_VERS_LEGACY) */
	NFX_LISTEN_NETFLOW9,		/* accepts v9 and IPFIX (NFX_VERS_MODERN) */
	NFX_LISTEN_IPFIX,		/* likewise */
	NFX_LISTEN_SFLOW5,		/* sFlow v5 (NFX_VERS_SFLOW), default port 6343 */
};


/* One additional-field mapping: IE @field goes to key @destination. */
struct nfx_mapping {
	uint32_t enterprise;		/* IPFIX private enterprise number, 0 = IANA */
	uint16_t field;			/* IE id / v9 field type */
	uint8_t type;			/* enum nfx_map_type */
	uint8_t little_endian;		/* integers only; default big */
	char *destination;		/* a built-in key name overrides that field */
};

struct nfx_listener {
	uint8_t flow_type;		/* enum nfx_listen_type */
	uint16_t port;
	uint32_t versions;		/* NFX_VER_BIT mask implied by flow_type */
	char *namespace;		/* never NULL: the top-level one by default */
	char *bind_host;		/* UDP socket address; NULL = --bind's (::) */
	struct nfx_mapping *mapping;
	size_t nmapping;
};

struct nfx_output_cfg {
	char *path;			/* "-" = stdout */
	uint64_t rotate_size;		/* bytes, 0 = off */
	uint32_t rotate_interval;	/* s, 0 = off */
	bool gzip;
	bool raw;			/* one record per flow, no aggregation */
	char *ch_url;			/* ClickHouse HTTP URL, "" = no ClickHouse sink */
	char *ch_table;			/* "" = flows */
	char *ch_spool;			/* spool directory, "" = batches wait in memory */
	uint64_t ch_spool_max;		/* bytes, 0 = the sink's default */
	uint32_t ch_batch_rows;		/* rows per INSERT, 0 = the sink's default */
	uint32_t ch_batch_ms;		/* batch age that sends it, 0 = the sink's default */
	bool ms_times;			/* also write start_ms/end_ms */
	uint32_t mode;			/* permissions of the files it creates (0640) */
};

struct nfx_config {
	bool enabled;			/* false: the port map is emptied */
	char *namespace;
	struct nfx_listener *listeners;
	size_t nlisteners;

	uint32_t agg_flush_interval;		/* s */
	uint32_t agg_flow_context_ttl;		/* s */
	uint32_t agg_port_rollup_threshold;
	bool agg_port_rollup_disabled;
	uint32_t agg_rollup_tracker_refresh;	/* s */
	uint32_t agg_max_contexts;
	uint64_t agg_max_memory;		/* bytes, every aggregator; 0 = half of RAM */

	uint32_t template_ttl;			/* s */
	uint32_t template_sweep_interval;	/* s */
	uint32_t max_exporters;
	uint32_t eviction_min_idle;		/* s: a full table's idle entries give way */
	uint32_t max_templates;
	uint32_t max_templates_per_exporter;
	uint32_t max_template_fields;
	uint32_t max_sessions;			/* v5/v7 sequence sessions */
	uint32_t pending_bytes_per_exporter;	/* 0: data before its template not held */
	uint32_t pending_sets_per_exporter;
	uint32_t pending_total_bytes;
	uint32_t pending_max_age;		/* s */
	uint32_t max_sflow_interfaces;		/* sFlow agents' interfaces with counters kept */
	uint32_t workers;			/* worker threads, 0 = one per RX queue */
	uint32_t busy_poll_usecs;		/* AF_XDP busy polling (SO_BUSY_POLL), 0 = off */
	uint32_t busy_poll_budget;		/* packets per busy poll (SO_BUSY_POLL_BUDGET) */
	char *user;				/* run as this user after setup; "" = stay */

	struct nfx_prefix *allow;	/* sorted, no duplicates; empty = all allowed */
	size_t nallow;

	struct nfx_output_cfg output;

	/* reverse DNS enrichment (user/rdns.h) */
	bool rdns_enabled;		/* reverse_dns_enrichment_enabled */
	char *rdns_server;		/* "" = /etc/resolv.conf */
	char **rdns_prefixes;		/* NULL = the default (private) set */
	size_t nrdns_prefixes;
	uint32_t rdns_cache_ttl;	/* s */
	uint32_t rdns_negative_ttl;	/* s */
	uint32_t rdns_error_ttl;	/* s */
	uint32_t rdns_max_entries;
	uint32_t rdns_rate_limit;	/* queries/s */

	/* state file directory: "" = the default (daemon/persist.c), "none" = no state file */
	char *state_dir;
	/* decoder policy (decode/policy.h), applied on reload */
	bool biflow_reverse;		/* biflow_reverse_records */
	bool sampling_renormalize;
	bool exporter_from_export;	/* exporter_address_from_export */
	uint32_t max_interface_names;	/* interface names from options data kept */
	struct nfx_sampling_rule *sampling;	/* sampling_rates, longest prefix first */
	size_t nsampling;
};

/* nfx_config_diff() bits. */
#define NFX_CFG_CH_PORTS	(1u << 0)	/* listener ports/versions or enabled */
#define NFX_CFG_CH_ALLOW	(1u << 1)	/* exporter allow-list */
#define NFX_CFG_CH_AGG		(1u << 2)	/* aggregator timers/thresholds */
#define NFX_CFG_CH_OUTPUT	(1u << 3)	/* output path/rotation/gzip */
#define NFX_CFG_CH_TEMPLATES	(1u << 4)	/* template TTL/sweep */
#define NFX_CFG_CH_MAPPING	(1u << 5)	/* additional-field mappings */
#define NFX_CFG_CH_NAMESPACE	(1u << 6)	/* top-level or listener namespace */
#define NFX_CFG_CH_LIMITS	(1u << 7)	/* max_* table sizes */
#define NFX_CFG_CH_RAW		(1u << 8)	/* output.raw (aggregation on/off) */
#define NFX_CFG_CH_RDNS		(1u << 9)	/* reverse DNS settings */
#define NFX_CFG_CH_DECODE	(1u << 10)	/* decoder policy (biflow, ...) */
#define NFX_CFG_CH_ALL		0x7ffu		/* every change bit above */
#define NFX_CFG_CH_RESTART	(1u << 31)	/* some changed option needs a restart */

/**
 * nfx_config_load() - read, parse and validate a configuration file.
 * @path:   the file
 * @out:    receives a new configuration on success; untouched on failure
 * @err:    receives "FILE: WHERE: WHAT" on failure (may be NULL)
 * @errlen: size of @err
 *
 * Unknown keys are logged as warnings and otherwise ignored.  A missing
 * key takes its default; a missing "listeners" means the default listeners
 * (netflow5 + netflow9 on 2055, ipfix on 4739), "listeners": [] means none.
 * The file is never opened when it is not a regular file (a FIFO would
 * block), and refused when someone else than its owner may write it or
 * when its owner is neither root nor the caller's effective user.
 * @return 0; -ENOENT/-EACCES/... when the file cannot be read; -EINVAL for
 * a path that is not a regular file, a syntax error, wrong type,
 * out-of-range value or inconsistent listeners; -EPERM for the owner or
 * mode; -EFBIG over 1 MiB; -E2BIG when a list or a YAML bound (depth,
 * nodes, anchors: control/config_yaml.h) is exceeded; -ENOMEM.
 */
int nfx_config_load(const char *path, struct nfx_config **out, char *err, size_t errlen);

/*
 * Values given on the command line, key by key ("output.path",
 * "reverse_dns_enrichment_enabled"): applied on top of the file at every
 * load and reload, so each key's precedence is decided in one place.  The
 * strings must outlive the loads (argv does).
 */
#define NFX_CFG_MAX_OVERRIDES	32

struct nfx_cfg_overrides {
	struct {
		const char *key;
		const char *value;	/* text for string keys, JSON for the others */
	} v[NFX_CFG_MAX_OVERRIDES];
	unsigned int n;
};

/* Adds @key = @value, or replaces an earlier value of @key.  0 or -E2BIG. */
int nfx_cfg_override(struct nfx_cfg_overrides *ov, const char *key, const char *value);

/**
 * nfx_config_build() - the running configuration: @path (NULL = every key
 * at its default) with @ov (may be NULL) on top, validated as one file.
 * @return as nfx_config_load(); an override of an unknown key or with a
 * value its key cannot take is -EINVAL, reported with the key.
 */
int nfx_config_build(const char *path, const struct nfx_cfg_overrides *ov,
		     struct nfx_config **out, char *err, size_t errlen);

/**
 * nfx_config_parse() - nfx_config_load() on a buffer; @name is used in
 * messages in place of the path.
 * @return as nfx_config_load().
 */
int nfx_config_parse(const char *name, const char *text, size_t len, struct nfx_config **out,
		     char *err, size_t errlen);

/**
 * nfx_config_default() - what `nfxdp run` uses without -c: every option at
 * its default and listeners netflow5+netflow9 on 2055, ipfix on 4739.
 * @return a new configuration, or NULL with errno = ENOMEM.
 */
struct nfx_config *nfx_config_default(void);

/* Frees @c and everything it owns; NULL is fine. */
void nfx_config_free(struct nfx_config *c);

/**
 * nfx_config_ports() - the port map @c wants: one entry per distinct port,
 * sorted by port, listeners on one port merged (their versions OR-ed).
 * Empty when @c->enabled is false.
 * @return the number of entries written to @want, or -E2BIG when more than
 * @max would be needed.
 */
int nfx_config_ports(const struct nfx_config *c, struct nfx_port_want *want, size_t max);

/**
 * nfx_config_listener() - the listener whose namespace and mapping apply to
 * a packet of NetFlow @version arriving on @port.
 * @return the listener, or NULL when none accepts it (or @c is disabled).
 */
const struct nfx_listener *nfx_config_listener(const struct nfx_config *c, uint16_t port,
					       unsigned int version);

/**
 * nfx_config_diff() - what differs between two configurations.
 * @return a mask of NFX_CFG_CH_* bits, 0 when equivalent; NFX_CFG_CH_RESTART
 * is set when a changed option only takes effect after a restart.  With
 * either side NULL: NFX_CFG_CH_ALL (0 when both are).
 */
unsigned int nfx_config_diff(const struct nfx_config *old, const struct nfx_config *new);

/**
 * nfx_config_diff_str() - the names of the bits in @mask ("ports,allow-list"),
 * for a log line; "none" for 0.
 * @return @buf.
 */
const char *nfx_config_diff_str(unsigned int mask, char *buf, size_t len);

/*
 * One key of the option table as text, for `nfxdp config-keys` (the man
 * page nfxdp.json(5) is checked against it).
 */
struct nfx_cfg_key {
	char name[96];		/* "output.path", "listeners[].mapping[].field" */
	const char *type;	/* boolean, integer, port, string, enum, list */
	char def[64];		/* a JSON value, "required", or "-" (none or derived) */
	char range[128];	/* "1..86400", "1..100 chars", "big|little", "-" */
	bool restart;		/* a change takes effect only after a restart */
};

/* Calls @fn for every key, objects flattened ("output.path"), in table order. */
void nfx_config_keys(void (*fn)(const struct nfx_cfg_key *k, void *ctx), void *ctx);

/* "netflow5", "netflow9", "ipfix". */
const char *nfx_listen_type_str(unsigned int type);

/* "10.0.0.0/8", "2001:db8::/32", "1.2.3.4/32" into @buf (>= NFX_ADDR_STRLEN + 4). */
const char *nfx_allow_str(const struct nfx_prefix *a, char *buf, size_t len);

/* Orders allow entries by address then prefix length (the set order). */
int nfx_allow_cmp(const struct nfx_prefix *a, const struct nfx_prefix *b);

#endif /* NFX_CONFIG_H */
