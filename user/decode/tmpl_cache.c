// SPDX-License-Identifier: BSD-2-Clause
/*
 * tmpl_cache.c - the v9/IPFIX template store: two open-addressed hash
 * tables (templates, exporter domains) over slabs allocated once.
 *
 * Linear probing with backward-shift deletion (base/oaht.h) keeps lookups
 * short without tombstones, so withdrawals and sweeps never degrade the
 * table.  The index holds slot numbers + 1 (0 = empty) and is twice the
 * slab size.  Slab slots never move, so each domain links its templates by
 * slot number: withdrawing all of them, or evicting the domain, walks its
 * own templates, never the table.
 *
 * A full slab makes room with a clock hand over its slots: the oldest idle
 * entry of the next NFX_EVICT_PROBE slots goes (approximate LRU, no list
 * to keep up on every lookup).  Finding none is remembered for the
 * millisecond, so a flood of newcomers against a table of recent entries
 * costs one bounded look per millisecond, not one per packet.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/oaht.h"
#include "decode/tmpl_cache.h"

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
	uint32_t hand;		/* the next slot a victim search looks at */
	uint64_t none_idle_ms;	/* when a search last found no victim (+ 1) */
};

struct nfx_tmpl_cache {
	struct nfx_index t;	/* struct nfx_tmpl */
	struct nfx_index d;	/* struct nfx_dom */
	struct nfx_tmpl_stats own;
	struct nfx_tmpl_stats *st;	/* own, or where the owner wants the counts */
	uint64_t seed;
	uint64_t idle_ms;	/* eviction: an entry used more recently stays */
	nfx_dom_gone_fn gone;
	void *gone_ctx;
	uint32_t max_per_dom;
	uint32_t max_fields;
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
	uint32_t cap = nfx_oaht_slots((uint64_t)max * 2);

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

/* The index's positions for base/oaht.h: the table is a struct nfx_index. */
struct idx_key {
	const struct nfx_tkey *k;
	uint32_t hash;
};

static int idx_used(const void *t, uint32_t pos)
{
	return ((const struct nfx_index *)t)->slot[pos] != 0;
}

static int idx_match(const void *t, uint32_t pos, const void *key)
{
	const struct nfx_index *x = t;
	const struct idx_key *q = key;
	const struct nfx_centry *e = idx_entry(x, x->slot[pos] - 1);

	return e->hash == q->hash && !memcmp(&e->key, q->k, sizeof(*q->k));
}

static uint32_t idx_hash(const void *t, uint32_t pos)
{
	const struct nfx_index *x = t;

	return idx_entry(x, x->slot[pos] - 1)->hash;
}

static void idx_move(void *t, uint32_t to, uint32_t from)
{
	struct nfx_index *x = t;

	x->slot[to] = x->slot[from];
}

static const struct nfx_oaht_ops idx_ops = {
	.used = idx_used, .match = idx_match, .hash = idx_hash, .move = idx_move,
};

/* @return the index position holding @k, or the empty position ending its probe (*found 0). */
static uint32_t idx_probe(const struct nfx_index *x, const struct nfx_tkey *k, uint32_t h,
			  int *found)
{
	struct idx_key q = { .k = k, .hash = h };

	return nfx_oaht_probe(x, x->mask, h, &idx_ops, &q, found);
}

/* Empty index position @pos, its slab slot back on the free stack. */
static void idx_delete_pos(struct nfx_index *x, uint32_t pos)
{
	x->free[x->nfree++] = x->slot[pos] - 1;
	pos = nfx_oaht_delete(x, x->mask, pos, &idx_ops);
	x->slot[pos] = 0;
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

static void ops_release(struct nfx_tmpl *t)
{
	if (t->ops && t->ops != t->inl)
		free(t->ops);
	t->ops = NULL;
	if (t->fs && t->fs != t->fs_inl)
		free(t->fs);
	t->fs = NULL;
}

static struct nfx_tmpl *tmpl_at(const struct nfx_tmpl_cache *c, uint32_t slot)
{
	return (struct nfx_tmpl *)idx_entry(&c->t, slot);
}

static uint32_t slot_of(const struct nfx_index *x, const void *e)
{
	return (uint32_t)(((const char *)e - x->base) / x->stride);
}

static struct nfx_dom *tmpl_dom(const struct nfx_tmpl_cache *c, const struct nfx_tmpl *t)
{
	return (struct nfx_dom *)idx_entry(&c->d, t->dom - 1);
}

/* @t joins @dm's templates. */
static void tmpl_link(struct nfx_tmpl_cache *c, struct nfx_tmpl *t, struct nfx_dom *dm)
{
	uint32_t s = slot_of(&c->t, t) + 1;

	t->dom = slot_of(&c->d, dm) + 1;
	t->dom_prev = 0;
	t->dom_next = dm->tmpl_head;
	if (dm->tmpl_head)
		tmpl_at(c, dm->tmpl_head - 1)->dom_prev = s;
	dm->tmpl_head = s;
	dm->ntemplates++;
}

static void tmpl_unlink(struct nfx_tmpl_cache *c, struct nfx_tmpl *t)
{
	struct nfx_dom *dm = tmpl_dom(c, t);

	if (t->dom_prev)
		tmpl_at(c, t->dom_prev - 1)->dom_next = t->dom_next;
	else
		dm->tmpl_head = t->dom_next;
	if (t->dom_next)
		tmpl_at(c, t->dom_next - 1)->dom_prev = t->dom_prev;
	dm->ntemplates--;
	t->dom = 0;
}

static void tmpl_release(struct nfx_tmpl_cache *c, struct nfx_tmpl *t)
{
	ops_release(t);
	if (t->dom)
		tmpl_unlink(c, t);
}

/* Remove the held template @t. */
static void tmpl_delete(struct nfx_tmpl_cache *c, struct nfx_tmpl *t)
{
	uint32_t pos;
	int found;

	pos = idx_probe(&c->t, &t->key, t->hash, &found);
	tmpl_release(c, t);
	idx_delete_pos(&c->t, pos);
}

static uint32_t opt_or(uint32_t v, uint32_t def)
{
	return v ? v : def;
}

/* Take the bounds from @o; -EINVAL for ones no table could honour. */
static int cache_bounds(struct nfx_tmpl_cache *c, const struct nfx_tmpl_opts *o,
			uint32_t *max_t, uint32_t *max_d)
{
	*max_t = opt_or(o->max_templates, NFX_TMPL_DEFAULT_MAX);
	*max_d = opt_or(o->max_exporters, NFX_EXP_DEFAULT_MAX);
	if (*max_t > (1u << 24) || *max_d > (1u << 24))
		return -EINVAL;
	c->max_per_dom = opt_or(o->max_per_exporter, NFX_TMPL_PER_EXP_DEFAULT);
	c->max_fields = opt_or(o->max_fields, NFX_TMPL_MAX_FIELDS);
	if (c->max_fields > NFX_TMPL_MAX_FIELDS)
		c->max_fields = NFX_TMPL_MAX_FIELDS;
	c->idle_ms = opt_or(o->evict_idle_ms, NFX_EVICT_IDLE_DEFAULT_MS);
	c->scope_addr_only = o->scope_addr_only;
	c->st = o->stats ? o->stats : &c->own;
	c->gone = o->gone;
	c->gone_ctx = o->gone_ctx;
	return 0;
}

struct nfx_tmpl_cache *nfx_tmpl_cache_new(const struct nfx_tmpl_opts *o)
{
	static const struct nfx_tmpl_opts defaults;
	uint32_t max_t, max_d;
	struct nfx_tmpl_cache *c;
	struct timespec ts;
	int err;

	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	err = cache_bounds(c, o ? o : &defaults, &max_t, &max_d);
	if (!err)
		err = idx_init(&c->t, max_t, sizeof(struct nfx_tmpl));
	if (!err)
		err = idx_init(&c->d, max_d, sizeof(struct nfx_dom));
	if (err)
		goto err_free;
	/* a per-process seed keeps exporters from aiming at one probe chain */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	c->seed = ((uint64_t)ts.tv_nsec << 32 ^ (uint64_t)ts.tv_sec ^ (uintptr_t)c) |
		  1;
	return c;

err_free:
	nfx_tmpl_cache_free(c);
	errno = -err;
	return NULL;
}

const struct nfx_tmpl_stats *nfx_tmpl_cache_stats(const struct nfx_tmpl_cache *c)
{
	return c->st;
}

void nfx_tmpl_cache_free(struct nfx_tmpl_cache *c)
{
	if (!c)
		return;
	if (c->t.slot && c->t.base) {
		for (uint32_t p = 0; p <= c->t.mask; p++)
			if (c->t.slot[p])
				ops_release((struct nfx_tmpl *)idx_entry(&c->t, c->t.slot[p] - 1));
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

static int tmpl_set_plan(struct nfx_tmpl *t, const struct nfx_plan *p,
			 const struct nfx_tmpl_rec *r, uint16_t lport)
{
	struct nfx_field_spec *fs = t->fs_inl;
	struct nfx_op *ops = t->inl;

	if (p->nops > NFX_TMPL_INLINE_OPS) {
		ops = malloc(p->nops * sizeof(*ops));
		if (!ops)
			return -ENOMEM;
	}
	if (r->n > NFX_TMPL_INLINE_FIELDS) {
		fs = malloc(r->n * sizeof(*fs));
		if (!fs) {
			if (ops != t->inl)
				free(ops);
			return -ENOMEM;
		}
	}
	ops_release(t);
	memcpy(ops, p->ops, p->nops * sizeof(*ops));
	memcpy(fs, r->fs, r->n * sizeof(*fs));
	t->fs = fs;
	t->nfields = (uint16_t)r->n;
	t->nscope = (uint16_t)r->nscope;
	t->lport = lport;
	t->ops = ops;
	t->nops = (uint16_t)p->nops;
	t->rec_len = p->rec_len;
	t->varlen = p->varlen;
	t->options = p->options;
	t->flow = p->flow;
	return 0;
}

/* ---- eviction ---- */

/*
 * The oldest entry, by @last_use, of the next NFX_EVICT_PROBE slots of the
 * full slab @x that was last used @idle_ms ago or earlier; NULL if none.
 */
static struct nfx_centry *idx_victim(const struct nfx_tmpl_cache *c, struct nfx_index *x,
				     uint64_t now_ms,
				     uint64_t (*last_use)(const struct nfx_tmpl_cache *c,
							  const struct nfx_centry *e))
{
	struct nfx_centry *best = NULL;
	uint64_t best_last = 0;
	uint32_t n = x->max < NFX_EVICT_PROBE ? x->max : NFX_EVICT_PROBE;

	/* a search that found nothing holds for its millisecond */
	if (x->none_idle_ms == now_ms + 1)
		return NULL;
	for (uint32_t i = 0; i < n; i++) {
		struct nfx_centry *e = idx_entry(x, x->hand);
		uint64_t last = last_use(c, e);

		x->hand = x->hand + 1 < x->max ? x->hand + 1 : 0;
		/* used in the window, or after now (a capture's clock went back) */
		if (last > now_ms || now_ms - last < c->idle_ms)
			continue;
		if (!best || last < best_last) {
			best = e;
			best_last = last;
		}
	}
	if (!best)
		x->none_idle_ms = now_ms + 1;
	return best;
}

static uint64_t dom_last_use(const struct nfx_tmpl_cache *c, const struct nfx_centry *e)
{
	return ((const struct nfx_dom *)e)->last_ms;
}

/*
 * A template is as recent as its exporter-domain, which every use of the
 * template touches too: an exporter that is sending keeps all of them.
 */
static uint64_t tmpl_last_use(const struct nfx_tmpl_cache *c, const struct nfx_centry *e)
{
	return tmpl_dom(c, (const struct nfx_tmpl *)e)->last_ms;
}

/* Remove domain @dm: whoever holds something in it, then its templates, then itself. */
static void dom_delete(struct nfx_tmpl_cache *c, struct nfx_dom *dm)
{
	uint32_t pos;
	int found;

	if (c->gone)
		c->gone(c->gone_ctx, dm);
	while (dm->tmpl_head) {
		tmpl_delete(c, tmpl_at(c, dm->tmpl_head - 1));
		c->st->templates_evicted++;
	}
	pos = idx_probe(&c->d, &dm->key, dm->hash, &found);
	idx_delete_pos(&c->d, pos);
}

/* Make room in the full domain table. @return 0, or -ENFILE when every state looked at is recent. */
static int dom_evict(struct nfx_tmpl_cache *c, uint64_t now_ms)
{
	struct nfx_centry *e = idx_victim(c, &c->d, now_ms, dom_last_use);

	if (!e)
		return -ENFILE;
	dom_delete(c, (struct nfx_dom *)e);
	c->st->exporters_evicted++;
	return 0;
}

/* Make room in the full template table. @return 0, or -ENOSPC when every one looked at is recent. */
static int tmpl_evict(struct nfx_tmpl_cache *c, uint64_t now_ms)
{
	struct nfx_centry *e = idx_victim(c, &c->t, now_ms, tmpl_last_use);

	if (!e)
		return -ENOSPC;
	tmpl_delete(c, (struct nfx_tmpl *)e);
	c->st->templates_evicted++;
	return 0;
}

/*
 * A new template's slot for @k (hash @h), after any eviction: removals move
 * index positions, so the probe comes last.  @dm was just used, so neither
 * it nor its templates can be the victim.
 */
static struct nfx_tmpl *tmpl_insert(struct nfx_tmpl_cache *c, const struct nfx_tkey *k,
				    uint32_t h, uint64_t now_ms, uint32_t *pos)
{
	int found;

	if (!c->t.nfree && tmpl_evict(c, now_ms))
		return NULL;
	*pos = idx_probe(&c->t, k, h, &found);
	return (struct nfx_tmpl *)idx_insert(&c->t, *pos, k, h);
}

int nfx_tmpl_store(struct nfx_tmpl_cache *c, const struct nfx_tkey *k,
		   const struct nfx_plan *p, const struct nfx_tmpl_rec *r, uint16_t lport,
		   uint64_t now_ms)
{
	struct nfx_dom *dm = NULL;
	struct nfx_tkey dk;
	struct nfx_tmpl *t;
	uint32_t h, pos;
	int found, err;

	if (p->nfields > c->max_fields || r->n != p->nfields)
		return -EINVAL;
	h = key_hash(k, c->seed);
	pos = idx_probe(&c->t, k, h, &found);
	if (found) {
		t = (struct nfx_tmpl *)idx_entry(&c->t, c->t.slot[pos] - 1);
	} else {
		dk = *k;
		dk.tid = 0;
		dm = nfx_tmpl_domain(c, &dk, now_ms);
		if (!dm)
			return -ENFILE;
		if (dm->ntemplates >= c->max_per_dom)
			return -EDQUOT;
		t = tmpl_insert(c, k, h, now_ms, &pos);
		if (!t)
			return -ENOSPC;
	}
	err = tmpl_set_plan(t, p, r, lport);
	if (err) {
		if (!found)
			idx_delete_pos(&c->t, pos);
		else
			nfx_tmpl_remove(c, k);
		return err;
	}
	if (!found)
		tmpl_link(c, t, dm);
	nfx_dom_tid_seen(tmpl_dom(c, t), k->tid);
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
	tmpl_release(c, (struct nfx_tmpl *)idx_entry(&c->t, c->t.slot[pos] - 1));
	idx_delete_pos(&c->t, pos);
	return 1;
}

/* Remove the entries @match accepts; restarts the scan after each shift. */
static unsigned int idx_remove_if(struct nfx_index *x,
				  int (*match)(const struct nfx_centry *e, const void *arg),
				  const void *arg,
				  void (*release)(const void *arg, struct nfx_centry *e))
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
			release(arg, e);
		idx_delete_pos(x, p);
		removed++;
		/*
		 * Backward shifts only move later entries of the cluster into
		 * p or after it, so p is looked at again and nothing is missed.
		 */
	}
	return removed;
}

const struct nfx_tmpl *nfx_tmpl_peek(const struct nfx_tmpl_cache *c, const struct nfx_tkey *k)
{
	uint32_t pos;
	int found;

	pos = idx_probe(&c->t, k, key_hash(k, c->seed), &found);
	return found ? (const struct nfx_tmpl *)idx_entry(&c->t, c->t.slot[pos] - 1) : NULL;
}

struct nfx_dom *nfx_tmpl_domain_peek(const struct nfx_tmpl_cache *c, const struct nfx_tkey *k)
{
	struct nfx_tkey dk = *k;
	uint32_t pos;
	int found;

	dk.tid = 0;
	pos = idx_probe(&c->d, &dk, key_hash(&dk, c->seed), &found);
	return found ? (struct nfx_dom *)idx_entry(&c->d, c->d.slot[pos] - 1) : NULL;
}

unsigned int nfx_tmpl_remove_all(struct nfx_tmpl_cache *c, const struct nfx_tkey *k,
				 int options)
{
	struct nfx_dom *dm = nfx_tmpl_domain_peek(c, k);
	unsigned int removed = 0;
	uint32_t s = dm ? dm->tmpl_head : 0;

	while (s) {
		struct nfx_tmpl *t = tmpl_at(c, s - 1);

		s = t->dom_next;
		if (t->options != !!options)
			continue;
		tmpl_delete(c, t);
		removed++;
	}
	return removed;
}

struct nfx_dom *nfx_tmpl_domain(struct nfx_tmpl_cache *c, const struct nfx_tkey *k,
				uint64_t now_ms)
{
	struct nfx_dom *dm;
	uint32_t h, pos;
	int found;

	h = key_hash(k, c->seed);
	pos = idx_probe(&c->d, k, h, &found);
	if (found) {
		dm = (struct nfx_dom *)idx_entry(&c->d, c->d.slot[pos] - 1);
	} else {
		if (!c->d.nfree) {
			if (dom_evict(c, now_ms))
				return NULL;
			/* the removals moved index positions */
			pos = idx_probe(&c->d, k, h, &found);
		}
		dm = (struct nfx_dom *)idx_insert(&c->d, pos, k, h);
	}
	if (dm)
		dm->last_ms = now_ms;
	return dm;
}

uint32_t nfx_tmpl_domain_id(const struct nfx_tmpl_cache *c, const struct nfx_dom *dm)
{
	return slot_of(&c->d, dm);
}

struct nfx_dom *nfx_tmpl_domain_at(const struct nfx_tmpl_cache *c, uint32_t id)
{
	return (struct nfx_dom *)idx_entry(&c->d, id);
}

/* ---- TTL sweep ---- */

struct sweep_arg {
	struct nfx_tmpl_cache *c;
	uint64_t now_ms;
	uint64_t ttl_ms;
};

static int match_tmpl_idle(const struct nfx_centry *e, const void *arg)
{
	const struct sweep_arg *a = arg;
	uint64_t last = ((const struct nfx_tmpl *)e)->last_ms;

	return last + a->ttl_ms < a->now_ms;
}

static void release_tmpl(const void *arg, struct nfx_centry *e)
{
	const struct sweep_arg *a = arg;

	tmpl_release(a->c, (struct nfx_tmpl *)e);
}

/* Domains go only after their templates, which point at them. */
static int match_dom_idle(const struct nfx_centry *e, const void *arg)
{
	const struct sweep_arg *a = arg;
	const struct nfx_dom *dm = (const struct nfx_dom *)e;

	return !dm->ntemplates && dm->last_ms + a->ttl_ms < a->now_ms;
}

static void release_dom(const void *arg, struct nfx_centry *e)
{
	const struct sweep_arg *a = arg;

	if (a->c->gone)
		a->c->gone(a->c->gone_ctx, (struct nfx_dom *)e);
}

void nfx_tmpl_cache_sweep(struct nfx_tmpl_cache *c, uint64_t now_ms, uint64_t ttl_ms)
{
	struct sweep_arg a = { .c = c, .now_ms = now_ms, .ttl_ms = ttl_ms };

	if (!c)
		return;
	c->st->templates_expired += idx_remove_if(&c->t, match_tmpl_idle, &a, release_tmpl);
	c->st->exporters_expired += idx_remove_if(&c->d, match_dom_idle, &a, release_dom);
}

uint32_t nfx_tmpl_count(const struct nfx_tmpl_cache *c)
{
	return c->t.max - c->t.nfree;
}

uint32_t nfx_tmpl_domain_count(const struct nfx_tmpl_cache *c)
{
	return c->d.max - c->d.nfree;
}

unsigned int nfx_tmpl_max_fields(const struct nfx_tmpl_cache *c)
{
	return c->max_fields;
}

void nfx_tmpl_foreach_exporter(const struct nfx_tmpl_cache *c,
			       void (*fn)(void *ctx, const struct nfx_exporter_info *e),
			       void *ctx)
{
	for (uint32_t p = 0; p <= c->d.mask; p++) {
		const struct nfx_dom *dm;
		struct nfx_exporter_info e;

		if (!c->d.slot[p])
			continue;
		dm = (const struct nfx_dom *)idx_entry(&c->d, c->d.slot[p] - 1);
		memset(&e, 0, sizeof(e));
		memcpy(e.addr.b, dm->key.addr, sizeof(e.addr.b));
		e.port = dm->key.port;
		e.domain = dm->key.domain;
		e.version = dm->key.proto;
		e.records = dm->records;
		e.template_not_found = dm->template_not_found;
		e.seq_lost = dm->seq_lost;
		e.seq_resets = dm->seq_resets;
		e.templates = dm->ntemplates;
		e.last_seen_ms = dm->last_ms;
		fn(ctx, &e);
	}
}

void nfx_tmpl_foreach(const struct nfx_tmpl_cache *c,
		      void (*fn)(void *ctx, const struct nfx_tmpl *t),
		      void (*dfn)(void *ctx, const struct nfx_dom *dm), void *ctx)
{
	for (uint32_t p = 0; p <= c->t.mask; p++)
		if (c->t.slot[p])
			fn(ctx, (const struct nfx_tmpl *)idx_entry(&c->t, c->t.slot[p] - 1));
	for (uint32_t p = 0; p <= c->d.mask; p++)
		if (c->d.slot[p])
			dfn(ctx, (const struct nfx_dom *)idx_entry(&c->d, c->d.slot[p] - 1));
}
