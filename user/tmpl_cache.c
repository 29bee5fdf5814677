// SPDX-License-Identifier: BSD-2-Clause
/*
 * tmpl_cache.c - the v9/IPFIX template cache: two open-addressed hash
 * tables (templates, exporter domains) over slabs allocated once, and the
 * template compiler that turns field specifiers into a decode plan.
 *
 * Linear probing with backward-shift deletion keeps lookups short without
 * tombstones, so withdrawals and sweeps never degrade the table.  The index
 * holds slot numbers + 1 (0 = empty) and is twice the slab size.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ie.h"
#include "tmpl_cache.h"

/* Common head of both slot kinds, so one index implementation serves both. */
struct nfx_centry {
	struct nfx_tkey key;
	uint32_t hash;
};

struct nfx_index {
	uint32_t *slot;		/* slot number + 1, 0 = empty */
	uint32_t mask;
	char *base;		/* slab */
	size_t stride;
	uint32_t *free;		/* stack of free slot numbers */
	uint32_t nfree;
	uint32_t max;
};

struct nfx_tmpl_cache {
	struct nfx_index t;	/* struct nfx_tmpl */
	struct nfx_index d;	/* struct nfx_dom */
	uint64_t seed;
	int scope_addr_only;
};

_Static_assert(sizeof(struct nfx_tkey) == 28, "nfx_tkey has no hidden padding");
_Static_assert(offsetof(struct nfx_tmpl, hash) == offsetof(struct nfx_centry, hash), "head");
_Static_assert(offsetof(struct nfx_dom, hash) == offsetof(struct nfx_centry, hash), "head");

static uint32_t key_hash(const struct nfx_tkey *k, uint64_t seed)
{
	uint64_t w[4] = { 0 };
	uint64_t h = seed;

	memcpy(w, k, sizeof(*k));
	for (int i = 0; i < 4; i++) {
		h = (h ^ w[i]) * 0x9e3779b97f4a7c15ull;
		h ^= h >> 29;
	}
	return (uint32_t)(h ^ h >> 32);
}

static struct nfx_centry *idx_entry(const struct nfx_index *x, uint32_t slot)
{
	return (struct nfx_centry *)(x->base + (size_t)slot * x->stride);
}

static int idx_init(struct nfx_index *x, uint32_t max, size_t stride)
{
	uint32_t cap = 16;

	while (cap < 2 * max)
		cap <<= 1;
	x->slot = calloc(cap, sizeof(*x->slot));
	x->base = calloc(max, stride);
	x->free = calloc(max, sizeof(*x->free));
	if (!x->slot || !x->base || !x->free)
		return -ENOMEM;
	x->mask = cap - 1;
	x->stride = stride;
	x->max = max;
	for (uint32_t i = 0; i < max; i++)
		x->free[i] = max - 1 - i;
	x->nfree = max;
	return 0;
}

static void idx_fini(struct nfx_index *x)
{
	free(x->slot);
	free(x->base);
	free(x->free);
}

/* @return the index position holding @k, or the empty position ending its probe (*found 0). */
static uint32_t idx_probe(const struct nfx_index *x, const struct nfx_tkey *k, uint32_t h,
			  int *found)
{
	uint32_t pos = h & x->mask;

	for (;;) {
		uint32_t s = x->slot[pos];
		const struct nfx_centry *e;

		if (!s) {
			*found = 0;
			return pos;
		}
		e = idx_entry(x, s - 1);
		if (e->hash == h && !memcmp(&e->key, k, sizeof(*k))) {
			*found = 1;
			return pos;
		}
		pos = (pos + 1) & x->mask;
	}
}

/* Empty index position @pos, shifting later members of the cluster back. */
static void idx_delete_pos(struct nfx_index *x, uint32_t pos)
{
	uint32_t hole = pos, next = pos;

	x->free[x->nfree++] = x->slot[pos] - 1;
	x->slot[pos] = 0;
	for (;;) {
		uint32_t s, home;

		next = (next + 1) & x->mask;
		s = x->slot[next];
		if (!s)
			return;
		home = idx_entry(x, s - 1)->hash & x->mask;
		/* move it if its home is not cyclically within (hole, next] */
		if (((next - home) & x->mask) >= ((next - hole) & x->mask)) {
			x->slot[hole] = s;
			x->slot[next] = 0;
			hole = next;
		}
	}
}

/* Take a free slot for @k at empty position @pos; NULL when the slab is full. */
static struct nfx_centry *idx_insert(struct nfx_index *x, uint32_t pos,
				     const struct nfx_tkey *k, uint32_t h)
{
	struct nfx_centry *e;
	uint32_t s;

	if (!x->nfree)
		return NULL;
	s = x->free[--x->nfree];
	e = idx_entry(x, s);
	memset(e, 0, x->stride);
	e->key = *k;
	e->hash = h;
	x->slot[pos] = s + 1;
	return e;
}

static void tmpl_release(struct nfx_tmpl *t)
{
	if (t->ops && t->ops != t->inl)
		free(t->ops);
	t->ops = NULL;
}

struct nfx_tmpl_cache *nfx_tmpl_cache_new(uint32_t max_templates, int scope_addr_only)
{
	struct nfx_tmpl_cache *c;
	struct timespec ts;
	int err;

	if (!max_templates)
		max_templates = NFX_TMPL_DEFAULT_MAX;
	if (max_templates > (1u << 24)) {
		errno = EINVAL;
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	err = idx_init(&c->t, max_templates, sizeof(struct nfx_tmpl));
	if (!err)
		err = idx_init(&c->d, max_templates, sizeof(struct nfx_dom));
	if (err) {
		nfx_tmpl_cache_free(c);
		errno = -err;
		return NULL;
	}
	/* a per-process seed keeps exporters from aiming at one probe chain */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	c->seed = ((uint64_t)ts.tv_nsec << 32 ^ (uint64_t)ts.tv_sec ^ (uintptr_t)c) |
		  1;
	c->scope_addr_only = scope_addr_only;
	return c;
}

void nfx_tmpl_cache_free(struct nfx_tmpl_cache *c)
{
	if (!c)
		return;
	if (c->t.slot && c->t.base) {
		for (uint32_t p = 0; p <= c->t.mask; p++)
			if (c->t.slot[p])
				tmpl_release((struct nfx_tmpl *)idx_entry(&c->t, c->t.slot[p] - 1));
	}
	idx_fini(&c->t);
	idx_fini(&c->d);
	free(c);
}

void nfx_tmpl_key(const struct nfx_tmpl_cache *c, struct nfx_tkey *k, uint8_t proto,
		  const struct nfx_src *src, uint32_t domain, uint16_t tid)
{
	memset(k, 0, sizeof(*k));
	memcpy(k->addr, src->addr.b, sizeof(k->addr));
	k->domain = domain;
	k->port = c->scope_addr_only ? 0 : src->port;
	k->tid = tid;
	k->proto = proto;
}

struct nfx_tmpl *nfx_tmpl_find(struct nfx_tmpl_cache *c, const struct nfx_tkey *k,
			       uint64_t now_ms)
{
	uint32_t pos;
	struct nfx_tmpl *t;
	int found;

	pos = idx_probe(&c->t, k, key_hash(k, c->seed), &found);
	if (!found)
		return NULL;
	t = (struct nfx_tmpl *)idx_entry(&c->t, c->t.slot[pos] - 1);
	t->last_ms = now_ms;
	return t;
}

struct plan {
	struct nfx_op ops[NFX_TMPL_MAX_FIELDS];
	uint8_t prio[NFX_TMPL_MAX_FIELDS];
	uint8_t target[NFX_TMPL_MAX_FIELDS];
	unsigned int nops;
	uint32_t rec_len;
	int varlen;
};

/* The transform a field feeds, or SKIP. */
static unsigned int field_xf(const struct nfx_field_spec *fs, int scope, int options,
			     const struct nfx_ie **iep)
{
	const struct nfx_ie *ie;

	*iep = NULL;
	if (scope)
		return NFX_XF_SKIP;
	ie = nfx_ie_get(fs->id, fs->pen);
	if (!ie || ie->options != !!options)
		return NFX_XF_SKIP;
	if (fs->len != NFX_VARLEN && !nfx_ie_len_ok(ie->xf, fs->len))
		return NFX_XF_SKIP;
	*iep = ie;
	return ie->xf;
}

/*
 * Build the plan: one op per mapped field, the best-priority source of each
 * target winning.  Fixed-length plans keep only mapped ops with offsets;
 * varlen plans keep every field (runs of skipped fixed fields merged) since
 * offsets are only known at run time.
 */
static int compile(struct plan *pl, const struct nfx_field_spec *fs, unsigned int n,
		   unsigned int nscope, int options)
{
	int16_t best[NFX_T_MAX];
	uint32_t off = 0;

	memset(best, 0xff, sizeof(best));
	pl->nops = 0;
	pl->varlen = 0;
	for (unsigned int i = 0; i < n; i++)
		if (fs[i].len == NFX_VARLEN)
			pl->varlen = 1;
	for (unsigned int i = 0; i < n; i++) {
		const struct nfx_ie *ie;
		unsigned int xf = field_xf(&fs[i], i < nscope, options, &ie);
		struct nfx_op *op;

		if (ie && best[ie->target] >= 0) {
			int16_t o = best[ie->target];

			if (ie->prio < pl->prio[o]) {
				/* the earlier op loses its place to this field */
				pl->ops[o].xf = NFX_XF_SKIP;
			} else {
				xf = NFX_XF_SKIP;
				ie = NULL;
			}
		}
		if (xf == NFX_XF_SKIP && !pl->varlen) {
			off += fs[i].len;
			continue;
		}
		if (pl->varlen && xf == NFX_XF_SKIP && fs[i].len != NFX_VARLEN && pl->nops &&
		    pl->ops[pl->nops - 1].xf == NFX_XF_SKIP &&
		    pl->ops[pl->nops - 1].len != NFX_VARLEN &&
		    pl->ops[pl->nops - 1].len + fs[i].len < NFX_VARLEN) {
			pl->ops[pl->nops - 1].len += fs[i].len;
			off += fs[i].len;
			continue;
		}
		op = &pl->ops[pl->nops];
		op->off = (uint16_t)(off > 0xffff ? 0xffff : off);
		op->len = fs[i].len;
		op->xf = (uint8_t)xf;
		op->pad = 0;
		pl->prio[pl->nops] = ie ? ie->prio : 0xff;
		pl->target[pl->nops] = ie ? ie->target : 0;
		if (ie)
			best[ie->target] = (int16_t)pl->nops;
		pl->nops++;
		off += fs[i].len == NFX_VARLEN ? 1 : fs[i].len;
	}
	pl->rec_len = off;
	if (!pl->varlen) {
		/* drop ops that lost their target to a later, better field */
		unsigned int j = 0;

		for (unsigned int i = 0; i < pl->nops; i++)
			if (pl->ops[i].xf != NFX_XF_SKIP)
				pl->ops[j++] = pl->ops[i];
		pl->nops = j;
	}
	return 0;
}

static int tmpl_store(struct nfx_tmpl *t, const struct plan *pl, int options)
{
	struct nfx_op *ops = t->inl;

	if (pl->nops > NFX_TMPL_INLINE_OPS) {
		ops = malloc(pl->nops * sizeof(*ops));
		if (!ops)
			return -ENOMEM;
	}
	tmpl_release(t);
	memcpy(ops, pl->ops, pl->nops * sizeof(*ops));
	t->ops = ops;
	t->nops = (uint16_t)pl->nops;
	t->rec_len = pl->rec_len;
	t->varlen = (uint8_t)pl->varlen;
	t->options = !!options;
	return 0;
}

int nfx_tmpl_learn(struct nfx_tmpl_cache *c, const struct nfx_tkey *k,
		   const struct nfx_field_spec *fs, unsigned int n, unsigned int nscope,
		   int options, uint32_t max_rec, uint64_t now_ms)
{
	struct plan pl;
	struct nfx_tmpl *t;
	uint32_t h, pos;
	int found, err;

	if (!n || n > NFX_TMPL_MAX_FIELDS || nscope > n)
		return -EINVAL;
	compile(&pl, fs, n, nscope, options);
	/* a record must fit a message and make the data walk move forward */
	if (!pl.rec_len || pl.rec_len > max_rec)
		return -EINVAL;
	h = key_hash(k, c->seed);
	pos = idx_probe(&c->t, k, h, &found);
	if (found) {
		t = (struct nfx_tmpl *)idx_entry(&c->t, c->t.slot[pos] - 1);
	} else {
		t = (struct nfx_tmpl *)idx_insert(&c->t, pos, k, h);
		if (!t)
			return -ENOSPC;
	}
	err = tmpl_store(t, &pl, options);
	if (err) {
		if (!found)
			idx_delete_pos(&c->t, pos);
		else
			nfx_tmpl_remove(c, k);
		return err;
	}
	t->last_ms = now_ms;
	return 0;
}

int nfx_tmpl_remove(struct nfx_tmpl_cache *c, const struct nfx_tkey *k)
{
	uint32_t pos;
	int found;

	pos = idx_probe(&c->t, k, key_hash(k, c->seed), &found);
	if (!found)
		return 0;
	tmpl_release((struct nfx_tmpl *)idx_entry(&c->t, c->t.slot[pos] - 1));
	idx_delete_pos(&c->t, pos);
	return 1;
}

/* Remove the entries @match accepts; restarts the scan after each shift. */
static unsigned int idx_remove_if(struct nfx_index *x,
				  int (*match)(const struct nfx_centry *e, const void *arg),
				  const void *arg, void (*release)(struct nfx_centry *e))
{
	unsigned int removed = 0;
	uint32_t p = 0;

	while (p <= x->mask) {
		uint32_t s = x->slot[p];
		struct nfx_centry *e;

		if (!s) {
			p++;
			continue;
		}
		e = idx_entry(x, s - 1);
		if (!match(e, arg)) {
			p++;
			continue;
		}
		if (release)
			release(e);
		idx_delete_pos(x, p);
		removed++;
		/*
		 * Backward shifts only move later entries of the cluster into
		 * p or after it, so p is looked at again and nothing is missed.
		 */
	}
	return removed;
}

struct remove_all_arg {
	const struct nfx_tkey *k;
	int options;
};

static int same_domain(const struct nfx_tkey *a, const struct nfx_tkey *b)
{
	return a->proto == b->proto && a->domain == b->domain && a->port == b->port &&
	       !memcmp(a->addr, b->addr, sizeof(a->addr));
}

static int match_domain_kind(const struct nfx_centry *e, const void *arg)
{
	const struct remove_all_arg *a = arg;

	return same_domain(&e->key, a->k) &&
	       ((const struct nfx_tmpl *)e)->options == !!a->options;
}

static void release_tmpl(struct nfx_centry *e)
{
	tmpl_release((struct nfx_tmpl *)e);
}

unsigned int nfx_tmpl_remove_all(struct nfx_tmpl_cache *c, const struct nfx_tkey *k,
				 int options)
{
	struct remove_all_arg a = { .k = k, .options = options };

	return idx_remove_if(&c->t, match_domain_kind, &a, release_tmpl);
}

struct nfx_dom *nfx_tmpl_domain(struct nfx_tmpl_cache *c, const struct nfx_tkey *k,
				uint64_t now_ms)
{
	struct nfx_dom *dm;
	uint32_t h, pos;
	int found;

	h = key_hash(k, c->seed);
	pos = idx_probe(&c->d, k, h, &found);
	if (found)
		dm = (struct nfx_dom *)idx_entry(&c->d, c->d.slot[pos] - 1);
	else
		dm = (struct nfx_dom *)idx_insert(&c->d, pos, k, h);
	if (dm)
		dm->last_ms = now_ms;
	return dm;
}

struct sweep_arg {
	uint64_t now_ms;
	uint64_t ttl_ms;
};

static int match_tmpl_idle(const struct nfx_centry *e, const void *arg)
{
	const struct sweep_arg *a = arg;
	uint64_t last = ((const struct nfx_tmpl *)e)->last_ms;

	return last + a->ttl_ms < a->now_ms;
}

static int match_dom_idle(const struct nfx_centry *e, const void *arg)
{
	const struct sweep_arg *a = arg;
	uint64_t last = ((const struct nfx_dom *)e)->last_ms;

	return last + a->ttl_ms < a->now_ms;
}

void nfx_tmpl_cache_sweep(struct nfx_tmpl_cache *c, uint64_t now_ms, uint64_t ttl_ms)
{
	struct sweep_arg a = { .now_ms = now_ms, .ttl_ms = ttl_ms };

	if (!c)
		return;
	idx_remove_if(&c->t, match_tmpl_idle, &a, release_tmpl);
	idx_remove_if(&c->d, match_dom_idle, &a, NULL);
}

uint32_t nfx_tmpl_count(const struct nfx_tmpl_cache *c)
{
	return c->t.max - c->t.nfree;
}

uint32_t nfx_tmpl_domain_count(const struct nfx_tmpl_cache *c)
{
	return c->d.max - c->d.nfree;
}

/*
 * Sampling rate from an options record.  IE 305/306 (RFC 5477 systematic
 * count-based: select "interval" packets, skip "space") give
 * (interval + space) / interval; 309/310 (random n-out-of-N) give
 * population / size; 311 (probability) gives 1 / p; then 50 (v9 random
 * sampler interval) and 34 (sampling interval).  302 selectorId and 304
 * selectorAlgorithm are not needed for the rate and are not read.
 */
static uint64_t options_rate(const struct nfx_rec *r)
{
	if ((r->have & NFX_R_SAMP_PKT_INT) && r->samp_pkt_int) {
		if (r->have & NFX_R_SAMP_PKT_SPACE)
			return (r->samp_pkt_int + r->samp_pkt_space) / r->samp_pkt_int;
		return r->samp_pkt_int;
	}
	if ((r->have & NFX_R_SAMP_SIZE) && (r->have & NFX_R_SAMP_POP) && r->samp_size)
		return r->samp_pop / r->samp_size;
	if (r->have & NFX_R_SAMP_PROB) {
		double prob;

		memcpy(&prob, &r->samp_prob_bits, sizeof(prob));
		if (prob > 0 && prob <= 1)
			return (uint64_t)(1 / prob + 0.5);
	}
	if ((r->have & NFX_R_SAMP_RANDOM) && r->samp_random)
		return r->samp_random;
	if (r->have & NFX_R_SAMP_INTERVAL)
		return r->samp_interval;
	return 0;
}

static void options_record(struct nfx_msg *m, const struct nfx_rec *r)
{
	uint64_t rate;

	m->st->options_records++;
	if (!m->dom)
		return;
	if (r->have & NFX_R_SYSINIT) {
		m->dom->sysinit_ms = r->sysinit_ms;
		m->dom->has_sysinit = 1;
	}
	rate = options_rate(r);
	if (rate)
		m->dom->sampling_rate = rate > UINT32_MAX ? UINT32_MAX : (uint32_t)rate;
}

/* Times that need the message: uptime-relative and export-relative ones. */
static void flow_times(const struct nfx_msg *m, struct nfx_rec *r)
{
	struct nfx_flow *f = &r->f;

	if (r->have & (NFX_R_START_UP | NFX_R_END_UP)) {
		if (m->proto == NFX_PROTO_V9) {
			if (r->have & NFX_R_START_UP) {
				f->start_ms = nfx_uptime_to_epoch_ms(m->export_ms, m->sys_uptime,
								     r->up_start);
				f->present |= NFX_F_START;
			}
			if (r->have & NFX_R_END_UP) {
				f->end_ms = nfx_uptime_to_epoch_ms(m->export_ms, m->sys_uptime,
								   r->up_end);
				f->present |= NFX_F_END;
			}
		} else if (m->dom && m->dom->has_sysinit) {
			/* RFC 7011: sysUpTime elements count from IE 160; without it
			 * there is no anchor and the times stay absent */
			if (r->have & NFX_R_START_UP) {
				f->start_ms = m->dom->sysinit_ms + r->up_start;
				f->present |= NFX_F_START;
			}
			if (r->have & NFX_R_END_UP) {
				f->end_ms = m->dom->sysinit_ms + r->up_end;
				f->present |= NFX_F_END;
			}
		}
	}
	if (r->have & NFX_R_START_DUS) {
		f->start_ms = m->export_ms - r->dus_start / 1000;
		f->present |= NFX_F_START;
	}
	if (r->have & NFX_R_END_DUS) {
		f->end_ms = m->export_ms - r->dus_end / 1000;
		f->present |= NFX_F_END;
	}
}

static void record_done(struct nfx_msg *m, const struct nfx_tmpl *t, struct nfx_rec *r)
{
	m->data_records++;
	if (t->options) {
		options_record(m, r);
		return;
	}
	if (r->have)
		flow_times(m, r);
	/* options-like data in a data template is not a flow */
	if (!(r->f.present & (NFX_F_SRC_ADDR | NFX_F_DST_ADDR)))
		return;
	m->out->emit(m->out->ctx, &r->f);
	m->emitted++;
}

static int data_set_fixed(struct nfx_msg *m, const struct nfx_tmpl *t, const uint8_t *p,
			  size_t len)
{
	const struct nfx_op *ops = t->ops, *end = t->ops + t->nops;
	struct nfx_rec r;

	for (size_t pos = 0; len - pos >= t->rec_len; pos += t->rec_len) {
		const uint8_t *rec = p + pos;

		r.f = m->base;
		r.have = 0;
		for (const struct nfx_op *op = ops; op < end; op++)
			nfx_ie_apply(&r, op->xf, rec + op->off, op->len);
		record_done(m, t, &r);
	}
	return 0;
}

/* Length of the next variable-length field at p[*q]; -1 past the set. */
static long varlen_len(const uint8_t *p, size_t len, size_t *q)
{
	unsigned int l;

	if (*q >= len)
		return -1;
	l = p[(*q)++];
	if (l == 255) {
		if (len - *q < 2)
			return -1;
		l = nfx_get16(p + *q);
		*q += 2;
	}
	return l;
}

static int data_set_varlen(struct nfx_msg *m, const struct nfx_tmpl *t, const uint8_t *p,
			   size_t len)
{
	struct nfx_rec r;
	size_t pos = 0;

	while (len - pos >= t->rec_len) {
		size_t q = pos;

		r.f = m->base;
		r.have = 0;
		for (unsigned int i = 0; i < t->nops; i++) {
			const struct nfx_op *op = &t->ops[i];
			long fl = op->len;

			if (op->len == NFX_VARLEN)
				fl = varlen_len(p, len, &q);
			if (fl < 0 || len - q < (size_t)fl) {
				m->st->record_overrun++;
				return -EINVAL;
			}
			if (op->xf && nfx_ie_len_ok(op->xf, (unsigned int)fl))
				nfx_ie_apply(&r, op->xf, p + q, (unsigned int)fl);
			q += (size_t)fl;
		}
		record_done(m, t, &r);
		pos = q;
	}
	return 0;
}

int nfx_tmpl_data_set(struct nfx_msg *m, const struct nfx_tmpl *t, const uint8_t *p,
		      size_t len)
{
	m->base.sampling_rate = m->dom ? m->dom->sampling_rate : 0;
	if (t->varlen)
		return data_set_varlen(m, t, p, len);
	return data_set_fixed(m, t, p, len);
}

void nfx_tmpl_seq(struct nfx_dom *dm, struct nfx_dec_stats *st, uint32_t seq, uint32_t adv,
		  uint32_t max_gap, uint32_t max_back)
{
	uint32_t exp;
	int32_t d;

	if (!dm)
		return;
	if (!dm->seq_valid)
		goto update;
	if (seq == dm->last_seq + dm->last_adv)
		goto update;
	/* softflowd's IPFIX sequence already includes this message's records */
	if (seq == dm->last_seq + adv) {
		dm->seq_quirk = 1;
		goto update;
	}
	exp = dm->last_seq + (dm->seq_quirk ? adv : dm->last_adv);
	d = (int32_t)(seq - exp);
	if (d > 0 && (uint32_t)d <= max_gap)
		st->seq_lost += (uint32_t)d;
	else if (d > 0 || (uint32_t)-(int64_t)d > max_back)
		st->seq_resets++;
	/* a small backward step is a duplicate or reordering: not a loss */
update:
	dm->last_seq = seq;
	dm->last_adv = adv;
	dm->seq_valid = 1;
}
