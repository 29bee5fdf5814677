/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * decode.h - the decoder stage: one export message in, flow records out.
 *
 * Every decoder has the same narrow signature.  It reads only inside
 * [buf, buf + len), never writes to buf, and reports each flow record
 * through the sink.  A malformed message is dropped (whole or from the
 * first bad set on) and counted in struct nfx_dec_stats; nothing is fatal.
 * What a decoder needs of the message (exporter, listener port, time) comes
 * with it in struct nfx_src; the decoder keeps no pointer to it.
 */
#ifndef NFX_DECODE_H
#define NFX_DECODE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "base/fieldmap.h"
#include "base/flow.h"
#include "base/wire.h"
#include "decode/dec_stats.h"
#include "decode/policy.h"
#include "nfx/shared.h"

/* Exporter allow-list for input the kernel did not check: non-zero = allowed. */
typedef int (*nfx_allow_fn)(void *ctx, const struct nfx_addr *exporter);

struct nfx_tmpl_cache;
struct nfx_pending;
struct nfx_seq_table;
struct nfx_sflow_ctr;
struct nfx_ifnames;

struct nfx_decoder_opts {
	uint32_t max_templates;		/* whole cache; 0 = default */
	uint32_t max_sessions;		/* legacy sequence sessions; 0 = default */
	int template_scope_addr_only;	/* ignore exporter source port */
	/* v9 + IPFIX bounds (0 = default, see tmpl_cache.h and pending.h) */
	uint32_t max_exporters;		/* exporter-domain states */
	uint32_t max_templates_per_exporter;
	uint32_t max_template_fields;	/* at most NFX_TMPL_MAX_FIELDS */
	/* a full table's entries idle this long give way (exporters, templates, sessions) */
	uint32_t evict_idle_ms;
	/* data sets that arrive before their template */
	uint32_t pending_bytes_per_exporter;
	uint32_t pending_sets_per_exporter;
	uint32_t pending_total_bytes;	/* preallocated once */
	uint32_t pending_max_age_ms;
	int pending_off;		/* do not hold them at all */
	/* sFlow interface counters kept (sflow_ctr.h); 0 = default */
	uint32_t max_sflow_interfaces;
	/* interface names from options data kept (ifnames.h); 0 = default */
	uint32_t max_interface_names;
};

struct nfx_decoder {
	struct nfx_dec_stats stats;	/* all; the template cache counts in stats.tmpl */
	struct nfx_tmpl_cache *tmpl;	/* v9 + IPFIX templates and options state */
	struct nfx_pending *pend;	/* v9 + IPFIX data sets waiting for a template */
	struct nfx_seq_table *seq;	/* legacy and sFlow per-exporter sessions */
	struct nfx_sflow_ctr *sfctr;	/* sFlow interface counters, per agent and ifIndex */
	struct nfx_ifnames *ifn;	/* v9/IPFIX interface names, per exporter and ifIndex */
	struct nfx_decoder_opts opts;
	const struct nfx_fieldmap *maps;	/* additional-field mappings, all listeners' */
	unsigned int nmaps;
	nfx_allow_fn allow;		/* NULL: every exporter is allowed */
	void *allow_ctx;
	struct nfx_dec_policy pol;	/* nfx_decoder_set_policy() */
	/* the last message held template sets or options data (nfx_decode_replay()) */
	uint8_t control_seen;
	uint8_t replaying;
};

/* Returns NULL with errno set on failure. */
struct nfx_decoder *nfx_decoder_new(const struct nfx_decoder_opts *opts);
void nfx_decoder_free(struct nfx_decoder *d);
/*
 * Drop templates, options state, sessions, sFlow interface counters and
 * interface names unused for ttl_ms, and held data sets past their age.
 */
void nfx_decoder_sweep(struct nfx_decoder *d, uint64_t now_ms, uint64_t ttl_ms);
/*
 * Additional-field mappings (the whole table; each applies to the listener
 * port it names) compiled into the plans of templates learned from now on:
 * a template already held keeps its plan until the exporter sends it
 * again.  @maps must stay valid until replaced.
 */
void nfx_decoder_set_fieldmaps(struct nfx_decoder *d, const struct nfx_fieldmap *maps,
			       unsigned int n);

/* Takes effect with the next message; templates stay. */
void nfx_decoder_set_policy(struct nfx_decoder *d, const struct nfx_dec_policy *pol);

/**
 * nfx_decode() - decode one UDP payload, whatever its version.
 * @return number of flow records emitted, or -EINVAL when the message was
 *         dropped whole (the reason is counted in d->stats).
 */
int nfx_decode(struct nfx_decoder *d, const struct nfx_src *src,
	       const uint8_t *buf, size_t len, const struct nfx_sink *out);

/* Per-version entry points, same contract as nfx_decode(). */
/**
 * nfx_decode_replay() - a v9/IPFIX message that another decoder decoded
 * and that set its control_seen (templates, withdrawals, options data):
 * @d learns what it says, because the exporter's data may reach @d by
 * another path (a UDP socket, another RX queue).  Its flow records are
 * not emitted again and it counts nowhere; only data sets @d held for
 * one of its templates are decoded into @out and counted.
 */
void nfx_decode_replay(struct nfx_decoder *d, const struct nfx_src *src,
		       const uint8_t *buf, size_t len, const struct nfx_sink *out);

int nfx_decode_v5(struct nfx_decoder *d, const struct nfx_src *src,
		  const uint8_t *buf, size_t len, const struct nfx_sink *out);
int nfx_decode_v9(struct nfx_decoder *d, const struct nfx_src *src,
		  const uint8_t *buf, size_t len, const struct nfx_sink *out);
int nfx_decode_ipfix(struct nfx_decoder *d, const struct nfx_src *src,
		     const uint8_t *buf, size_t len, const struct nfx_sink *out);
/* sFlow v5 (a 32-bit version 5): one record per flow sample. */
int nfx_decode_sflow(struct nfx_decoder *d, const struct nfx_src *src,
		     const uint8_t *buf, size_t len, const struct nfx_sink *out);

/* Records per sFlow sample (flow or counter) beyond which the sample is dropped. */
#define NFX_SFLOW_MAX_RECORDS	64

#endif /* NFX_DECODE_H */
