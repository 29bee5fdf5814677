// SPDX-License-Identifier: BSD-2-Clause
/*
 * config.c - the configuration file: parsing and validation (json-c strict
 * mode for JSON, config_yaml.c's tree for YAML, one table for both), the
 * Datadog Agent's datadog.yaml layout, defaults, the port map it implies,
 * and the diff between two configurations that reconcile and the daemon
 * act on.
 *
 * Options are rows of a table (name, type, bounds, default, change bit,
 * runtime/restart flag), in the style of redis' static_configs[]: one walk
 * of the table fills the defaults, one parses a JSON object, one diffs two
 * configurations.  Lists (listeners, the allow-list) are rows with their own
 * parse and diff callbacks.  Errors say "FILE: WHERE: WHAT"; the first one
 * stops the parse, unknown keys only warn.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "control/config.h"
#include "control/config_yaml.h"
#include "agg/agg.h"
#include "base/log.h"
#include "enrich/rdns.h"

/* A configuration file is small; anything bigger is a mistake (a log?). */
#define CFG_MAX_FILE		(1u << 20)
#define CFG_MAX_MAPPINGS	256
#define CFG_MAX_LISTENERS	NFX_MAX_PORTS
#define CFG_MAX_NAMESPACE	100
#define DAY			86400u

/*
 * Parse state: where messages go and what the file is called in them.  A
 * YAML file also says where each value was written: @at is the node being
 * checked, and a message about it starts with its line and column.
 */
struct pctx {
	const char *name;
	char *err;
	size_t errlen;
	const struct nfx_yaml_doc *yaml;	/* NULL for JSON */
	json_object *at;
	json_object *keep;	/* values an override replaced: their marks must not be reused */
};

/* The node now checked; a JSON null (NULL) keeps its container's position. */
static void at(struct pctx *p, json_object *v)
{
	if (v)
		p->at = v;
}

/* @v of @container now checked: @v's position, or the container's for a null. */
static void at_in(struct pctx *p, json_object *container, json_object *v)
{
	p->at = container;
	at(p, v);
}

/* "L:C: " of p->at in a YAML file, "" otherwise. */
static const char *at_str(const struct pctx *p, char *buf, size_t len)
{
	const struct nfx_yaml_mark *m = nfx_yaml_mark(p->yaml, p->at);

	if (!m)
		return "";
	snprintf(buf, len, "%u:%u: ", m->line, m->col);
	return buf;
}

static int perr(struct pctx *p, int err, const char *where, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Formats "NAME: WHERE: message" into the caller's buffer; returns @err. */
static int perr(struct pctx *p, int err, const char *where, const char *fmt, ...)
{
	char pos[32];
	va_list ap;
	int n;

	if (!p->err || !p->errlen)
		return err;
	n = snprintf(p->err, p->errlen, "%s: %s%s%s", p->name,
		     where ? at_str(p, pos, sizeof(pos)) : "", where ? where : "",
		     where && *where ? ": " : "");
	if (n >= 0 && (size_t)n < p->errlen) {
		va_start(ap, fmt);
		vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return err;
}

/* ---- the option table ---- */

enum opt_type {
	OPT_BOOL,	/* bool */
	OPT_U16,	/* uint16_t */
	OPT_U32,	/* uint32_t */
	OPT_U64,	/* uint64_t */
	OPT_PORT,	/* uint16_t, 1..65535, own message */
	OPT_STR,	/* char *, length within [min, max] */
	OPT_ENUM,	/* uint8_t index into names[] */
	OPT_OBJECT,	/* nested table, same base struct */
	OPT_LIST,	/* custom parse/diff/dflt callbacks */
	OPT_MODE,	/* uint32_t file permissions, written as octal digits: "0640" */
};

/* Whether a changed option takes effect on reload or only after a restart. */
#define NFX_CFG_RUNTIME	0
#define NFX_CFG_RESTART	1

/* Row flags beyond runtime/restart. */
#define OPT_REQUIRED	(1u << 1)	/* no default: must be present */

struct opt;

typedef int (*opt_parse_fn)(struct pctx *p, const struct opt *o, json_object *v, void *base,
			    const char *where);
typedef unsigned int (*opt_diff_fn)(const void *a, const void *b);
typedef int (*opt_dflt_fn)(void *base);

struct opt {
	const char *name;
	uint8_t type;		/* enum opt_type */
	uint8_t flags;		/* NFX_CFG_RUNTIME/RESTART, OPT_REQUIRED */
	uint64_t min, max;	/* numbers: value bounds; strings: length bounds */
	uint64_t def;		/* numbers, bools, enums */
	const char *def_str;	/* strings */
	size_t off;		/* into the base struct */
	unsigned int change;	/* NFX_CFG_CH_* bit when it differs */
	const char *const *names;	/* OPT_ENUM values, NULL-terminated */
	const char *const *unsupported;	/* OPT_ENUM values known but refused */
	const struct opt *sub;	/* OPT_OBJECT */
	size_t nsub;
	opt_parse_fn parse;	/* OPT_LIST */
	opt_diff_fn diff;
	opt_dflt_fn dflt;
};

#define CFG_OFF(f)	offsetof(struct nfx_config, f)
#define ARRAY_LEN(a)	(sizeof(a) / sizeof((a)[0]))

static const char *const flow_type_names[] = { "netflow5", "netflow9", "ipfix", "sflow5", NULL };
static const char *const flow_type_unsupported[] = { "sflow", NULL };
static const char *const map_type_names[] = { "hex", "string", "integer", "ip", NULL };
static const char *const endian_names[] = { "big", "little", NULL };

static const uint16_t default_port[] = { 2055, 2055, 4739, 6343 };
static const uint32_t type_versions[] = { NFX_VERS_LEGACY, NFX_VERS_MODERN, NFX_VERS_MODERN,
					  NFX_VERS_SFLOW };

static int parse_listeners(struct pctx *p, const struct opt *o, json_object *v, void *base,
			   const char *where);
static unsigned int diff_listeners(const void *a, const void *b);
static int dflt_listeners(void *base);
static int parse_allow(struct pctx *p, const struct opt *o, json_object *v, void *base,
		       const char *where);
static unsigned int diff_allow(const void *a, const void *b);
static int parse_rdns_prefixes(struct pctx *p, const struct opt *o, json_object *v, void *base,
			       const char *where);
static unsigned int diff_rdns_prefixes(const void *a, const void *b);
static int parse_sampling(struct pctx *p, const struct opt *o, json_object *v, void *base,
			  const char *where);
static unsigned int diff_sampling(const void *a, const void *b);

static const struct opt output_opts[] = {
	{ .name = "path", .type = OPT_STR, .min = 1, .max = 4095, .def_str = "-",
	  .off = CFG_OFF(output.path), .change = NFX_CFG_CH_OUTPUT },
	{ .name = "rotate_size", .type = OPT_U64, .min = 0, .max = 1ull << 50,
	  .off = CFG_OFF(output.rotate_size), .change = NFX_CFG_CH_OUTPUT },
	{ .name = "rotate_interval", .type = OPT_U32, .min = 0, .max = 31 * DAY,
	  .off = CFG_OFF(output.rotate_interval), .change = NFX_CFG_CH_OUTPUT },
	{ .name = "gzip", .type = OPT_BOOL, .off = CFG_OFF(output.gzip),
	  .change = NFX_CFG_CH_OUTPUT },
	{ .name = "raw", .type = OPT_BOOL, .flags = NFX_CFG_RESTART, .off = CFG_OFF(output.raw),
	  .change = NFX_CFG_CH_RAW },
	{ .name = "clickhouse_url", .type = OPT_STR, .flags = NFX_CFG_RESTART, .min = 0,
	  .max = 1024, .def_str = "", .off = CFG_OFF(output.ch_url), .change = NFX_CFG_CH_OUTPUT },
	{ .name = "clickhouse_table", .type = OPT_STR, .flags = NFX_CFG_RESTART, .min = 0,
	  .max = 200, .def_str = "", .off = CFG_OFF(output.ch_table), .change = NFX_CFG_CH_OUTPUT },
	{ .name = "clickhouse_spool_dir", .type = OPT_STR, .flags = NFX_CFG_RESTART, .min = 0,
	  .max = 4095, .def_str = "", .off = CFG_OFF(output.ch_spool), .change = NFX_CFG_CH_OUTPUT },
	{ .name = "clickhouse_spool_max", .type = OPT_U64, .flags = NFX_CFG_RESTART, .min = 0,
	  .max = 1ull << 50, .off = CFG_OFF(output.ch_spool_max), .change = NFX_CFG_CH_OUTPUT },
	{ .name = "clickhouse_batch_rows", .type = OPT_U32, .flags = NFX_CFG_RESTART, .min = 0,
	  .max = 10000000, .off = CFG_OFF(output.ch_batch_rows), .change = NFX_CFG_CH_OUTPUT },
	{ .name = "clickhouse_batch_ms", .type = OPT_U32, .flags = NFX_CFG_RESTART, .min = 0,
	  .max = 3600000, .off = CFG_OFF(output.ch_batch_ms), .change = NFX_CFG_CH_OUTPUT },
	{ .name = "ms_times", .type = OPT_BOOL, .off = CFG_OFF(output.ms_times),
	  .change = NFX_CFG_CH_OUTPUT },
	{ .name = "mode", .type = OPT_MODE, .min = 0, .max = 0777, .def = 0640,
	  .off = CFG_OFF(output.mode), .change = NFX_CFG_CH_OUTPUT },
};

/*
 * Top level.  Order matters: "namespace" comes before "listeners", whose
 * namespace defaults to it, and "aggregator_flush_interval" before the TTL
 * that defaults to it.
 */
static const struct opt top_opts[] = {
	{ .name = "enabled", .type = OPT_BOOL, .def = 1, .off = CFG_OFF(enabled),
	  .change = NFX_CFG_CH_PORTS },
	{ .name = "namespace", .type = OPT_STR, .min = 1, .max = CFG_MAX_NAMESPACE,
	  .def_str = "default", .off = CFG_OFF(namespace), .change = NFX_CFG_CH_NAMESPACE },
	{ .name = "listeners", .type = OPT_LIST, .parse = parse_listeners,
	  .diff = diff_listeners, .dflt = dflt_listeners },
	{ .name = "aggregator_flush_interval", .type = OPT_U32, .min = 1, .max = DAY, .def = 300,
	  .off = CFG_OFF(agg_flush_interval), .change = NFX_CFG_CH_AGG },
	/* 0 until resolved: "same as the flush interval" */
	{ .name = "aggregator_flow_context_ttl", .type = OPT_U32, .min = 1, .max = 7 * DAY,
	  .off = CFG_OFF(agg_flow_context_ttl), .change = NFX_CFG_CH_AGG },
	{ .name = "aggregator_port_rollup_threshold", .type = OPT_U32, .min = NFX_AGG_ROLLUP_MIN,
	  .max = NFX_AGG_ROLLUP_MAX, .def = NFX_AGG_ROLLUP_THRESHOLD,
	  .off = CFG_OFF(agg_port_rollup_threshold), .change = NFX_CFG_CH_AGG },
	{ .name = "aggregator_port_rollup_disabled", .type = OPT_BOOL,
	  .off = CFG_OFF(agg_port_rollup_disabled), .change = NFX_CFG_CH_AGG },
	{ .name = "aggregator_rollup_tracker_refresh_interval", .type = OPT_U32, .min = 1,
	  .max = DAY, .def = 300, .off = CFG_OFF(agg_rollup_tracker_refresh),
	  .change = NFX_CFG_CH_AGG },
	{ .name = "aggregator_max_contexts", .type = OPT_U32, .min = 1,
	  .max = 1u << 26, .def = 1u << 20, .off = CFG_OFF(agg_max_contexts),
	  .change = NFX_CFG_CH_AGG },
	/* bytes; 0: half the machine's memory (README "Aggregation") */
	{ .name = "aggregator_max_memory", .type = OPT_U64, .min = 0, .max = 1ull << 50,
	  .off = CFG_OFF(agg_max_memory), .change = NFX_CFG_CH_AGG },
	{ .name = "template_ttl", .type = OPT_U32, .min = 1, .max = 7 * DAY, .def = 1800,
	  .off = CFG_OFF(template_ttl), .change = NFX_CFG_CH_TEMPLATES },
	{ .name = "template_sweep_interval", .type = OPT_U32, .min = 1, .max = DAY, .def = 300,
	  .off = CFG_OFF(template_sweep_interval), .change = NFX_CFG_CH_TEMPLATES },
	{ .name = "max_exporters", .type = OPT_U32, .flags = NFX_CFG_RESTART, .min = 1,
	  .max = 1u << 20, .def = 4096, .off = CFG_OFF(max_exporters),
	  .change = NFX_CFG_CH_LIMITS },
	{ .name = "eviction_min_idle", .type = OPT_U32, .flags = NFX_CFG_RESTART, .min = 1,
	  .max = 7 * DAY, .def = 30, .off = CFG_OFF(eviction_min_idle),
	  .change = NFX_CFG_CH_LIMITS },
	{ .name = "max_templates", .type = OPT_U32, .flags = NFX_CFG_RESTART, .min = 1,
	  .max = 1u << 20, .def = 4096, .off = CFG_OFF(max_templates),
	  .change = NFX_CFG_CH_LIMITS },
	{ .name = "max_templates_per_exporter", .type = OPT_U32, .flags = NFX_CFG_RESTART,
	  .min = 1, .max = 65535, .def = 256, .off = CFG_OFF(max_templates_per_exporter),
	  .change = NFX_CFG_CH_LIMITS },
	{ .name = "max_template_fields", .type = OPT_U32, .flags = NFX_CFG_RESTART, .min = 1,
	  .max = 512, .def = 512, .off = CFG_OFF(max_template_fields),
	  .change = NFX_CFG_CH_LIMITS },
	{ .name = "max_sessions", .type = OPT_U32, .flags = NFX_CFG_RESTART, .min = 1,
	  .max = 1u << 24, .def = 65536, .off = CFG_OFF(max_sessions),
	  .change = NFX_CFG_CH_LIMITS },
	{ .name = "pending_bytes_per_exporter", .type = OPT_U32, .flags = NFX_CFG_RESTART,
	  .min = 0, .max = 1u << 20, .def = 16384, .off = CFG_OFF(pending_bytes_per_exporter),
	  .change = NFX_CFG_CH_LIMITS },
	{ .name = "pending_sets_per_exporter", .type = OPT_U32, .flags = NFX_CFG_RESTART,
	  .min = 1, .max = 65536, .def = 256, .off = CFG_OFF(pending_sets_per_exporter),
	  .change = NFX_CFG_CH_LIMITS },
	{ .name = "pending_total_bytes", .type = OPT_U32, .flags = NFX_CFG_RESTART, .min = 0,
	  .max = 1u << 30, .def = 1u << 20, .off = CFG_OFF(pending_total_bytes),
	  .change = NFX_CFG_CH_LIMITS },
	{ .name = "pending_max_age", .type = OPT_U32, .flags = NFX_CFG_RESTART, .min = 1,
	  .max = 3600, .def = 10, .off = CFG_OFF(pending_max_age),
	  .change = NFX_CFG_CH_LIMITS },
	{ .name = "max_sflow_interfaces", .type = OPT_U32, .flags = NFX_CFG_RESTART, .min = 1,
	  .max = 1u << 20, .def = 4096, .off = CFG_OFF(max_sflow_interfaces),
	  .change = NFX_CFG_CH_LIMITS },
	/* after setup the daemon runs as this user ("" = the one it was started as) */
	{ .name = "user", .type = OPT_STR, .flags = NFX_CFG_RESTART, .min = 0, .max = 64,
	  .def_str = "", .off = CFG_OFF(user), .change = NFX_CFG_CH_LIMITS },
	/* 0: one per RX queue, at most one per usable CPU */
	{ .name = "workers", .type = OPT_U32, .flags = NFX_CFG_RESTART, .min = 0, .max = 64,
	  .off = CFG_OFF(workers), .change = NFX_CFG_CH_LIMITS },
	/* AF_XDP sockets polled by their workers, not woken by interrupts; 0 = off */
	{ .name = "busy_poll_usecs", .type = OPT_U32, .flags = NFX_CFG_RESTART, .min = 0,
	  .max = 100000, .off = CFG_OFF(busy_poll_usecs), .change = NFX_CFG_CH_LIMITS },
	{ .name = "busy_poll_budget", .type = OPT_U32, .flags = NFX_CFG_RESTART, .min = 1,
	  .max = 65535, .def = 64, .off = CFG_OFF(busy_poll_budget),
	  .change = NFX_CFG_CH_LIMITS },
	{ .name = "exporter_allowlist", .type = OPT_LIST, .parse = parse_allow,
	  .diff = diff_allow },
	{ .name = "output", .type = OPT_OBJECT, .sub = output_opts,
	  .nsub = ARRAY_LEN(output_opts) },
	{ .name = "reverse_dns_enrichment_enabled", .type = OPT_BOOL,
	  .off = CFG_OFF(rdns_enabled), .change = NFX_CFG_CH_RDNS },
	{ .name = "reverse_dns_server", .type = OPT_STR, .min = 0, .max = 255, .def_str = "",
	  .off = CFG_OFF(rdns_server), .change = NFX_CFG_CH_RDNS },
	{ .name = "reverse_dns_prefixes", .type = OPT_LIST, .parse = parse_rdns_prefixes,
	  .diff = diff_rdns_prefixes },
	{ .name = "reverse_dns_cache_ttl", .type = OPT_U32, .min = 1, .max = 30 * DAY,
	  .def = 86400, .off = CFG_OFF(rdns_cache_ttl), .change = NFX_CFG_CH_RDNS },
	{ .name = "reverse_dns_negative_ttl", .type = OPT_U32, .min = 1, .max = 30 * DAY,
	  .def = 300, .off = CFG_OFF(rdns_negative_ttl), .change = NFX_CFG_CH_RDNS },
	{ .name = "reverse_dns_error_ttl", .type = OPT_U32, .min = 1, .max = DAY,
	  .def = 30, .off = CFG_OFF(rdns_error_ttl), .change = NFX_CFG_CH_RDNS },
	{ .name = "reverse_dns_max_entries", .type = OPT_U32, .min = 2, .max = 1u << 26,
	  .def = 1000000, .off = CFG_OFF(rdns_max_entries), .change = NFX_CFG_CH_RDNS },
	{ .name = "reverse_dns_rate_limit", .type = OPT_U32, .min = 1, .max = 1000000,
	  .def = 1000, .off = CFG_OFF(rdns_rate_limit), .change = NFX_CFG_CH_RDNS },
	/* templates and sequences kept across restarts; "" = the default, "none" = off */
	{ .name = "state_dir", .type = OPT_STR, .flags = NFX_CFG_RESTART, .min = 0, .max = 4000,
	  .def_str = "", .off = CFG_OFF(state_dir), .change = NFX_CFG_CH_LIMITS },
	{ .name = "biflow_reverse_records", .type = OPT_BOOL, .off = CFG_OFF(biflow_reverse),
	  .change = NFX_CFG_CH_DECODE },
	{ .name = "sampling_rates", .type = OPT_LIST, .parse = parse_sampling,
	  .diff = diff_sampling },
	{ .name = "sampling_renormalize", .type = OPT_BOOL, .off = CFG_OFF(sampling_renormalize),
	  .change = NFX_CFG_CH_DECODE },
	{ .name = "exporter_address_from_export", .type = OPT_BOOL,
	  .off = CFG_OFF(exporter_from_export), .change = NFX_CFG_CH_DECODE },
	{ .name = "max_interface_names", .type = OPT_U32, .flags = NFX_CFG_RESTART, .min = 1,
	  .max = 1u << 20, .def = 16384, .off = CFG_OFF(max_interface_names),
	  .change = NFX_CFG_CH_LIMITS },
};

/* A "sampling_rates" entry as written; "exporter" becomes a prefix after. */
struct sampling_entry {
	char *exporter;
	uint32_t rate;
	bool override;
};

static const struct opt sampling_opts[] = {
	{ .name = "exporter", .type = OPT_STR, .flags = OPT_REQUIRED, .min = 1, .max = 64,
	  .off = offsetof(struct sampling_entry, exporter) },
	{ .name = "rate", .type = OPT_U32, .flags = OPT_REQUIRED, .min = 1, .max = UINT32_MAX,
	  .off = offsetof(struct sampling_entry, rate) },
	{ .name = "override", .type = OPT_BOOL, .off = offsetof(struct sampling_entry, override) },
};

/* Listener and mapping objects, relative to their own structs. */
static const struct opt listener_opts[] = {
	{ .name = "flow_type", .type = OPT_ENUM, .flags = OPT_REQUIRED,
	  .off = offsetof(struct nfx_listener, flow_type), .names = flow_type_names,
	  .unsupported = flow_type_unsupported },
	/* 0 until resolved: the flow type's port */
	{ .name = "port", .type = OPT_PORT, .off = offsetof(struct nfx_listener, port) },
	/* NULL until resolved: the top-level namespace */
	{ .name = "namespace", .type = OPT_STR, .min = 1, .max = CFG_MAX_NAMESPACE,
	  .off = offsetof(struct nfx_listener, namespace) },
	/* an IPv4 or IPv6 address, checked by parse_listener() */
	{ .name = "bind_host", .type = OPT_STR, .min = 1, .max = INET6_ADDRSTRLEN - 1,
	  .off = offsetof(struct nfx_listener, bind_host), .change = NFX_CFG_CH_PORTS },
	/* "mapping" is parsed by parse_listener() itself */
};

static const struct opt mapping_opts[] = {
	{ .name = "field", .type = OPT_U16, .flags = OPT_REQUIRED, .min = 1, .max = 65535,
	  .off = offsetof(struct nfx_mapping, field) },
	{ .name = "enterprise", .type = OPT_U32, .min = 0, .max = UINT32_MAX,
	  .off = offsetof(struct nfx_mapping, enterprise) },
	{ .name = "destination", .type = OPT_STR, .flags = OPT_REQUIRED, .min = 1, .max = 255,
	  .off = offsetof(struct nfx_mapping, destination) },
	{ .name = "type", .type = OPT_ENUM, .off = offsetof(struct nfx_mapping, type),
	  .names = map_type_names },
	{ .name = "endianness", .type = OPT_ENUM,
	  .off = offsetof(struct nfx_mapping, little_endian),
	  .names = endian_names },
};

/*
 * Keys of the Datadog Agent's netflow section that nfxdp has no use for:
 * accepted without a warning and named in one log line per load
 * (nfxdp.json(5) "Datadog Agent keys" says why each).
 */
static const char *const agent_ignored[] = {
	"stop_timeout", "aggregator_buffer_size", "prometheus_listener_enabled",
	"prometheus_listener_address", "forwarder", "log_payloads",
	"drop_flows_before_ep_forwarder", "skip_hash_collision_detection",
	"aggregator_use_value_map", "aggregation_hash_use_sync_pool",
	"portrollup_use_fixed_size_key", NULL,
};

/*
 * A listener's keys beyond its rows: "mapping" (parse_listener()), and the
 * Agent's "workers" (mapped to the top-level workers by agent_keys()).
 */
static const char *const listener_extra[] = { "mapping", "workers", NULL };

/* ---- scalar access by row ---- */

static void *field_ptr(void *base, const struct opt *o)
{
	return (char *)base + o->off;
}

static uint64_t get_num(const void *base, const struct opt *o)
{
	const void *f = (const char *)base + o->off;

	switch (o->type) {
	case OPT_BOOL:
		return *(const bool *)f;
	case OPT_U16:
	case OPT_PORT:
		return *(const uint16_t *)f;
	case OPT_U32:
	case OPT_MODE:
		return *(const uint32_t *)f;
	case OPT_U64:
		return *(const uint64_t *)f;
	case OPT_ENUM:
		return *(const uint8_t *)f;
	default:
		return 0;
	}
}

static void set_num(void *base, const struct opt *o, uint64_t v)
{
	void *f = field_ptr(base, o);

	switch (o->type) {
	case OPT_BOOL:
		*(bool *)f = v != 0;
		break;
	case OPT_U16:
	case OPT_PORT:
		*(uint16_t *)f = (uint16_t)v;
		break;
	case OPT_U32:
	case OPT_MODE:
		*(uint32_t *)f = (uint32_t)v;
		break;
	case OPT_U64:
		*(uint64_t *)f = v;
		break;
	case OPT_ENUM:
		*(uint8_t *)f = (uint8_t)v;
		break;
	}
}

static const char *json_type_word(json_object *v)
{
	switch (json_object_get_type(v)) {
	case json_type_null:
		return "null";
	case json_type_boolean:
		return "a boolean";
	case json_type_double:
		return "a number with a fraction";
	case json_type_int:
		return "an integer";
	case json_type_object:
		return "an object";
	case json_type_array:
		return "an array";
	case json_type_string:
		return "a string";
	}
	return "something else";
}

/* Defaults of a table; strings are duplicated.  0 or -ENOMEM. */
static int apply_defaults(const struct opt *rows, size_t n, void *base)
{
	for (size_t i = 0; i < n; i++) {
		const struct opt *o = &rows[i];
		int err;

		switch (o->type) {
		case OPT_STR:
			if (!o->def_str)
				break;
			*(char **)field_ptr(base, o) = strdup(o->def_str);
			if (!*(char **)field_ptr(base, o))
				return -ENOMEM;
			break;
		case OPT_OBJECT:
			err = apply_defaults(o->sub, o->nsub, base);
			if (err)
				return err;
			break;
		case OPT_LIST:
			if (o->dflt && (err = o->dflt(base)))
				return err;
			break;
		default:
			set_num(base, o, o->def);
			break;
		}
	}
	return 0;
}

static int parse_enum(struct pctx *p, const struct opt *o, json_object *v, void *base,
		      const char *where)
{
	const char *s = json_object_get_string(v);
	char list[128] = "";

	for (unsigned int i = 0; o->names[i]; i++)
		if (!strcmp(s, o->names[i])) {
			set_num(base, o, i);
			return 0;
		}
	for (unsigned int i = 0; o->names[i]; i++)
		snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s", i ? ", " : "",
			 o->names[i]);
	for (unsigned int i = 0; o->unsupported && o->unsupported[i]; i++)
		if (!strcmp(s, o->unsupported[i]))
			return perr(p, -EINVAL, where, "\"%s\" is not supported by nfxdp (use %s)",
				    s, list);
	return perr(p, -EINVAL, where, "\"%s\" is not one of %s", s, list);
}

static int parse_string(struct pctx *p, const struct opt *o, json_object *v, void *base,
			const char *where)
{
	const char *s = json_object_get_string(v);
	size_t len = (size_t)json_object_get_string_len(v);
	char **dst = field_ptr(base, o);

	if (strlen(s) != len)
		return perr(p, -EINVAL, where, "contains a NUL character");
	if (o->type == OPT_ENUM)
		return parse_enum(p, o, v, base, where);
	if (len < o->min || len > o->max) {
		if (!len)
			return perr(p, -EINVAL, where, "must not be empty");
		return perr(p, -EINVAL, where, "is %zu characters long (at most %" PRIu64 ")",
			    len, o->max);
	}
	free(*dst);
	*dst = strdup(s);
	return *dst ? 0 : -ENOMEM;
}

static int parse_number(struct pctx *p, const struct opt *o, json_object *v, void *base,
			const char *where)
{
	int64_t n = json_object_get_int64(v);
	uint64_t min = o->type == OPT_PORT ? 1 : o->min;
	uint64_t max = o->type == OPT_PORT ? 65535 : o->max;

	/* json-c clamps what does not fit; the text shows what was written */
	if (n < 0 || (uint64_t)n < min || (uint64_t)n > max || n == INT64_MAX) {
		const char *text = json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN);

		if (o->type == OPT_PORT)
			return perr(p, -EINVAL, where, "%s is not a port (1-65535)", text);
		return perr(p, -EINVAL, where, "%s is out of range (%" PRIu64 "-%" PRIu64 ")", text,
			    min, max);
	}
	set_num(base, o, (uint64_t)n);
	return 0;
}

/*
 * Permissions as chmod(1) writes them: octal digits in a string (a JSON
 * number would read 0640 as decimal 640).  Never writable by others.
 */
static int parse_mode(struct pctx *p, const struct opt *o, json_object *v, void *base,
		      const char *where)
{
	const char *s = json_object_get_string(v);
	size_t len = strlen(s);

	if (!len || strspn(s, "01234567") != len)
		return perr(p, -EINVAL, where, "\"%s\" is not a mode in octal digits such as \"0640\"",
			    s);
	if (len > 6 || strtoul(s, NULL, 8) > o->max)
		return perr(p, -EINVAL, where, "\"%s\": only permission bits (at most 0777)", s);
	if (strtoul(s, NULL, 8) & 0002)
		return perr(p, -EINVAL, where, "\"%s\" lets every user write the file", s);
	set_num(base, o, strtoul(s, NULL, 8));
	return 0;
}

static int parse_table(struct pctx *p, const struct opt *rows, size_t n, json_object *obj,
		       void *base, const char *where);
static void warn_unknown(struct pctx *p, const struct opt *rows, size_t n, json_object *obj,
			 const char *where, const char *const *also);

static int parse_typed(struct pctx *p, const struct opt *o, json_object *v, void *base,
		       const char *where);

/*
 * A plain YAML scalar that resolved to a number or a boolean (namespace: 2024,
 * mode: 0640) is still its text to a key that wants a string: *text is that
 * text as a new string, NULL for every other value.
 */
static int as_written(struct pctx *p, json_object *v, json_object **text)
{
	const struct nfx_yaml_mark *m = nfx_yaml_mark(p->yaml, v);

	*text = NULL;
	if (!m || !m->text)
		return 0;
	*text = json_object_new_string(m->text);
	return *text ? 0 : -ENOMEM;
}

/* One value against its row: type check, then bounds. */
static int parse_value(struct pctx *p, const struct opt *o, json_object *v, void *base,
		       const char *where)
{
	static const enum json_type want[] = {
		[OPT_BOOL] = json_type_boolean, [OPT_U16] = json_type_int,
		[OPT_U32] = json_type_int, [OPT_U64] = json_type_int,
		[OPT_PORT] = json_type_int, [OPT_STR] = json_type_string,
		[OPT_ENUM] = json_type_string, [OPT_OBJECT] = json_type_object,
		[OPT_MODE] = json_type_string,
	};
	static const char *const want_word[] = {
		[OPT_BOOL] = "true or false", [OPT_U16] = "an integer", [OPT_U32] = "an integer",
		[OPT_U64] = "an integer", [OPT_PORT] = "an integer port",
		[OPT_STR] = "a string", [OPT_ENUM] = "a string", [OPT_OBJECT] = "an object",
		[OPT_MODE] = "a string of octal digits such as \"0640\"",
	};

	json_object *text = NULL;
	int err;

	at(p, v);
	if (o->type == OPT_LIST)
		return o->parse(p, o, v, base, where);
	if (want[o->type] == json_type_string) {
		err = as_written(p, v, &text);
		if (err || text) {
			if (!err)
				err = parse_typed(p, o, text, base, where);
			json_object_put(text);
			return err;
		}
	}
	if (!json_object_is_type(v, want[o->type]))
		return perr(p, -EINVAL, where, "expected %s, got %s %s", want_word[o->type],
			    json_type_word(v),
			    json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN));
	return parse_typed(p, o, v, base, where);
}

/* A value of the row's JSON type. */
static int parse_typed(struct pctx *p, const struct opt *o, json_object *v, void *base,
		       const char *where)
{
	switch (o->type) {
	case OPT_BOOL:
		set_num(base, o, json_object_get_boolean(v));
		return 0;
	case OPT_STR:
	case OPT_ENUM:
		return parse_string(p, o, v, base, where);
	case OPT_OBJECT:
		warn_unknown(p, o->sub, o->nsub, v, where, NULL);
		return parse_table(p, o->sub, o->nsub, v, base, where);
	case OPT_MODE:
		return parse_mode(p, o, v, base, where);
	default:
		return parse_number(p, o, v, base, where);
	}
}

static void fmt_where(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* A location such as "listeners[1].port"; deep paths are cut, never overflow. */
static void fmt_where(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

static void join_where(char *buf, size_t len, const char *where, const char *key)
{
	fmt_where(buf, len, "%s%s%s", where, *where ? "." : "", key);
}

static const struct opt *find_row(const struct opt *rows, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(rows[i].name, key))
			return &rows[i];
	return NULL;
}

/* Warns about keys no row knows: a typo should be visible, not fatal. */
static void warn_unknown(struct pctx *p, const struct opt *rows, size_t n, json_object *obj,
			 const char *where, const char *const *also)
{
	json_object_object_foreach(obj, key, val) {
		char w[256], pos[32];
		bool known = find_row(rows, n, key) != NULL;

		for (unsigned int i = 0; also && also[i] && !known; i++)
			known = !strcmp(also[i], key);
		if (known)
			continue;
		join_where(w, sizeof(w), where, key);
		at_in(p, obj, val);
		pr_warn("%s: %s%s: unknown key, ignored\n", p->name, at_str(p, pos, sizeof(pos)), w);
	}
}

/* Parses the keys of @obj that @rows know, in table order, into @base. */
static int parse_table(struct pctx *p, const struct opt *rows, size_t n, json_object *obj,
		       void *base, const char *where)
{
	for (size_t i = 0; i < n; i++) {
		const struct opt *o = &rows[i];
		json_object *v;
		char w[256];
		int err;

		join_where(w, sizeof(w), where, o->name);
		p->at = obj;
		if (!json_object_object_get_ex(obj, o->name, &v)) {
			if (o->flags & OPT_REQUIRED)
				return perr(p, -EINVAL, w, "missing (required)");
			continue;
		}
		err = parse_value(p, o, v, base, w);
		if (err)
			return err;
	}
	return 0;
}

/* ---- listeners ---- */

static void listener_clear(struct nfx_listener *l)
{
	for (size_t i = 0; i < l->nmapping; i++)
		free(l->mapping[i].destination);
	free(l->mapping);
	free(l->namespace);
	free(l->bind_host);
	memset(l, 0, sizeof(*l));
}

static void listeners_free(struct nfx_listener *ls, size_t n)
{
	for (size_t i = 0; i < n; i++)
		listener_clear(&ls[i]);
	free(ls);
}

static int parse_mapping(struct pctx *p, json_object *arr, struct nfx_listener *l,
			 const char *where)
{
	size_t n = json_object_array_length(arr);
	char w[256];
	int err;

	if (n > CFG_MAX_MAPPINGS)
		return perr(p, -E2BIG, where, "%zu entries (at most %u)", n, CFG_MAX_MAPPINGS);
	l->mapping = calloc(n ? n : 1, sizeof(*l->mapping));
	if (!l->mapping)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		json_object *m = json_object_array_get_idx(arr, i);

		fmt_where(w, sizeof(w), "%s[%zu]", where, i);
		at_in(p, arr, m);
		if (!json_object_is_type(m, json_type_object))
			return perr(p, -EINVAL, w, "expected an object, got %s", json_type_word(m));
		warn_unknown(p, mapping_opts, ARRAY_LEN(mapping_opts), m, w, NULL);
		/* counted first so that a failure frees what was set */
		l->nmapping++;
		err = parse_table(p, mapping_opts, ARRAY_LEN(mapping_opts), m, &l->mapping[i], w);
		if (err)
			return err;
		if (l->mapping[i].little_endian && l->mapping[i].type != NFX_MAP_INTEGER)
			pr_warn("%s: %s.endianness: only integers have one, ignored for %s\n",
				p->name, w, map_type_names[l->mapping[i].type]);
	}
	return 0;
}

static bool is_ip_literal(const char *s)
{
	struct in6_addr a;

	return inet_pton(AF_INET, s, &a) == 1 || inet_pton(AF_INET6, s, &a) == 1;
}

static bool same_bind(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

static int parse_listener(struct pctx *p, json_object *obj, struct nfx_listener *l,
			  const char *ns, const char *where)
{
	json_object *m;
	char w[256];
	int err;

	at(p, obj);
	if (!json_object_is_type(obj, json_type_object))
		return perr(p, -EINVAL, where, "expected an object, got %s", json_type_word(obj));
	warn_unknown(p, listener_opts, ARRAY_LEN(listener_opts), obj, where, listener_extra);
	err = parse_table(p, listener_opts, ARRAY_LEN(listener_opts), obj, l, where);
	if (err)
		return err;
	if (!l->port)
		l->port = default_port[l->flow_type];
	l->versions = type_versions[l->flow_type];
	if (!l->namespace && !(l->namespace = strdup(ns)))
		return -ENOMEM;
	if (l->bind_host && !is_ip_literal(l->bind_host)) {
		join_where(w, sizeof(w), where, "bind_host");
		json_object_object_get_ex(obj, "bind_host", &m);
		at_in(p, obj, m);
		return perr(p, -EINVAL, w, "\"%s\" is not an IPv4 or IPv6 address", l->bind_host);
	}
	if (!json_object_object_get_ex(obj, "mapping", &m))
		return 0;
	join_where(w, sizeof(w), where, "mapping");
	at_in(p, obj, m);
	if (!json_object_is_type(m, json_type_array))
		return perr(p, -EINVAL, w, "expected an array, got %s", json_type_word(m));
	return parse_mapping(p, m, l, w);
}

static bool mappings_equal(const struct nfx_listener *a, const struct nfx_listener *b)
{
	if (a->nmapping != b->nmapping)
		return false;
	for (size_t i = 0; i < a->nmapping; i++) {
		const struct nfx_mapping *x = &a->mapping[i], *y = &b->mapping[i];

		if (x->field != y->field || x->enterprise != y->enterprise || x->type != y->type ||
		    x->little_endian != y->little_endian || strcmp(x->destination, y->destination))
			return false;
	}
	return true;
}

/*
 * Two listeners may share a port when the version tells them apart
 * (netflow5 with netflow9), but never sFlow with NetFlow/IPFIX.  When their versions overlap, a packet could
 * belong to either: fine if they say the same thing, an error otherwise.
 */
static int check_listeners(struct pctx *p, const struct nfx_listener *ls, size_t n,
			   json_object *arr)
{
	size_t nports = 0;

	for (size_t j = 0; j < n; j++) {
		bool seen = false;

		at_in(p, arr, json_object_array_get_idx(arr, j));
		for (size_t i = 0; i < j; i++) {
			char w[64];

			if (ls[i].port != ls[j].port)
				continue;
			seen = true;
			fmt_where(w, sizeof(w), "listeners[%zu]", j);
			if (!same_bind(ls[i].bind_host, ls[j].bind_host))
				return perr(p, -EINVAL, w,
					    "port %u is bound on %s here and on %s by listeners[%zu]: one socket per port, give both the same bind_host",
					    ls[j].port, ls[j].bind_host ? ls[j].bind_host : "the default",
					    ls[i].bind_host ? ls[i].bind_host : "the default", i);
			if ((ls[i].versions & NFX_VERS_SFLOW) != (ls[j].versions & NFX_VERS_SFLOW))
				return perr(p, -EINVAL, w,
					    "%s on port %u: sFlow and NetFlow/IPFIX need ports of their own (listeners[%zu] is %s)",
					    nfx_listen_type_str(ls[j].flow_type), ls[j].port, i,
					    nfx_listen_type_str(ls[i].flow_type));
			if (!(ls[i].versions & ls[j].versions))
				continue;
			if (strcmp(ls[i].namespace, ls[j].namespace) ||
			    !mappings_equal(&ls[i], &ls[j]))
				return perr(p, -EINVAL, w,
					    "%s on port %u conflicts with listeners[%zu] (%s on the same port, different namespace or mapping)",
					    nfx_listen_type_str(ls[j].flow_type), ls[j].port, i,
					    nfx_listen_type_str(ls[i].flow_type));
			pr_warn("%s: %s: duplicates listeners[%zu] (port %u), merged\n", p->name, w,
				i, ls[j].port);
		}
		if (!seen && nports++ == NFX_MAX_PORTS)
			return perr(p, -E2BIG, "listeners", "more than %u distinct ports",
				    NFX_MAX_PORTS);
	}
	return 0;
}

static int parse_listeners(struct pctx *p, const struct opt *o, json_object *v, void *base,
			   const char *where)
{
	struct nfx_config *c = base;
	struct nfx_listener *ls;
	size_t n;
	int err = 0;

	if (!json_object_is_type(v, json_type_array))
		return perr(p, -EINVAL, where, "expected an array, got %s", json_type_word(v));
	n = json_object_array_length(v);
	if (n > CFG_MAX_LISTENERS)
		return perr(p, -E2BIG, where, "%zu listeners (at most %u)", n, CFG_MAX_LISTENERS);
	ls = calloc(n ? n : 1, sizeof(*ls));
	if (!ls)
		return -ENOMEM;
	for (size_t i = 0; i < n && !err; i++) {
		char w[64];

		fmt_where(w, sizeof(w), "%s[%zu]", where, i);
		err = parse_listener(p, json_object_array_get_idx(v, i), &ls[i], c->namespace, w);
	}
	if (!err)
		err = check_listeners(p, ls, n, v);
	if (err) {
		listeners_free(ls, n);
		return err;
	}
	listeners_free(c->listeners, c->nlisteners);
	c->listeners = ls;
	c->nlisteners = n;
	return 0;
}

/* Without a "listeners" key: what run.c does without -p. */
static int dflt_listeners(void *base)
{
	static const uint8_t types[] = { NFX_LISTEN_NETFLOW5, NFX_LISTEN_NETFLOW9,
					 NFX_LISTEN_IPFIX };
	struct nfx_config *c = base;

	c->listeners = calloc(ARRAY_LEN(types), sizeof(*c->listeners));
	if (!c->listeners)
		return -ENOMEM;
	for (size_t i = 0; i < ARRAY_LEN(types); i++) {
		struct nfx_listener *l = &c->listeners[c->nlisteners++];

		l->flow_type = types[i];
		l->port = default_port[types[i]];
		l->versions = type_versions[types[i]];
		l->namespace = strdup(c->namespace ? c->namespace : "default");
		if (!l->namespace)
			return -ENOMEM;
	}
	return 0;
}

/* The listeners' defaults follow a top-level namespace given later. */
static int relabel_default_listeners(struct nfx_config *c, json_object *root)
{
	if (json_object_object_get_ex(root, "listeners", NULL))
		return 0;
	for (size_t i = 0; i < c->nlisteners; i++) {
		char *ns = strdup(c->namespace);

		if (!ns)
			return -ENOMEM;
		free(c->listeners[i].namespace);
		c->listeners[i].namespace = ns;
	}
	return 0;
}

/* ---- allow-list ---- */

int nfx_allow_cmp(const struct nfx_prefix *a, const struct nfx_prefix *b)
{
	int r = memcmp(a->addr.b, b->addr.b, sizeof(a->addr.b));

	if (r)
		return r;
	return (int)a->prefixlen - (int)b->prefixlen;
}

static int allow_qcmp(const void *a, const void *b)
{
	return nfx_allow_cmp(a, b);
}

const char *nfx_allow_str(const struct nfx_prefix *a, char *buf, size_t len)
{
	char addr[NFX_ADDR_STRLEN];
	unsigned int plen = a->prefixlen;

	if (nfx_addr_is_v4(&a->addr) && plen >= 96)
		plen -= 96;
	snprintf(buf, len, "%s/%u", nfx_addr_str(&a->addr, addr), plen);
	return buf;
}

/* "ADDR" or "ADDR/LEN", IPv4 or IPv6, into LPM form; host bits refused. */
static int parse_prefix(struct pctx *p, const char *text, struct nfx_prefix *out,
			const char *where)
{
	char buf[NFX_ADDR_STRLEN + 8];
	const char *slash = strchr(text, '/');

	switch (nfx_prefix_parse(text, out)) {
	case 0:
		return 0;
	case -ERANGE:
		return perr(p, -EINVAL, where, "\"%s\": prefix length \"%s\" is not 0-%u",
			    text, slash ? slash + 1 : "", strchr(text, ':') ? 128 : 32);
	case -EDOM:
		return perr(p, -EINVAL, where, "\"%s\" has host bits set (did you mean %s?)", text,
			    nfx_allow_str(out, buf, sizeof(buf)));
	default:
		if (strlen(text) >= sizeof(buf))
			return perr(p, -EINVAL, where, "\"%s\" is not an address or prefix", text);
		return perr(p, -EINVAL, where, "\"%.*s\" is not an IPv4 or IPv6 address",
			    (int)(slash ? slash - text : (int)strlen(text)), text);
	}
}

static int parse_allow(struct pctx *p, const struct opt *o, json_object *v, void *base,
		       const char *where)
{
	struct nfx_config *c = base;
	struct nfx_prefix *a;
	size_t n, kept = 0;
	int err = 0;

	if (!json_object_is_type(v, json_type_array))
		return perr(p, -EINVAL, where, "expected an array of addresses, got %s",
			    json_type_word(v));
	n = json_object_array_length(v);
	if (n > NFX_MAX_ALLOW)
		return perr(p, -E2BIG, where, "%zu entries (at most %u)", n, NFX_MAX_ALLOW);
	a = calloc(n ? n : 1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	for (size_t i = 0; i < n && !err; i++) {
		json_object *e = json_object_array_get_idx(v, i);
		char w[64];

		fmt_where(w, sizeof(w), "%s[%zu]", where, i);
		at_in(p, v, e);
		if (!json_object_is_type(e, json_type_string))
			err = perr(p, -EINVAL, w, "expected a string \"ADDR[/LEN]\", got %s",
				   json_type_word(e));
		else
			err = parse_prefix(p, json_object_get_string(e), &a[i], w);
	}
	if (err) {
		free(a);
		return err;
	}
	/* a set: sorted and without duplicates, so two lists diff in one pass */
	qsort(a, n, sizeof(*a), allow_qcmp);
	for (size_t i = 0; i < n; i++)
		if (!kept || nfx_allow_cmp(&a[kept - 1], &a[i]))
			a[kept++] = a[i];
	free(c->allow);
	c->allow = a;
	c->nallow = kept;
	return 0;
}

static unsigned int diff_allow(const void *a, const void *b)
{
	const struct nfx_config *x = a, *y = b;

	if (x->nallow != y->nallow)
		return NFX_CFG_CH_ALLOW;
	for (size_t i = 0; i < x->nallow; i++)
		if (nfx_allow_cmp(&x->allow[i], &y->allow[i]))
			return NFX_CFG_CH_ALLOW;
	return 0;
}

/* Longest prefix first, so that the first rule that matches is the most specific. */
static int sampling_qcmp(const void *a, const void *b)
{
	const struct nfx_sampling_rule *x = a, *y = b;

	if (x->exporter.prefixlen != y->exporter.prefixlen)
		return x->exporter.prefixlen > y->exporter.prefixlen ? -1 : 1;
	return memcmp(x->exporter.addr.b, y->exporter.addr.b, sizeof(x->exporter.addr.b));
}

/* One "sampling_rates" entry: {"exporter": "PREFIX", "rate": N, "override": bool}. */
static int parse_sampling_entry(struct pctx *p, json_object *e, struct nfx_sampling_rule *r,
				const char *where)
{
	struct sampling_entry se = { 0 };
	int err;

	if (!json_object_is_type(e, json_type_object))
		return perr(p, -EINVAL, where, "expected an object, got %s", json_type_word(e));
	warn_unknown(p, sampling_opts, ARRAY_LEN(sampling_opts), e, where, NULL);
	err = parse_table(p, sampling_opts, ARRAY_LEN(sampling_opts), e, &se, where);
	if (!err)
		err = parse_prefix(p, se.exporter, &r->exporter, where);
	r->rate = se.rate;
	r->override = se.override;
	free(se.exporter);
	return err;
}

static int parse_sampling(struct pctx *p, const struct opt *o, json_object *v, void *base,
			  const char *where)
{
	struct nfx_config *c = base;
	struct nfx_sampling_rule *a;
	size_t n;
	int err = 0;

	if (!json_object_is_type(v, json_type_array))
		return perr(p, -EINVAL, where, "expected an array of objects, got %s",
			    json_type_word(v));
	n = json_object_array_length(v);
	if (n > NFX_MAX_SAMPLING_RULES)
		return perr(p, -E2BIG, where, "%zu entries (at most %u)", n,
			    NFX_MAX_SAMPLING_RULES);
	a = calloc(n ? n : 1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	for (size_t i = 0; i < n && !err; i++) {
		char w[64];

		fmt_where(w, sizeof(w), "%s[%zu]", where, i);
		err = parse_sampling_entry(p, json_object_array_get_idx(v, i), &a[i], w);
	}
	if (err) {
		free(a);
		return err;
	}
	qsort(a, n, sizeof(*a), sampling_qcmp);
	for (size_t i = 1; i < n; i++)
		if (!sampling_qcmp(&a[i - 1], &a[i])) {
			free(a);
			return perr(p, -EINVAL, where, "an exporter prefix is listed twice");
		}
	free(c->sampling);
	c->sampling = a;
	c->nsampling = n;
	return 0;
}

static unsigned int diff_sampling(const void *a, const void *b)
{
	const struct nfx_config *x = a, *y = b;

	if (x->nsampling != y->nsampling)
		return NFX_CFG_CH_DECODE;
	for (size_t i = 0; i < x->nsampling; i++)
		if (sampling_qcmp(&x->sampling[i], &y->sampling[i]) ||
		    x->sampling[i].rate != y->sampling[i].rate ||
		    x->sampling[i].override != y->sampling[i].override)
			return NFX_CFG_CH_DECODE;
	return 0;
}

/* "reverse_dns_prefixes": ["default", "100.64.0.0/10", "!10.99.0.0/16"] (rdns.h). */
static int parse_rdns_prefixes(struct pctx *p, const struct opt *o, json_object *v, void *base,
			       const char *where)
{
	struct nfx_config *c = base;
	size_t n;
	char **l;

	if (!json_object_is_type(v, json_type_array))
		return perr(p, -EINVAL, where, "expected an array of prefixes, got %s",
			    json_type_word(v));
	n = json_object_array_length(v);
	if (n > NFX_RDNS_MAX_PREFIXES)
		return perr(p, -E2BIG, where, "%zu entries (at most %u)", n,
			    NFX_RDNS_MAX_PREFIXES);
	l = calloc(n ? n : 1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(v, i);
		char w[64];

		fmt_where(w, sizeof(w), "%s[%zu]", where, i);
		at_in(p, v, e);
		if (!json_object_is_type(e, json_type_string) ||
		    nfx_rdns_prefix_check(json_object_get_string(e))) {
			for (size_t j = 0; j < i; j++)
				free(l[j]);
			free(l);
			return perr(p, -EINVAL, w,
				    "expected \"default\", \"ADDR[/LEN]\" or \"!ADDR[/LEN]\"");
		}
		l[i] = strdup(json_object_get_string(e));
		if (!l[i]) {
			for (size_t j = 0; j < i; j++)
				free(l[j]);
			free(l);
			return -ENOMEM;
		}
	}
	for (size_t i = 0; i < c->nrdns_prefixes; i++)
		free(c->rdns_prefixes[i]);
	free(c->rdns_prefixes);
	c->rdns_prefixes = l;
	c->nrdns_prefixes = n;
	return 0;
}

static unsigned int diff_rdns_prefixes(const void *a, const void *b)
{
	const struct nfx_config *x = a, *y = b;

	if (!x->rdns_prefixes != !y->rdns_prefixes || x->nrdns_prefixes != y->nrdns_prefixes)
		return NFX_CFG_CH_RDNS;
	for (size_t i = 0; i < x->nrdns_prefixes; i++)
		if (strcmp(x->rdns_prefixes[i], y->rdns_prefixes[i]))
			return NFX_CFG_CH_RDNS;
	return 0;
}

/* ---- load ---- */

void nfx_config_free(struct nfx_config *c)
{
	if (!c)
		return;
	free(c->namespace);
	listeners_free(c->listeners, c->nlisteners);
	free(c->allow);
	free(c->output.path);
	free(c->output.ch_url);
	free(c->output.ch_table);
	free(c->output.ch_spool);
	free(c->rdns_server);
	free(c->user);
	free(c->state_dir);
	for (size_t i = 0; i < c->nrdns_prefixes; i++)
		free(c->rdns_prefixes[i]);
	free(c->rdns_prefixes);
	free(c->sampling);
	free(c);
}

struct nfx_config *nfx_config_default(void)
{
	struct nfx_config *c = calloc(1, sizeof(*c));
	int err;

	if (!c)
		return NULL;
	err = apply_defaults(top_opts, ARRAY_LEN(top_opts), c);
	if (err) {
		nfx_config_free(c);
		errno = -err;
		return NULL;
	}
	c->agg_flow_context_ttl = c->agg_flush_interval;
	return c;
}

/* "line L, column C" of byte @off, 1-based, as editors count. */
static void line_col(const char *text, size_t off, unsigned int *line, unsigned int *col)
{
	*line = 1;
	*col = 1;
	for (size_t i = 0; i < off; i++) {
		if (text[i] == '\n') {
			(*line)++;
			*col = 1;
		} else {
			(*col)++;
		}
	}
}

/* How many blanks @text starts with; the buffer need not end in a NUL. */
static size_t skip_blank(const char *text, size_t len)
{
	size_t i = 0;

	while (i < len && memchr(" \t\r\n", text[i], 4))
		i++;
	return i;
}

static int tokenize(struct pctx *p, const char *text, size_t len, json_object **root)
{
	struct json_tokener *tok = json_tokener_new();
	enum json_tokener_error jerr;
	unsigned int line, col;
	size_t off;

	if (!tok)
		return -ENOMEM;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	*root = json_tokener_parse_ex(tok, text, (int)len);
	jerr = json_tokener_get_error(tok);
	off = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (*root)
		return 0;
	if (jerr == json_tokener_continue) {
		bool blank = skip_blank(text, len) == len;

		line_col(text, len, &line, &col);
		if (blank)
			return perr(p, -EINVAL, NULL,
				    "empty file, expected a JSON object or a YAML mapping");
		return perr(p, -EINVAL, NULL,
			    "%u:%u: unexpected end of file (offset %zu): truncated or half-written JSON",
			    line, col, len);
	}
	if (off > len)
		off = len;
	line_col(text, off, &line, &col);
	return perr(p, -EINVAL, NULL, "%u:%u: JSON syntax error at offset %zu: %s", line, col, off,
		    json_tokener_error_desc(jerr));
}

/* ---- command-line overrides ---- */

int nfx_cfg_override(struct nfx_cfg_overrides *ov, const char *key, const char *value)
{
	for (unsigned int i = 0; i < ov->n; i++) {
		if (!strcmp(ov->v[i].key, key)) {
			ov->v[i].value = value;	/* the last one given wins */
			return 0;
		}
	}
	if (ov->n == NFX_CFG_MAX_OVERRIDES)
		return -E2BIG;
	ov->v[ov->n].key = key;
	ov->v[ov->n].value = value;
	ov->n++;
	return 0;
}

/*
 * Sets @key of @obj to @v (which it takes).  In a YAML file the value it
 * replaces stays alive in p->keep until the end of the parse: its address,
 * free, could be handed to a new object that would then seem to have been
 * written at its line.
 */
static int replace_key(struct pctx *p, json_object *obj, const char *key, json_object *v)
{
	json_object *old;

	if (p->keep && json_object_object_get_ex(obj, key, &old) && old &&
	    json_object_array_add(p->keep, json_object_get(old))) {
		json_object_put(old);
		json_object_put(v);
		return -ENOMEM;
	}
	if (json_object_object_add(obj, key, v)) {
		json_object_put(v);
		return -ENOMEM;
	}
	return 0;
}

/*
 * One override into the parsed file, before the table walk: it is then
 * checked, defaulted and diffed like the key it replaces.  A string row
 * takes the text as it is, every other row JSON ("300", "true", "[...]").
 */
static int apply_override(struct pctx *p, json_object *root, const char *key, const char *value)
{
	const struct opt *rows = top_opts, *o = NULL;
	size_t n = ARRAY_LEN(top_opts);
	json_object *obj = root, *v;
	char part[64];
	const char *k = key, *dot;

	for (;;) {
		dot = strchr(k, '.');
		snprintf(part, sizeof(part), "%.*s", (int)(dot ? dot - k : (int)strlen(k)), k);
		o = find_row(rows, n, part);
		if (!o || (dot && o->type != OPT_OBJECT))
			return perr(p, -EINVAL, key, "no such configuration key");
		if (!dot)
			break;
		if (!json_object_object_get_ex(obj, part, &v) ||
		    !json_object_is_type(v, json_type_object)) {
			v = json_object_new_object();
			if (!v || replace_key(p, obj, part, v))
				return -ENOMEM;
		}
		obj = v;
		rows = o->sub;
		n = o->nsub;
		k = dot + 1;
	}
	v = o->type == OPT_STR || o->type == OPT_MODE ? json_object_new_string(value)
						       : json_tokener_parse(value);
	if (!v)
		return perr(p, -EINVAL, key, "\"%s\" is not a value for this key", value);
	return replace_key(p, obj, part, v);
}

/*
 * The syntax is decided by the content, never by the file name: JSON when
 * the first character that is not blank is "{" or "[" (where every JSON
 * configuration starts), YAML otherwise.  A blank file goes to the JSON
 * path, which says it is empty.
 */
static bool is_json(const char *text, size_t len)
{
	size_t i = skip_blank(text, len);

	return i == len || text[i] == '{' || text[i] == '[';
}

/* The document as a json-c tree, whichever its syntax; @yd keeps a YAML file's marks. */
static int read_tree(struct pctx *p, const char *text, size_t len, struct nfx_yaml_doc *yd,
		     json_object **root)
{
	char msg[256] = "out of memory";
	int err;

	if (is_json(text, len))
		return tokenize(p, text, len, root);
	err = nfx_yaml_load(text, len, yd, msg, sizeof(msg));
	if (err)
		return perr(p, err, NULL, "%s", msg);
	if (!yd->root)
		return perr(p, -EINVAL, NULL, "no YAML document, expected a mapping");
	p->yaml = yd;
	p->keep = json_object_new_array();
	if (!p->keep)
		return -ENOMEM;
	*root = json_object_get(yd->root);
	return 0;
}

/*
 * A datadog.yaml (any file with a "network_devices" key): nfxdp's keys are
 * those of network_devices.netflow, network_devices.namespace is the default
 * namespace, and every other section is the Agent's business.  *root becomes
 * the netflow section.
 */
static int agent_section(struct pctx *p, json_object **root)
{
	json_object *nd, *nf, *ns;

	if (!json_object_object_get_ex(*root, "network_devices", &nd))
		return 0;
	at(p, nd);
	if (!json_object_is_type(nd, json_type_object))
		return perr(p, -EINVAL, "network_devices", "expected an object, got %s",
			    json_type_word(nd));
	if (!json_object_object_get_ex(nd, "netflow", &nf))
		return perr(p, -EINVAL, "network_devices.netflow",
			    "missing: this Agent configuration has no NetFlow section");
	at(p, nf);
	if (!json_object_is_type(nf, json_type_object))
		return perr(p, -EINVAL, "network_devices.netflow", "expected an object, got %s",
			    json_type_word(nf));
	/* the section's own namespace, when it has one, is the more specific */
	if (json_object_object_get_ex(nd, "namespace", &ns) &&
	    !json_object_object_get_ex(nf, "namespace", NULL) &&
	    json_object_object_add(nf, "namespace", json_object_get(ns))) {
		json_object_put(ns);
		return -ENOMEM;
	}
	json_object_get(nf);
	json_object_put(*root);
	*root = nf;
	p->at = NULL;
	return 0;
}

static void append_name(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* ", NAME" onto a list being built; a list that no longer fits is cut. */
static void append_name(char *buf, size_t len, const char *fmt, ...)
{
	size_t used = strlen(buf);
	va_list ap;

	if (used && used + 2 < len) {
		memcpy(buf + used, ", ", 3);
		used += 2;
	}
	va_start(ap, fmt);
	vsnprintf(buf + used, len - used, fmt, ap);
	va_end(ap);
}

/*
 * The Agent's keys that nfxdp does not implement, named in one log line; a
 * listener's "workers" becomes the top-level "workers" (worker threads serve
 * every listener, so the largest one asked for) unless that is set.  The
 * value is shared, not copied: a bad one is reported where it was written.
 */
static int agent_keys(struct pctx *p, json_object *root)
{
	char ignored[512] = "", mapped[160] = "";
	json_object *ls, *workers = NULL;

	for (unsigned int i = 0; agent_ignored[i]; i++)
		if (json_object_object_get_ex(root, agent_ignored[i], NULL))
			append_name(ignored, sizeof(ignored), "%s", agent_ignored[i]);
	if (json_object_object_get_ex(root, "listeners", &ls) &&
	    json_object_is_type(ls, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(ls); i++) {
			json_object *l = json_object_array_get_idx(ls, i), *w;

			if (!json_object_is_type(l, json_type_object))
				continue;
			if (!json_object_object_get_ex(l, "workers", &w))
				continue;
			/* anything but an integer is kept, to be refused */
			if (!workers || (json_object_is_type(workers, json_type_int) &&
					 (!json_object_is_type(w, json_type_int) ||
					  json_object_get_int64(w) > json_object_get_int64(workers))))
				workers = w;
		}
	}
	if (workers && json_object_object_get_ex(root, "workers", NULL)) {
		append_name(ignored, sizeof(ignored), "listeners[].workers (workers is set)");
	} else if (workers) {
		if (json_object_object_add(root, "workers", json_object_get(workers))) {
			json_object_put(workers);
			return -ENOMEM;
		}
		snprintf(mapped, sizeof(mapped), "; mapped: listeners[].workers -> workers %s",
			 json_object_to_json_string_ext(workers, JSON_C_TO_STRING_PLAIN));
	}
	if (*ignored || *mapped)
		pr_info("%s: Datadog Agent keys accepted and ignored: %s%s\n", p->name,
			*ignored ? ignored : "none", mapped);
	return 0;
}

static int parse_text(const char *name, const char *text, size_t len,
		      const struct nfx_cfg_overrides *ov, struct nfx_config **out,
		      char *errbuf, size_t errlen)
{
	struct pctx p = { .name = name, .err = errbuf, .errlen = errlen };
	struct nfx_yaml_doc yd = { 0 };
	struct nfx_config *c = NULL;
	json_object *root = NULL;
	int err;

	if (errbuf && errlen)
		*errbuf = '\0';
	if (len > INT32_MAX)
		return perr(&p, -EFBIG, NULL, "too big for a configuration file");
	err = read_tree(&p, text, len, &yd, &root);
	if (err)
		goto out;
	if (!json_object_is_type(root, json_type_object)) {
		err = perr(&p, -EINVAL, NULL, "expected a %s at the top, got %s",
			   p.yaml ? "YAML mapping" : "JSON object", json_type_word(root));
		goto out;
	}
	err = agent_section(&p, &root);
	if (!err)
		err = agent_keys(&p, root);
	if (err)
		goto out;
	c = nfx_config_default();
	if (!c) {
		err = -ENOMEM;
		goto out;
	}
	c->agg_flow_context_ttl = 0;
	warn_unknown(&p, top_opts, ARRAY_LEN(top_opts), root, "", agent_ignored);
	p.at = NULL;
	for (unsigned int i = 0; ov && i < ov->n && !err; i++)
		err = apply_override(&p, root, ov->v[i].key, ov->v[i].value);
	if (err)
		goto out;
	err = parse_table(&p, top_opts, ARRAY_LEN(top_opts), root, c, "");
	if (!err)
		err = relabel_default_listeners(c, root);
	if (err)
		goto out;
	if (!c->agg_flow_context_ttl)
		c->agg_flow_context_ttl = c->agg_flush_interval;
	*out = c;
	c = NULL;
out:
	nfx_config_free(c);
	json_object_put(root);
	json_object_put(p.keep);
	nfx_yaml_doc_free(&yd);
	return err;
}

int nfx_config_parse(const char *name, const char *text, size_t len, struct nfx_config **out,
		     char *errbuf, size_t errlen)
{
	return parse_text(name, text, len, NULL, out, errbuf, errlen);
}

/* What a path that is not a regular file is, for the message. */
static const char *file_kind(mode_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFIFO: return "a FIFO";
	case S_IFDIR: return "a directory";
	case S_IFCHR: return "a character device";
	case S_IFBLK: return "a block device";
	case S_IFSOCK: return "a socket";
	default: return "of an unknown kind";
	}
}

/*
 * The file decides which ports are opened and which paths are written, as
 * the daemon's user (root in XDP mode): only root or that user may own it,
 * and nobody else may write it.
 */
static int check_owner(struct pctx *p, const struct stat *st)
{
	uid_t euid = geteuid();

	if (st->st_mode & (S_IWGRP | S_IWOTH))
		return perr(p, -EPERM, NULL, "writable by %s (mode %04o), refused: only its owner "
			    "may write a configuration file (chmod go-w %s)",
			    st->st_mode & S_IWOTH ? "every user" : "its group",
			    (unsigned int)(st->st_mode & 07777), p->name);
	if (st->st_uid != 0 && st->st_uid != euid)
		return perr(p, -EPERM, NULL, "owned by uid %u, refused: a configuration file must "
			    "belong to root or to the daemon's user (uid %u) (chown root %s)",
			    (unsigned int)st->st_uid, (unsigned int)euid, p->name);
	return 0;
}

static int check_file(struct pctx *p, const struct stat *st)
{
	if (!S_ISREG(st->st_mode))
		return perr(p, -EINVAL, NULL, "%s, not a regular file: refused",
			    file_kind(st->st_mode));
	if (st->st_size > CFG_MAX_FILE)
		return perr(p, -EFBIG, NULL, "larger than %u bytes, not a configuration file",
			    CFG_MAX_FILE);
	return check_owner(p, st);
}

static int read_error(struct pctx *p, int err)
{
	return perr(p, err, NULL, "cannot read: %s", strerror(-err));
}

/*
 * Opens the file without ever blocking: stat() first, so a FIFO or a device
 * is not even opened (opening some devices does something), then O_NONBLOCK
 * in case the path was swapped in between, and the checks again on what was
 * opened (@st), which is what is read.  Symbolic links are followed: a link
 * to the real file is a normal way to install one.
 */
static int open_file(struct pctx *p, struct stat *st)
{
	int fd, err;

	if (stat(p->name, st))
		return read_error(p, -errno);
	err = check_file(p, st);
	if (err)
		return err;
	fd = open(p->name, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return read_error(p, -errno);
	err = fstat(fd, st) ? read_error(p, -errno) : check_file(p, st);
	if (err) {
		close(fd);
		return err;
	}
	return fd;
}

static int read_file(struct pctx *p, char **text, size_t *len)
{
	struct stat st;
	ssize_t got;
	size_t have = 0;
	char *buf;
	int fd, err = 0;

	fd = open_file(p, &st);
	if (fd < 0)
		return fd;
	/* +1: reading up to EOF tells a file that grew while we read */
	buf = malloc((size_t)st.st_size + 2);
	if (!buf) {
		err = read_error(p, -ENOMEM);
		goto out;
	}
	/* a regular file never says EAGAIN, O_NONBLOCK or not */
	while ((got = read(fd, buf + have, (size_t)st.st_size + 1 - have)) > 0)
		have += (size_t)got;
	if (got < 0) {
		err = read_error(p, -errno);
		free(buf);
		goto out;
	}
	buf[have] = '\0';
	*text = buf;
	*len = have;
out:
	close(fd);
	return err;
}

int nfx_config_load(const char *path, struct nfx_config **out, char *errbuf, size_t errlen)
{
	return nfx_config_build(path, NULL, out, errbuf, errlen);
}

int nfx_config_build(const char *path, const struct nfx_cfg_overrides *ov,
		     struct nfx_config **out, char *errbuf, size_t errlen)
{
	struct pctx p = { .name = path, .err = errbuf, .errlen = errlen };
	char *text = NULL;
	size_t len = 0;
	int err;

	if (!path)	/* no file: the defaults, then the command line */
		return parse_text("command line", "{}", 2, ov, out, errbuf, errlen);
	err = read_file(&p, &text, &len);
	if (err)
		return err;
	err = parse_text(path, text, len, ov, out, errbuf, errlen);
	free(text);
	return err;
}

/* ---- what the configuration implies ---- */

const char *nfx_listen_type_str(unsigned int type)
{
	return type < ARRAY_LEN(flow_type_names) - 1 ? flow_type_names[type] : "?";
}

static int want_cmp(const void *a, const void *b)
{
	const struct nfx_port_want *x = a, *y = b;

	return (int)x->port - (int)y->port;
}

int nfx_config_ports(const struct nfx_config *c, struct nfx_port_want *want, size_t max)
{
	size_t n = 0;

	if (!c->enabled)
		return 0;
	for (size_t i = 0; i < c->nlisteners; i++) {
		const struct nfx_listener *l = &c->listeners[i];
		size_t j;

		for (j = 0; j < n && want[j].port != l->port; j++)
			;
		if (j < n) {
			want[j].versions |= l->versions;
			continue;
		}
		if (n == max)
			return -E2BIG;
		want[n].port = l->port;
		want[n].bind_host = l->bind_host;
		want[n++].versions = l->versions;
	}
	qsort(want, n, sizeof(*want), want_cmp);
	return (int)n;
}

const struct nfx_listener *nfx_config_listener(const struct nfx_config *c, uint16_t port,
					       unsigned int version)
{
	if (!c->enabled || version > 31)
		return NULL;
	for (size_t i = 0; i < c->nlisteners; i++)
		if (c->listeners[i].port == port &&
		    (c->listeners[i].versions & NFX_VER_BIT(version)))
			return &c->listeners[i];
	return NULL;
}

/* ---- diff ---- */

static unsigned int diff_ports(const struct nfx_config *a, const struct nfx_config *b)
{
	struct nfx_port_want x[CFG_MAX_LISTENERS], y[CFG_MAX_LISTENERS];
	int nx = nfx_config_ports(a, x, CFG_MAX_LISTENERS);
	int ny = nfx_config_ports(b, y, CFG_MAX_LISTENERS);

	if (nx != ny)
		return NFX_CFG_CH_PORTS;
	/* field by field: the struct has padding */
	for (int i = 0; i < nx; i++)
		if (x[i].port != y[i].port || x[i].versions != y[i].versions ||
		    !same_bind(x[i].bind_host, y[i].bind_host))
			return NFX_CFG_CH_PORTS;
	return 0;
}

static const struct nfx_listener *listener_match(const struct nfx_config *c,
						 const struct nfx_listener *l)
{
	for (size_t i = 0; i < c->nlisteners; i++)
		if (c->listeners[i].port == l->port && c->listeners[i].flow_type == l->flow_type)
			return &c->listeners[i];
	return NULL;
}

/*
 * Listeners are matched by (port, flow type): one that exists on one side
 * only is a listener change, one on both sides may differ in namespace or
 * mapping.
 */
static unsigned int diff_listeners_oneway(const struct nfx_config *x, const struct nfx_config *y)
{
	unsigned int ch = 0;

	for (size_t i = 0; i < x->nlisteners; i++) {
		const struct nfx_listener *l = &x->listeners[i], *m = listener_match(y, l);

		if (!m) {
			ch |= NFX_CFG_CH_PORTS;
			continue;
		}
		if (strcmp(l->namespace, m->namespace))
			ch |= NFX_CFG_CH_NAMESPACE;
		if (!mappings_equal(l, m))
			ch |= NFX_CFG_CH_MAPPING;
	}
	return ch;
}

static unsigned int diff_listeners(const void *a, const void *b)
{
	return diff_ports(a, b) | diff_listeners_oneway(a, b) | diff_listeners_oneway(b, a);
}

static unsigned int diff_table(const struct opt *rows, size_t n, const void *a, const void *b)
{
	unsigned int ch = 0;

	for (size_t i = 0; i < n; i++) {
		const struct opt *o = &rows[i];
		unsigned int bit = 0;

		switch (o->type) {
		case OPT_OBJECT:
			ch |= diff_table(o->sub, o->nsub, a, b);
			continue;
		case OPT_LIST:
			ch |= o->diff(a, b);
			continue;
		case OPT_STR:
			if (strcmp(*(char *const *)((const char *)a + o->off),
				   *(char *const *)((const char *)b + o->off)))
				bit = o->change;
			break;
		default:
			if (get_num(a, o) != get_num(b, o))
				bit = o->change;
			break;
		}
		if (bit && (o->flags & NFX_CFG_RESTART))
			bit |= NFX_CFG_CH_RESTART;
		ch |= bit;
	}
	return ch;
}

unsigned int nfx_config_diff(const struct nfx_config *old, const struct nfx_config *new)
{
	if (!old || !new)
		return old == new ? 0 : NFX_CFG_CH_ALL;
	return diff_table(top_opts, ARRAY_LEN(top_opts), old, new);
}

const char *nfx_config_diff_str(unsigned int mask, char *buf, size_t len)
{
	static const struct { unsigned int bit; const char *name; } names[] = {
		{ NFX_CFG_CH_PORTS, "ports" },	       { NFX_CFG_CH_ALLOW, "allow-list" },
		{ NFX_CFG_CH_AGG, "aggregator" },      { NFX_CFG_CH_OUTPUT, "output" },
		{ NFX_CFG_CH_TEMPLATES, "templates" }, { NFX_CFG_CH_MAPPING, "mapping" },
		{ NFX_CFG_CH_NAMESPACE, "namespace" }, { NFX_CFG_CH_LIMITS, "limits" },
		{ NFX_CFG_CH_RAW, "raw" },	       { NFX_CFG_CH_RDNS, "reverse-dns" },
		{ NFX_CFG_CH_DECODE, "decoder" },
		{ NFX_CFG_CH_RESTART, "restart-needed" },
	};
	size_t used = 0;

	if (!len)
		return buf;
	*buf = '\0';
	for (size_t i = 0; i < ARRAY_LEN(names); i++) {
		int w;

		if (!(mask & names[i].bit))
			continue;
		w = snprintf(buf + used, len - used, "%s%s", used ? "," : "", names[i].name);
		if (w < 0 || (size_t)w >= len - used)
			break;
		used += (size_t)w;
	}
	if (!used)
		snprintf(buf, len, "none");
	return buf;
}

/* ---- the table as text (nfxdp config-keys) ---- */

static const char *key_type(const struct opt *o)
{
	static const char *const words[] = {
		[OPT_BOOL] = "boolean", [OPT_U16] = "integer", [OPT_U32] = "integer",
		[OPT_U64] = "integer", [OPT_PORT] = "port",	[OPT_STR] = "string",
		[OPT_ENUM] = "enum",	[OPT_OBJECT] = "object", [OPT_LIST] = "list",
		[OPT_MODE] = "mode",
	};

	return words[o->type];
}

/* The default as JSON; "-" when there is none or it is derived from another key. */
static void key_default(const struct opt *o, char *buf, size_t len)
{
	if (o->flags & OPT_REQUIRED)
		snprintf(buf, len, "required");
	else if (o->type == OPT_LIST || (o->type == OPT_STR && !o->def_str))
		snprintf(buf, len, "-");
	else if (o->type == OPT_STR)
		snprintf(buf, len, "\"%s\"", o->def_str);
	else if (o->type == OPT_BOOL)
		snprintf(buf, len, "%s", o->def ? "true" : "false");
	else if (o->type == OPT_ENUM)
		snprintf(buf, len, "\"%s\"", o->names[o->def]);
	else if (o->type == OPT_MODE)
		snprintf(buf, len, "\"%04" PRIo64 "\"", o->def);
	else if (o->type == OPT_PORT || o->def < o->min)
		snprintf(buf, len, "-");	/* resolved after parsing */
	else
		snprintf(buf, len, "%" PRIu64, o->def);
}

static void key_range(const struct opt *o, char *buf, size_t len)
{
	size_t used = 0;

	switch (o->type) {
	case OPT_U16:
	case OPT_U32:
	case OPT_U64:
		snprintf(buf, len, "%" PRIu64 "..%" PRIu64, o->min, o->max);
		return;
	case OPT_PORT:
		snprintf(buf, len, "1..65535");
		return;
	case OPT_STR:
		snprintf(buf, len, "%" PRIu64 "..%" PRIu64 " chars", o->min, o->max);
		return;
	case OPT_MODE:
		snprintf(buf, len, "octal, no write for others");
		return;
	case OPT_ENUM:
		buf[0] = '\0';
		for (unsigned int i = 0; o->names[i] && used < len; i++)
			used += (size_t)snprintf(buf + used, len - used, "%s%s", i ? "|" : "",
						 o->names[i]);
		return;
	default:
		snprintf(buf, len, "-");
		return;
	}
}

static void keys_walk(const struct opt *rows, size_t n, const char *prefix,
		      void (*fn)(const struct nfx_cfg_key *k, void *ctx), void *ctx)
{
	for (size_t i = 0; i < n; i++) {
		const struct opt *o = &rows[i];
		struct nfx_cfg_key k = { .type = key_type(o),
					 .restart = (o->flags & NFX_CFG_RESTART) != 0 };

		snprintf(k.name, sizeof(k.name), "%s%s", prefix, o->name);
		if (o->type == OPT_OBJECT) {
			char sub[sizeof(k.name) + 1];

			snprintf(sub, sizeof(sub), "%s.", k.name);
			keys_walk(o->sub, o->nsub, sub, fn, ctx);
			continue;
		}
		key_default(o, k.def, sizeof(k.def));
		key_range(o, k.range, sizeof(k.range));
		fn(&k, ctx);
	}
}

void nfx_config_keys(void (*fn)(const struct nfx_cfg_key *k, void *ctx), void *ctx)
{
	keys_walk(top_opts, ARRAY_LEN(top_opts), "", fn, ctx);
	/* the listener objects: rows of their own, parsed by parse_listener() */
	keys_walk(listener_opts, ARRAY_LEN(listener_opts), "listeners[].", fn, ctx);
	keys_walk(mapping_opts, ARRAY_LEN(mapping_opts), "listeners[].mapping[].", fn, ctx);
}
