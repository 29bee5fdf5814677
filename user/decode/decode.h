/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * decode.h - the decoder stage: one export message in, flow records out.
 *
 * Every decoder has the same narrow signature.  It reads only inside
 * [buf, buf + len), never writes to buf, and reports each flow record
 * through the sink.  A malformed message is dropped (whole or from the
 * first bad set on) and counted in struct nfx_dec_stats; nothing is fatal.
 */
#ifndef NFX_DECODE_H
#define NFX_DECODE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "base/flow.h"
#include "base/wire.h"
#include "nfx/shared.h"

/* Exporter allow-list for input the kernel did not check: non-zero = allowed. */
typedef int (*nfx_allow_fn)(void *ctx, const struct nfx_addr *exporter);

/* Daemon-side counters (the kernel ones are in struct nfx_ctr). */
struct nfx_dec_stats {
	uint64_t packets[NFX_SLOT_MAX];		/* messages handed to a decoder */
	uint64_t records[NFX_SLOT_MAX];		/* flow records emitted */
	uint64_t dropped[NFX_SLOT_MAX];		/* messages dropped whole */
	uint64_t options_records;		/* options data records read */
	uint64_t short_pkt;			/* shorter than the header */
	uint64_t bad_version;
	uint64_t bad_count;
	uint64_t length_mismatch;		/* count/length vs payload */
	uint64_t bad_set_length;
	uint64_t bad_template;			/* malformed (options) template */
	uint64_t template_not_found;		/* data sets without template */
	uint64_t record_overrun;		/* record runs past its set */
	uint64_t templates_learned;
	uint64_t templates_withdrawn;
	uint64_t template_limit;		/* rejected: cache full */
	uint64_t seq_lost;			/* flows/packets/records missed */
	uint64_t seq_resets;
	uint64_t session_limit;			/* sessions not tracked: table full */
	uint64_t not_allowed;			/* exporter not in the allow-list */
	uint64_t reserved_sets;			/* sets with a reserved id, skipped */
	uint64_t record_truncated;		/* non-zero bytes after a set's last record */
	uint64_t exporter_limit;		/* v9/IPFIX messages of exporter-domains
						 * not tracked: table full */
	uint64_t template_exporter_limit;	/* rejected: exporter's quota full */
	uint64_t templates_expired;		/* removed by the TTL sweep */
	uint64_t exporters_expired;		/* exporter-domain states swept */
	uint64_t pending_buffered;		/* data sets held for their template */
	uint64_t pending_decoded;		/* flow records decoded from them */
	uint64_t pending_dropped;		/* held sets aged out / no room */
};

struct nfx_tmpl_cache;
struct nfx_seq_table;

struct nfx_decoder_opts {
	uint32_t max_templates;		/* whole cache; 0 = default */
	uint32_t max_sessions;		/* legacy sequence sessions; 0 = default */
	int template_scope_addr_only;	/* ignore exporter source port */
	/* v9 + IPFIX bounds (0 = default, see tmpl_cache.h) */
	uint32_t max_exporters;		/* exporter-domain states */
	uint32_t max_templates_per_exporter;
	uint32_t max_template_fields;	/* at most NFX_TMPL_MAX_FIELDS */
	/* data sets that arrive before their template */
	uint32_t pending_bytes_per_exporter;
	uint32_t pending_total_bytes;	/* preallocated once */
	uint32_t pending_max_age_ms;
	int pending_off;		/* do not hold them at all */
};

struct nfx_decoder {
	struct nfx_dec_stats stats;
	struct nfx_tmpl_cache *tmpl;	/* v9 + IPFIX templates and options state */
	struct nfx_seq_table *seq;	/* legacy per-exporter sessions */
	struct nfx_decoder_opts opts;
	/*
	 * The message being decoded, valid inside sink callbacks: sinks that
	 * route by listener port or exporter read it instead of every flow
	 * carrying a copy.
	 */
	const struct nfx_src *cur;
	nfx_allow_fn allow;		/* NULL: every exporter is allowed */
	void *allow_ctx;
};

/* Returns NULL with errno set on failure. */
struct nfx_decoder *nfx_decoder_new(const struct nfx_decoder_opts *opts);
void nfx_decoder_free(struct nfx_decoder *d);
/* Drop templates, options state and sessions unused for ttl_ms. */
void nfx_decoder_sweep(struct nfx_decoder *d, uint64_t now_ms, uint64_t ttl_ms);
/* @to += @from, counter by counter (several workers' decoders as one). */
void nfx_dec_stats_add(struct nfx_dec_stats *to, const struct nfx_dec_stats *from);

/**
 * nfx_decode() - decode one UDP payload, whatever its version.
 * @return number of flow records emitted, or -EINVAL when the message was
 *         dropped whole (the reason is counted in d->stats).
 */
int nfx_decode(struct nfx_decoder *d, const struct nfx_src *src,
	       const uint8_t *buf, size_t len, const struct nfx_sink *out);

/* "v1" .. "ipfix", "other" */
const char *nfx_slot_name(unsigned int slot);
/* The daemon counters as a table, or as one JSON object when json is set. */
void nfx_dec_stats_print(FILE *f, const struct nfx_dec_stats *s, int json);

/* Per-version entry points, same contract as nfx_decode(). */
int nfx_decode_v5(struct nfx_decoder *d, const struct nfx_src *src,
		  const uint8_t *buf, size_t len, const struct nfx_sink *out);
int nfx_decode_v9(struct nfx_decoder *d, const struct nfx_src *src,
		  const uint8_t *buf, size_t len, const struct nfx_sink *out);
int nfx_decode_ipfix(struct nfx_decoder *d, const struct nfx_src *src,
		     const uint8_t *buf, size_t len, const struct nfx_sink *out);

#endif /* NFX_DECODE_H */
