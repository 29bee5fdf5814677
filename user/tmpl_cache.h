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
 */
#ifndef NFX_TMPL_CACHE_H
#define NFX_TMPL_CACHE_H

#include <stdint.h>

#include "decode.h"

#define NFX_TMPL_DEFAULT_MAX	4096
#define NFX_TMPL_MAX_FIELDS	512	/* larger templates are rejected */
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
};

/* A template field as sent (v9: pen 0, never varlen). */
struct nfx_field_spec {
	uint16_t id;
	uint16_t len;
	uint32_t pen;
};

/**
 * nfx_tmpl_cache_new() - allocate the cache.
 * @max_templates: template slots (and exporter-domain slots); 0 = 4096
 * @scope_addr_only: ignore the exporter source port in keys
 * @return the cache, or NULL with errno set.
 */
struct nfx_tmpl_cache *nfx_tmpl_cache_new(uint32_t max_templates, int scope_addr_only);
void nfx_tmpl_cache_free(struct nfx_tmpl_cache *c);

/* Remove templates and domain state not used for ttl_ms. */
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
 * nfx_tmpl_learn() - compile and store (or replace) a template.
 * @nscope: leading scope fields (options templates; their values are skipped)
 * @max_rec: largest record a message could hold; longer templates are bad
 * @return 0, -EINVAL for a template that cannot be decoded (count it as
 *         bad_template), -ENOSPC when the cache is full (template_limit),
 *         -ENOMEM.
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

/**
 * nfx_tmpl_data_set() - decode the records of one data set body (after the
 * 4-byte set header) with template @t.  Trailing bytes shorter than a record
 * are padding.  Options records update m->dom; flow records with an address
 * go to m->out.
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

/* Number of templates / domains held (tests and stats). */
uint32_t nfx_tmpl_count(const struct nfx_tmpl_cache *c);
uint32_t nfx_tmpl_domain_count(const struct nfx_tmpl_cache *c);

#endif /* NFX_TMPL_CACHE_H */
