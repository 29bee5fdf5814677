/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * tmpl_cache.h - NetFlow v9 / IPFIX template cache and per-(exporter,
 * domain) state (sequence, sampling rate, system init time).
 *
 * Templates are keyed as RFC 7011 scopes them over UDP: protocol, exporter
 * address, exporter source port (unless scope_addr_only), observation domain
 * / source id and template id.  Each is compiled when learned into a flat
 * decode plan (struct nfx_op[]) so that the data path is a loop over ops.
 * All slots are allocated up front; only plans longer than the inline array
 * allocate, and only when such a template is learned.
 *
 * Bounds, each counted in struct nfx_dec_stats when it refuses something:
 *  - templates in all (max_templates -> template_limit);
 *  - exporter-domain states (max_exporters -> exporter_limit).  A full table
 *    refuses newcomers rather than evicting: under a spoofed-source flood,
 *    evicting would let junk push out the real exporters, while refusing
 *    keeps every known exporter decoding and the TTL sweep frees the junk;
 *  - templates per exporter-domain (max_templates_per_exporter ->
 *    template_exporter_limit), so one exporter cannot fill the cache;
 *  - fields per template (max_template_fields -> bad_template);
 *  - data sets held for a missing template (pending_* -> pending_dropped).
 * Memory is therefore fixed at creation, plus at most one heap plan per
 * template longer than NFX_TMPL_INLINE_OPS ops.
 */
#ifndef NFX_TMPL_CACHE_H
#define NFX_TMPL_CACHE_H

#include <stdint.h>

#include "decode/decode.h"
#include "base/fieldmap.h"

#define NFX_TMPL_DEFAULT_MAX	4096
#define NFX_TMPL_MAX_FIELDS	512	/* larger templates are rejected */
#define NFX_EXP_DEFAULT_MAX	4096	/* exporter-domain states */
#define NFX_TMPL_PER_EXP_DEFAULT 256
/*
 * Pending data sets.  Data before its template happens when the collector
 * (re)starts or an exporter sends its first data ahead of the template;
 * the template normally follows within seconds, so a few seconds and a
 * few packets' worth per exporter catch it without holding stale flows.
 */
#define NFX_PEND_PER_EXP_DEFAULT (16u << 10)
#define NFX_PEND_TOTAL_DEFAULT	(1u << 20)
#define NFX_PEND_AGE_DEFAULT	10000	/* ms */
#define NFX_PEND_MAX_SETS	32	/* per exporter: bounds the replay walk */
#define NFX_TMPL_INLINE_OPS	40
#define NFX_VARLEN		0xffff	/* IPFIX variable-length field length */

#define NFX_PROTO_V9		9
#define NFX_PROTO_IPFIX		10

/* Zero-filled before use: the hash and the compare read the padding too. */
struct nfx_tkey {
	uint8_t addr[16];
	uint32_t domain;
	uint16_t port;		/* 0 when the cache ignores source ports */
	uint16_t tid;		/* template id; 0 in domain keys */
	uint8_t proto;		/* NFX_PROTO_* */
	uint8_t pad[3];
};

/* One step of a decode plan. */
struct nfx_op {
	uint16_t off;		/* offset in the record (fixed-length plans) */
	uint16_t len;		/* field length, NFX_VARLEN for variable length */
	uint8_t xf;		/* enum nfx_xf, NFX_XF_SKIP in varlen plans */
	uint8_t pad;
};

struct nfx_tmpl {
	struct nfx_tkey key;
	uint32_t hash;
	uint64_t last_ms;
	uint32_t rec_len;	/* fixed length, or the minimum with varlen fields */
	uint16_t nops;
	uint8_t varlen;		/* plan walks every field, lengths read at run time */
	uint8_t options;	/* options template: data feeds struct nfx_dom */
	uint8_t flow;		/* data template with a flow field: records are flows */
	struct nfx_dom *dom;	/* its exporter-domain: outlives its templates */
	struct nfx_op *ops;	/* inl or heap */
	struct nfx_op inl[NFX_TMPL_INLINE_OPS];
};

/* What an exporter's observation domain / source id has told us. */
struct nfx_dom {
	struct nfx_tkey key;
	uint32_t hash;
	uint64_t last_ms;
	uint64_t sysinit_ms;	/* IE 160, valid if has_sysinit */
	uint32_t sampling_rate;	/* 0 = unknown */
	uint32_t last_seq;	/* sequence of the previous message */
	uint32_t last_adv;	/* how far that message advanced it */
	uint8_t has_sysinit;
	uint8_t seq_valid;
	uint8_t seq_quirk;	/* exporter counts the current message's records */
	uint8_t pad;
	uint32_t ntemplates;	/* templates held for this domain */
	/* data sets waiting for a template, oldest first (ring offsets + 1) */
	uint32_t pend_head, pend_tail;
	uint32_t pend_bytes;
	uint32_t npend;
	uint64_t pend_tids;	/* bit (tid % 64) of each held set: cheap "any for tid?" */
	/*
	 * Bit (tid % 256) of every template this domain defined.  Only data for
	 * ids never defined is held: data for a withdrawn or broken template
	 * must not be decoded with whatever layout that id gets next.
	 */
	uint64_t seen_tids[4];
	/* per-exporter counters for the metrics endpoint */
	uint64_t records;
	uint64_t template_not_found;
	uint64_t seq_lost;
	uint64_t seq_resets;
};

/* Note that @dm's exporter defined or withdrew @tid: no more holding for it. */
static inline void nfx_dom_tid_seen(struct nfx_dom *dm, uint16_t tid)
{
	dm->seen_tids[tid / 64 % 4] |= 1ull << (tid % 64);
}

static inline int nfx_dom_tid_was_seen(const struct nfx_dom *dm, uint16_t tid)
{
	return !!(dm->seen_tids[tid / 64 % 4] & 1ull << (tid % 64));
}

/* A template field as sent (v9: pen 0, never varlen). */
struct nfx_field_spec {
	uint16_t id;
	uint16_t len;
	uint32_t pen;
};

/**
 * nfx_tmpl_cache_new_opts() - allocate the cache with every bound it takes
 * from @o (NULL: all defaults) and all its memory.
 * @st: where the sweep and the pending buffer count what they drop; NULL
 *      keeps those counts inside the cache (nfx_tmpl_cache_stats()).
 * @return the cache, or NULL with errno set (EINVAL for absurd bounds).
 */
struct nfx_tmpl_cache *nfx_tmpl_cache_new_opts(const struct nfx_decoder_opts *o,
					       struct nfx_dec_stats *st);

/**
 * nfx_tmpl_cache_new() - nfx_tmpl_cache_new_opts() with default bounds
 * except @max_templates (0 = 4096) and @scope_addr_only.
 * @return the cache, or NULL with errno set.
 */
struct nfx_tmpl_cache *nfx_tmpl_cache_new(uint32_t max_templates, int scope_addr_only);
void nfx_tmpl_cache_free(struct nfx_tmpl_cache *c);

/* The counters the cache updates when not given a stats struct. */
const struct nfx_dec_stats *nfx_tmpl_cache_stats(const struct nfx_tmpl_cache *c);

/*
 * nfx_tmpl_cache_sweep() - remove templates, exporter-domain states and
 * held data sets not used for @ttl_ms, and held data sets older than the
 * pending age bound.  Counted as templates_expired, exporters_expired and
 * pending_dropped.
 */
void nfx_tmpl_cache_sweep(struct nfx_tmpl_cache *c, uint64_t now_ms, uint64_t ttl_ms);

/* Fill a key (zeroing it first); the port is dropped if the cache says so. */
void nfx_tmpl_key(const struct nfx_tmpl_cache *c, struct nfx_tkey *k, uint8_t proto,
		  const struct nfx_src *src, uint32_t domain, uint16_t tid);

/**
 * nfx_tmpl_find() - the template for @k, its last use set to @now_ms.
 * @return the template (valid until the next learn/remove), or NULL.
 */
struct nfx_tmpl *nfx_tmpl_find(struct nfx_tmpl_cache *c, const struct nfx_tkey *k,
			       uint64_t now_ms);

/**
 * nfx_tmpl_learn() - compile and store (or replace) a template.  Its
 * exporter-domain state is found or created.
 * @nscope: leading scope fields (options templates; their values are skipped)
 * @max_rec: largest record a message could hold; longer templates are bad
 * @return 0, -EINVAL for a template that cannot be decoded or has more than
 *         max_template_fields fields (count it as bad_template), -ENOSPC
 *         when the cache is full (template_limit), -EDQUOT when the
 *         exporter-domain has its quota (template_exporter_limit), -ENFILE
 *         when the exporter-domain table is full (exporter_limit), -ENOMEM.
 */
int nfx_tmpl_learn(struct nfx_tmpl_cache *c, const struct nfx_tkey *k,
		   const struct nfx_field_spec *fs, unsigned int n, unsigned int nscope,
		   int options, uint32_t max_rec, uint64_t now_ms);

/** nfx_tmpl_remove() - @return 1 if the template existed and was removed, else 0. */
int nfx_tmpl_remove(struct nfx_tmpl_cache *c, const struct nfx_tkey *k);

/**
 * nfx_tmpl_remove_all() - remove every template of @k's exporter and domain
 * (@k's tid is ignored) that is (@options ? an options : a data) template.
 * @return how many were removed.
 */
unsigned int nfx_tmpl_remove_all(struct nfx_tmpl_cache *c, const struct nfx_tkey *k,
				 int options);

/**
 * nfx_tmpl_domain() - find or create the state of @k's exporter and domain
 * (@k's tid must be 0).
 * @return the state, or NULL when the table is full.
 */
struct nfx_dom *nfx_tmpl_domain(struct nfx_tmpl_cache *c, const struct nfx_tkey *k,
				uint64_t now_ms);

/*
 * One export message being decoded: what every record of it shares.  The
 * v9 and IPFIX decoders fill it from their header and hand each data set to
 * nfx_tmpl_data_set().
 */
struct nfx_msg {
	struct nfx_tmpl_cache *c;
	struct nfx_dec_stats *st;
	const struct nfx_sink *out;
	struct nfx_dom *dom;		/* may be NULL (domain table full) */
	struct nfx_flow base;		/* copied into every record */
	uint64_t export_ms;
	uint64_t now_ms;
	uint32_t sys_uptime;		/* v9 header; IPFIX uses dom->sysinit_ms */
	uint8_t proto;			/* NFX_PROTO_* */
	uint8_t slot;			/* NFX_SLOT_* */
	uint32_t emitted;		/* flow records sent to out */
	uint32_t data_records;		/* data records read (flows + options) */
};

/*
 * Start decoding a message: its exporter-domain state (counted in
 * exporter_limit when the table is full) and the fields every record of it
 * shares.  m->c, m->st, m->out and m->proto must be set.
 */
void nfx_msg_begin(struct nfx_msg *m, const struct nfx_src *src, uint8_t type,
		   uint32_t domain, uint32_t seq);

/*
 * A data set of message @m: decoded with its template, or held until the
 * template arrives (counted as template_not_found).  A data set that turns
 * out malformed drops its template, which the next refresh brings back.
 */
void nfx_tmpl_data(struct nfx_msg *m, const struct nfx_src *src, uint32_t domain,
		   uint16_t tid, const uint8_t *p, size_t len);

/**
 * nfx_tmpl_data_set() - decode the records of one data set body (after the
 * 4-byte set header) with template @t.  Trailing bytes shorter than a record
 * are padding.  Options records update m->dom; records of data templates
 * that map at least one flow field go to m->out (PSAMP packet reports and
 * other field-less data never become empty flows).
 * @return 0, or -EINVAL when a record overran the set (counted as
 *         record_overrun; the caller drops the template).
 */
int nfx_tmpl_data_set(struct nfx_msg *m, const struct nfx_tmpl *t, const uint8_t *p,
		      size_t len);

/*
 * nfx_tmpl_seq() - account a message's sequence number in its domain.
 * @adv: how far this message moves the sequence (1 packet for v9, data
 *       records for IPFIX).  Gaps go to seq_lost, restarts to seq_resets.
 */
void nfx_tmpl_seq(struct nfx_dom *dm, struct nfx_dec_stats *st, uint32_t seq, uint32_t adv,
		  uint32_t max_gap, uint32_t max_back);

/**
 * nfx_tmpl_pending_add() - hold a copy of data set body @p (template @tid
 * unknown) with the header values of message @m, for
 * nfx_tmpl_pending_run().  Counted as pending_buffered, or pending_dropped
 * when the exporter's share, the set count or the buffer is exhausted (the
 * buffer makes room by dropping its oldest sets, of any exporter).
 * @return 0, -ENOSPC when the set was not kept (counted), -ENODATA when
 *         holding is off or this domain defined @tid before (see seen_tids).
 */
int nfx_tmpl_pending_add(struct nfx_msg *m, uint16_t tid, const uint8_t *p, size_t len);

/**
 * nfx_tmpl_pending_run() - decode, in arrival order, the held data sets of
 * @m's exporter-domain for template @k (just learned).  Their flows go to
 * m->out and count in m->emitted and pending_decoded; sets older than the
 * age bound are dropped instead.
 * @return the number of flow records emitted.
 */
unsigned int nfx_tmpl_pending_run(struct nfx_msg *m, const struct nfx_tkey *k);

/* Number of templates / domains / held bytes (tests and stats). */
uint32_t nfx_tmpl_count(const struct nfx_tmpl_cache *c);
uint32_t nfx_tmpl_domain_count(const struct nfx_tmpl_cache *c);
uint32_t nfx_tmpl_pending_bytes(const struct nfx_tmpl_cache *c);
/* Largest template (in fields) the cache accepts. */
unsigned int nfx_tmpl_max_fields(const struct nfx_tmpl_cache *c);

/* One exporter-domain, as the metrics endpoint shows it. */
struct nfx_exporter_info {
	struct nfx_addr addr;
	uint16_t port;		/* 0 when templates are scoped by address only */
	uint32_t domain;	/* v9 source id / IPFIX observation domain */
	uint8_t version;	/* 9 or 10 */
	uint64_t records;	/* flow records decoded */
	uint64_t template_not_found;	/* data sets without template */
	uint64_t seq_lost;
	uint64_t seq_resets;
	uint64_t templates;	/* held now */
	uint64_t last_seen_ms;
};

/*
 * nfx_tmpl_foreach_exporter() - call @fn for every exporter-domain held, in
 * no particular order.  @fn must not change the cache.
 */
/*
 * Additional-field mappings compiled into the plans of templates learned
 * from now on (a template already held keeps its plan until the exporter
 * sends it again).  @maps must stay valid until replaced.
 */
void nfx_tmpl_cache_set_fieldmaps(struct nfx_tmpl_cache *c, const struct nfx_fieldmap *maps,
				  unsigned int n);
/* The listener port of the message about to be decoded (mappings are per listener). */
void nfx_tmpl_cache_set_port(struct nfx_tmpl_cache *c, uint16_t port);

void nfx_tmpl_foreach_exporter(const struct nfx_tmpl_cache *c,
			       void (*fn)(void *ctx, const struct nfx_exporter_info *e),
			       void *ctx);

#endif /* NFX_TMPL_CACHE_H */
