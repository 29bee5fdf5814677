/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * tmpl_cache.h - the NetFlow v9 / IPFIX template store and the state of
 * each (exporter, domain): compiled templates, sequence, sampling rate,
 * system init time, and the heads of the data sets held for it.
 *
 * Templates are keyed as RFC 7011 scopes them over UDP: protocol, exporter
 * address, exporter source port (unless scope_addr_only), observation domain
 * / source id and template id.  The store keeps the plan (plan.h) each was
 * compiled into.  All slots are allocated up front; only plans longer than
 * the inline array allocate, and only when such a template is stored.
 *
 * Bounds, each reported to the caller, who counts it:
 *  - templates in all (max_templates: -ENOSPC);
 *  - exporter-domain states (max_exporters: -ENFILE, or NULL from
 *    nfx_tmpl_domain());
 *  - templates per exporter-domain (max_per_exporter: -EDQUOT), so one
 *    exporter cannot fill the cache;
 *  - fields per template (max_fields: -EINVAL).
 * A full table makes room by evicting (templates_evicted,
 * exporters_evicted): the least recently used exporter-domain, with its
 * templates, or template of an exporter-domain idle for at least
 * evict_idle_ms.  An exporter that sent within that window is never
 * evicted, nor are its templates: a burst of spoofed sources cannot push
 * out an exporter that is sending.  While a table holds only recent
 * entries, newcomers are refused; once the burst's entries have been idle
 * that long, a new exporter (or one that restarted with a new source port)
 * takes their room at once instead of waiting for the TTL sweep.  The victim is the oldest of a few slots under a clock hand
 * (NFX_EVICT_PROBE), not of the whole table, so a refusal costs a bounded
 * look, at most once per millisecond per table.
 * Memory is therefore fixed at creation, plus at most one heap plan per
 * template longer than NFX_TMPL_INLINE_OPS ops.  The cache counts what its
 * sweep and its evictions remove, in the struct nfx_tmpl_stats it is given.
 */
#ifndef NFX_TMPL_CACHE_H
#define NFX_TMPL_CACHE_H

#include <stdint.h>

#include "base/flow.h"
#include "decode/plan.h"

#define NFX_TMPL_DEFAULT_MAX	4096
#define NFX_EXP_DEFAULT_MAX	4096	/* exporter-domain states */
#define NFX_TMPL_PER_EXP_DEFAULT 256
#define NFX_TMPL_INLINE_OPS	40
/* Wire fields kept in the slot; longer templates keep theirs on the heap. */
#define NFX_TMPL_INLINE_FIELDS	32
/*
 * An entry used within this long is never evicted to make room (the
 * decoder's sequence sessions follow the same rule).  30 s: a v9/IPFIX
 * exporter with any traffic sends at least every inactive timeout (15 s
 * on most), so one that is exporting stays protected through a flood, and
 * a burst of spoofed sources locks newcomers out for at most this long
 * after it ends (it was template_ttl before eviction).
 */
#define NFX_EVICT_IDLE_DEFAULT_MS 30000
/* Slots a victim search looks at, from where the last one stopped. */
#define NFX_EVICT_PROBE		16

#define NFX_PROTO_V9		9
#define NFX_PROTO_IPFIX		10

/* What the cache counts: what its sweep and its evictions remove. */
#define NFX_TMPL_COUNTERS(X)							\
	X(templates_expired, "Templates removed by the TTL sweep")		\
	X(exporters_expired, "Exporter-domain states removed by the TTL sweep")	\
	X(templates_evicted, "Idle templates evicted to make room, with their exporter-domain or alone") \
	X(exporters_evicted, "Idle exporter-domain states evicted to make room for a new one")

struct nfx_tmpl_stats {
#define NFX_TMPL_STATS_FIELD_(name, help) uint64_t name;
	NFX_TMPL_COUNTERS(NFX_TMPL_STATS_FIELD_)
#undef NFX_TMPL_STATS_FIELD_
};

struct nfx_dom;

/*
 * Called for each exporter-domain state about to be removed, by the sweep
 * or to make room (its templates are gone already), for whoever keeps
 * something in it.
 */
typedef void (*nfx_dom_gone_fn)(void *ctx, struct nfx_dom *dm);

/* Bounds; 0 = the default. */
struct nfx_tmpl_opts {
	uint32_t max_templates;		/* whole cache */
	uint32_t max_exporters;		/* exporter-domain states */
	uint32_t max_per_exporter;	/* templates of one exporter-domain */
	uint32_t max_fields;		/* at most NFX_TMPL_MAX_FIELDS */
	uint32_t evict_idle_ms;		/* idle this long: may give way when full */
	int scope_addr_only;		/* ignore exporter source ports in keys */
	struct nfx_tmpl_stats *stats;	/* where the cache counts; NULL: its own */
	nfx_dom_gone_fn gone;		/* may be NULL */
	void *gone_ctx;
};

/* Zero-filled before use: the hash and the compare read the padding too. */
struct nfx_tkey {
	uint8_t addr[16];
	uint32_t domain;
	uint16_t port;		/* 0 when the cache ignores source ports */
	uint16_t tid;		/* template id; 0 in domain keys */
	uint8_t proto;		/* NFX_PROTO_* */
	uint8_t pad[3];
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
	/* its exporter-domain (which outlives it) and the domain's other templates: slot + 1 */
	uint32_t dom;
	uint32_t dom_next;	/* 0 = none */
	uint32_t dom_prev;
	struct nfx_op *ops;	/* inl or heap */
	struct nfx_op inl[NFX_TMPL_INLINE_OPS];
	/*
	 * The template as the exporter sent it and the listener port it came
	 * to (whose mappings the plan holds): what the state file saves, so
	 * that a later process compiles it again with its own mappings.
	 */
	uint16_t nfields;
	uint16_t nscope;
	uint16_t lport;
	struct nfx_field_spec *fs;	/* fs_inl or heap */
	struct nfx_field_spec fs_inl[NFX_TMPL_INLINE_FIELDS];
};

/* What an exporter's observation domain / source id has told us. */
/* Samplers (selectors) an exporter-domain announced, with their rates. */
#define NFX_DOM_SAMPLERS	8

struct nfx_sampler {
	uint64_t id;			/* flowSamplerId (48) or selectorId (302) */
	uint32_t rate;			/* 1 in rate; 0 = slot free */
};

struct nfx_dom {
	struct nfx_tkey key;
	uint32_t hash;
	uint64_t last_ms;
	uint64_t sysinit_ms;	/* IE 160, valid if has_sysinit */
	uint32_t sampling_rate;	/* 0 = unknown */
	uint32_t last_seq;	/* sequence of the previous message (seq.c) */
	uint32_t last_adv;	/* how far that message advanced it */
	uint8_t has_sysinit;
	uint8_t seq_valid;
	uint8_t seq_quirk;	/* exporter counts the current message's records */
	uint8_t pad;
	uint32_t ntemplates;	/* templates held for this domain */
	uint32_t tmpl_head;	/* the first of them: slot + 1, 0 = none */
	/* data sets waiting for a template, oldest first (pending.c's ring offsets + 1) */
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
	struct nfx_sampler samplers[NFX_DOM_SAMPLERS];
	/* exporterIPv4/IPv6Address (IE 130/131) of its options data, valid if has_export_addr */
	struct nfx_addr export_addr;
	uint8_t has_export_addr;
	uint8_t has_ifnames;	/* its options data named interfaces: look them up */
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

/**
 * nfx_tmpl_cache_new() - allocate the cache with every bound it takes from
 * @o (NULL: all defaults) and all its memory.
 * @return the cache, or NULL with errno set (EINVAL for absurd bounds).
 */
struct nfx_tmpl_cache *nfx_tmpl_cache_new(const struct nfx_tmpl_opts *o);
void nfx_tmpl_cache_free(struct nfx_tmpl_cache *c);

const struct nfx_tmpl_stats *nfx_tmpl_cache_stats(const struct nfx_tmpl_cache *c);

/*
 * nfx_tmpl_cache_sweep() - remove templates, then exporter-domain states
 * without templates, not used for @ttl_ms.  Counted as templates_expired
 * and exporters_expired; the gone function hears of each domain first.
 */
void nfx_tmpl_cache_sweep(struct nfx_tmpl_cache *c, uint64_t now_ms, uint64_t ttl_ms);

/* Fill a key (zeroing it first); the port is dropped if the cache says so. */
void nfx_tmpl_key(const struct nfx_tmpl_cache *c, struct nfx_tkey *k, uint8_t proto,
		  const struct nfx_src *src, uint32_t domain, uint16_t tid);

/**
 * nfx_tmpl_find() - the template for @k, its last use set to @now_ms.
 * @return the template (valid until the next store/remove), or NULL.
 */
struct nfx_tmpl *nfx_tmpl_find(struct nfx_tmpl_cache *c, const struct nfx_tkey *k,
			       uint64_t now_ms);

/**
 * nfx_tmpl_store() - store (or replace) the template @k compiled into @p
 * from @r, which came to listener port @lport (both kept: see struct
 * nfx_tmpl).  Its exporter-domain state is found or created, and notes @k's id as seen;
 * a full table evicts an idle entry first (see the top of this file).
 * @return 0, -EINVAL when @p has more than max_fields fields, -ENOSPC when
 *         the cache is full of recent templates, -EDQUOT when the
 *         exporter-domain has its quota, -ENFILE when the exporter-domain
 *         table is full of recent ones, -ENOMEM.
 */
int nfx_tmpl_store(struct nfx_tmpl_cache *c, const struct nfx_tkey *k,
		   const struct nfx_plan *p, const struct nfx_tmpl_rec *r, uint16_t lport,
		   uint64_t now_ms);

/* The template for @k, if held, without marking it used. */
const struct nfx_tmpl *nfx_tmpl_peek(const struct nfx_tmpl_cache *c, const struct nfx_tkey *k);
/* The state of @k's exporter and domain (@k's tid ignored), if held, without marking it used. */
struct nfx_dom *nfx_tmpl_domain_peek(const struct nfx_tmpl_cache *c, const struct nfx_tkey *k);

/*
 * Call @fn for every template, then @dfn for every exporter-domain state
 * held, in no particular order (the state file).  Neither may change the
 * cache.
 */
void nfx_tmpl_foreach(const struct nfx_tmpl_cache *c,
		      void (*fn)(void *ctx, const struct nfx_tmpl *t),
		      void (*dfn)(void *ctx, const struct nfx_dom *dm), void *ctx);

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
 * (@k's tid must be 0), its last use set to @now_ms.  A full table evicts
 * the least recently used of the idle states it looks at, with its
 * templates and (through the gone function) what others hold for it.
 * @return the state, or NULL when the table is full of recent states.
 */
struct nfx_dom *nfx_tmpl_domain(struct nfx_tmpl_cache *c, const struct nfx_tkey *k,
				uint64_t now_ms);

/*
 * A domain state's number, stable while it is held, and back: for
 * whoever must refer to one in less room than a pointer.
 */
uint32_t nfx_tmpl_domain_id(const struct nfx_tmpl_cache *c, const struct nfx_dom *dm);
struct nfx_dom *nfx_tmpl_domain_at(const struct nfx_tmpl_cache *c, uint32_t id);

/* Number of templates / domains (tests and stats). */
uint32_t nfx_tmpl_count(const struct nfx_tmpl_cache *c);
uint32_t nfx_tmpl_domain_count(const struct nfx_tmpl_cache *c);
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
void nfx_tmpl_foreach_exporter(const struct nfx_tmpl_cache *c,
			       void (*fn)(void *ctx, const struct nfx_exporter_info *e),
			       void *ctx);

#endif /* NFX_TMPL_CACHE_H */
