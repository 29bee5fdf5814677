// SPDX-License-Identifier: BSD-2-Clause
/*
 * tmpl_cache.c - the v9/IPFIX template cache: two open-addressed hash
 * tables (templates, exporter domains) over slabs allocated once, and the
 * template compiler that turns field specifiers into a decode plan.
 *
 * Linear probing with backward-shift deletion keeps lookups short without
 * tombstones, so withdrawals and sweeps never degrade the table.  The index
 * holds slot numbers + 1 (0 = empty) and is twice the slab size.
 *
 * Data sets that arrive before their template wait in one ring buffer,
 * allocated once: entries are appended in arrival order, so the oldest is
 * always at the head and both aging and making room pop from there.  Sets
 * decoded (or dropped) out of order are marked dead and their bytes come
 * back when the head passes them; each exporter-domain links its own
 * entries, oldest first, so the template that arrives finds them directly.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "decode/ie.h"
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
};

/* Ring entry header; data set body follows, the entry padded to 8 bytes. */
struct nfx_pend {
	uint32_t size;		/* whole entry; the only field a filler has */
	uint32_t dom;		/* domain slot, or PEND_DEAD (filler, decoded, dropped) */
	uint32_t next;		/* domain's next entry: ring offset + 1, 0 = last */
	uint32_t sys_uptime;	/* v9 header */
	uint64_t export_ms;
	uint64_t arrival_ms;
	uint32_t seq;
	uint16_t tid;
	uint16_t port;		/* exporter source port, for the flows */
	uint16_t len;		/* set body length */
	uint8_t pad[6];
};

#define PEND_DEAD	UINT32_MAX
#define PEND_ALIGN	8u

struct nfx_ring {
	uint8_t *buf;
	uint32_t size;
	uint32_t head;		/* oldest entry */
	uint32_t tail;		/* where the next one goes */
	uint32_t used;		/* bytes between head and tail, fillers included */
};

struct nfx_tmpl_cache {
	struct nfx_index t;	/* struct nfx_tmpl */
	struct nfx_index d;	/* struct nfx_dom */
	struct nfx_ring pend;
	struct nfx_dec_stats *st;	/* own_st unless given one */
	struct nfx_dec_stats own_st;
	uint64_t seed;
	uint32_t max_per_dom;
	uint32_t max_fields;
	uint32_t pend_per_dom;	/* 0 = holding is off */
	uint32_t pend_age_ms;
	int scope_addr_only;
	const struct nfx_fieldmap *maps;	/* additional-field mappings */
	unsigned int nmaps;
	uint16_t cur_port;		/* listener of the message being decoded */
};

_Static_assert(sizeof(struct nfx_tkey) == 28, "nfx_tkey has no hidden padding");
_Static_assert(offsetof(struct nfx_tmpl, hash) == offsetof(struct nfx_centry, hash), "head");
_Static_assert(offsetof(struct nfx_dom, hash) == offsetof(struct nfx_centry, hash), "head");
_Static_assert(sizeof(struct nfx_pend) % PEND_ALIGN == 0, "entries stay aligned");

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

static void ops_release(struct nfx_tmpl *t)
{
	if (t->ops && t->ops != t->inl)
		free(t->ops);
	t->ops = NULL;
}

static void tmpl_release(struct nfx_tmpl *t)
{
	ops_release(t);
	if (t->dom)
		t->dom->ntemplates--;
	t->dom = NULL;
}

static uint32_t opt_or(uint32_t v, uint32_t def)
{
	return v ? v : def;
}

/* Take the bounds from @o; -EINVAL for ones no table could honour. */
static int cache_bounds(struct nfx_tmpl_cache *c, const struct nfx_decoder_opts *o,
			uint32_t *max_t, uint32_t *max_d, uint32_t *ring)
{
	*max_t = opt_or(o->max_templates, NFX_TMPL_DEFAULT_MAX);
	*max_d = opt_or(o->max_exporters, NFX_EXP_DEFAULT_MAX);
	if (*max_t > (1u << 24) || *max_d > (1u << 24))
		return -EINVAL;
	c->max_per_dom = opt_or(o->max_templates_per_exporter, NFX_TMPL_PER_EXP_DEFAULT);
	c->max_fields = opt_or(o->max_template_fields, NFX_TMPL_MAX_FIELDS);
	if (c->max_fields > NFX_TMPL_MAX_FIELDS)
		c->max_fields = NFX_TMPL_MAX_FIELDS;
	c->pend_age_ms = opt_or(o->pending_max_age_ms, NFX_PEND_AGE_DEFAULT);
	c->scope_addr_only = o->template_scope_addr_only;
	*ring = 0;
	c->pend_per_dom = 0;
	if (o->pending_off)
		return 0;
	*ring = opt_or(o->pending_total_bytes, NFX_PEND_TOTAL_DEFAULT);
	if (*ring > (1u << 30))
		return -EINVAL;
	*ring = (*ring + PEND_ALIGN - 1) & ~(PEND_ALIGN - 1);
	c->pend_per_dom = opt_or(o->pending_bytes_per_exporter, NFX_PEND_PER_EXP_DEFAULT);
	if (c->pend_per_dom > *ring)
		c->pend_per_dom = *ring;
	return 0;
}

struct nfx_tmpl_cache *nfx_tmpl_cache_new_opts(const struct nfx_decoder_opts *o,
					       struct nfx_dec_stats *st)
{
	static const struct nfx_decoder_opts defaults;
	uint32_t max_t, max_d, ring;
	struct nfx_tmpl_cache *c;
	struct timespec ts;
	int err;

	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->st = st ? st : &c->own_st;
	err = cache_bounds(c, o ? o : &defaults, &max_t, &max_d, &ring);
	if (!err)
		err = idx_init(&c->t, max_t, sizeof(struct nfx_tmpl));
	if (!err)
		err = idx_init(&c->d, max_d, sizeof(struct nfx_dom));
	if (!err && ring) {
		c->pend.buf = malloc(ring);
		c->pend.size = ring;
		if (!c->pend.buf)
			err = -ENOMEM;
	}
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

struct nfx_tmpl_cache *nfx_tmpl_cache_new(uint32_t max_templates, int scope_addr_only)
{
	struct nfx_decoder_opts o = { .max_templates = max_templates,
				      .template_scope_addr_only = scope_addr_only };

	return nfx_tmpl_cache_new_opts(&o, NULL);
}

const struct nfx_dec_stats *nfx_tmpl_cache_stats(const struct nfx_tmpl_cache *c)
{
	return c->st;
}

void nfx_tmpl_cache_set_fieldmaps(struct nfx_tmpl_cache *c, const struct nfx_fieldmap *maps,
				  unsigned int n)
{
	c->maps = maps;
	c->nmaps = n;
}

void nfx_tmpl_cache_set_port(struct nfx_tmpl_cache *c, uint16_t port)
{
	c->cur_port = port;
}

void nfx_tmpl_data(struct nfx_msg *m, const struct nfx_src *src, uint32_t domain,
		   uint16_t tid, const uint8_t *p, size_t len)
{
	const struct nfx_tmpl *t;
	struct nfx_tkey k;

	nfx_tmpl_key(m->c, &k, m->proto, src, domain, tid);
	t = nfx_tmpl_find(m->c, &k, m->now_ms);
	if (!t) {
		m->st->template_not_found++;
		if (m->dom)
			m->dom->template_not_found++;
		nfx_tmpl_pending_add(m, tid, p, len);
		return;
	}
	if (nfx_tmpl_data_set(m, t, p, len))
		nfx_tmpl_remove(m->c, &k);
}

void nfx_msg_begin(struct nfx_msg *m, const struct nfx_src *src, uint8_t type,
		   uint32_t domain, uint32_t seq)
{
	struct nfx_tkey dk;

	m->now_ms = src->now_ms;
	nfx_tmpl_key(m->c, &dk, m->proto, src, domain, 0);
	m->dom = nfx_tmpl_domain(m->c, &dk, m->now_ms);
	if (!m->dom)
		m->st->exporter_limit++;
	m->base.type = type;
	m->base.exporter = src->addr;
	m->base.exporter_port = src->port;
	m->base.domain_id = domain;
	m->base.sequence = seq;
	m->base.present = NFX_F_DOMAIN;
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
	free(c->pend.buf);
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

/* The mapping of this listener for element @fs, or NULL. */
static const struct nfx_fieldmap *field_map(const struct nfx_tmpl_cache *c,
					    const struct nfx_field_spec *fs)
{
	for (unsigned int i = 0; i < c->nmaps; i++)
		if (c->maps[i].field == fs->id && c->maps[i].pen == fs->pen &&
		    (!c->maps[i].port || c->maps[i].port == c->cur_port))
			return &c->maps[i];
	return NULL;
}

/*
 * The transform a field feeds, or SKIP.  A mapping to a built-in field
 * borrows the transform of the element that normally feeds it, and
 * @forced says it must win over that element.
 */
static unsigned int field_xf(const struct nfx_tmpl_cache *c, const struct nfx_field_spec *fs,
			     int scope, int options, const struct nfx_ie **iep, int *forced)
{
	const struct nfx_fieldmap *map = options ? NULL : field_map(c, fs);
	const struct nfx_ie *ie;

	*iep = NULL;
	*forced = 0;
	if (scope)
		return NFX_XF_SKIP;
	if (map && !map->builtin4) {
		if (map - c->maps >= 255 - NFX_XF_EXTRA)
			return NFX_XF_SKIP;
		return NFX_XF_EXTRA + (unsigned int)(map - c->maps);
	}
	if (map) {
		ie = nfx_ie_get(fs->len == 16 && map->builtin16 ? map->builtin16 : map->builtin4, 0);
		if (!ie || (fs->len != NFX_VARLEN && !nfx_ie_len_ok(ie->xf, fs->len)))
			return NFX_XF_SKIP;
		*iep = ie;
		*forced = 1;
		return ie->xf;
	}
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
static int compile(const struct nfx_tmpl_cache *c, struct plan *pl,
		   const struct nfx_field_spec *fs, unsigned int n, unsigned int nscope, int options)
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
		int forced;
		unsigned int xf = field_xf(c, &fs[i], i < nscope, options, &ie, &forced);
		struct nfx_op *op;

		if (ie && best[ie->target] >= 0) {
			int16_t o = best[ie->target];

			/* a mapping beats the usual source; prio 0xfe keeps it there */
			if ((forced || ie->prio < pl->prio[o]) && pl->prio[o] != 0xfe) {
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
		pl->prio[pl->nops] = ie ? (forced ? 0xfe : ie->prio) : 0xff;
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
	ops_release(t);
	memcpy(ops, pl->ops, pl->nops * sizeof(*ops));
	t->ops = ops;
	t->nops = (uint16_t)pl->nops;
	t->rec_len = pl->rec_len;
	t->varlen = (uint8_t)pl->varlen;
	t->options = !!options;
	t->flow = 0;
	for (unsigned int i = 0; i < pl->nops && !options; i++)
		if (pl->ops[i].xf != NFX_XF_SKIP)
			t->flow = 1;
	return 0;
}

int nfx_tmpl_learn(struct nfx_tmpl_cache *c, const struct nfx_tkey *k,
		   const struct nfx_field_spec *fs, unsigned int n, unsigned int nscope,
		   int options, uint32_t max_rec, uint64_t now_ms)
{
	struct nfx_dom *dm = NULL;
	struct nfx_tkey dk;
	struct plan pl;
	struct nfx_tmpl *t;
	uint32_t h, pos;
	int found, err;

	if (!n || n > c->max_fields || nscope > n)
		return -EINVAL;
	compile(c, &pl, fs, n, nscope, options);
	/* a record must fit a message and make the data walk move forward */
	if (!pl.rec_len || pl.rec_len > max_rec)
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
	if (!found) {
		t->dom = dm;
		dm->ntemplates++;
	}
	nfx_dom_tid_seen(t->dom, k->tid);
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

static void release_tmpl(const void *arg, struct nfx_centry *e)
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

/* ---- pending data sets ---- */

static struct nfx_pend *pend_at(const struct nfx_tmpl_cache *c, uint32_t off)
{
	return (struct nfx_pend *)(c->pend.buf + off);
}

static uint32_t dom_slot(const struct nfx_tmpl_cache *c, const struct nfx_dom *dm)
{
	return (uint32_t)(((const char *)dm - c->d.base) / c->d.stride);
}

static struct nfx_dom *dom_at(const struct nfx_tmpl_cache *c, uint32_t slot)
{
	return (struct nfx_dom *)idx_entry(&c->d, slot);
}

/* Entry @e (ring offset @off) leaves its domain's list; @prev is the one before it. */
static void pend_unlink(struct nfx_dom *dm, struct nfx_pend *e, uint32_t off, struct nfx_pend *prev,
			uint32_t prev_off)
{
	if (prev)
		prev->next = e->next;
	else
		dm->pend_head = e->next;
	if (dm->pend_tail == off + 1)
		dm->pend_tail = prev ? prev_off + 1 : 0;
	dm->pend_bytes -= e->size;
	dm->npend--;
	e->dom = PEND_DEAD;
}

/* Pop the oldest entry; a live one is its domain's oldest too, and is lost. */
static void ring_pop(struct nfx_tmpl_cache *c)
{
	struct nfx_ring *r = &c->pend;
	struct nfx_pend *e = pend_at(c, r->head);

	if (e->dom != PEND_DEAD) {
		pend_unlink(dom_at(c, e->dom), e, r->head, NULL, 0);
		c->st->pending_dropped++;
	}
	r->used -= e->size;
	r->head += e->size;
	if (r->head == r->size)
		r->head = 0;
}

/* Pop dead entries and live ones older than the age bound from the head. */
static void ring_expire(struct nfx_tmpl_cache *c, uint64_t now_ms)
{
	struct nfx_ring *r = &c->pend;

	while (r->used) {
		const struct nfx_pend *e = pend_at(c, r->head);

		if (e->dom != PEND_DEAD && e->arrival_ms + c->pend_age_ms >= now_ms)
			break;
		ring_pop(c);
	}
}

/* Room for @need contiguous bytes, popping the oldest entries as needed. @return its offset. */
static uint32_t ring_reserve(struct nfx_tmpl_cache *c, uint32_t need)
{
	struct nfx_ring *r = &c->pend;

	for (;;) {
		if (!r->used)
			r->head = r->tail = 0;
		if (r->used < r->size) {
			if (r->tail >= r->head) {
				struct nfx_pend *fill;

				if (r->size - r->tail >= need)
					return r->tail;
				/* too little before the end: a filler, then go on at 0 */
				fill = pend_at(c, r->tail);
				fill->size = r->size - r->tail;
				fill->dom = PEND_DEAD;
				r->used += fill->size;
				r->tail = 0;
				continue;
			}
			if (r->head - r->tail >= need)
				return r->tail;
		}
		ring_pop(c);
	}
}

int nfx_tmpl_pending_add(struct nfx_msg *m, uint16_t tid, const uint8_t *p, size_t len)
{
	struct nfx_tmpl_cache *c = m->c;
	struct nfx_dom *dm = m->dom;
	struct nfx_pend *e;
	uint32_t need, off;

	if (!c->pend_per_dom)
		return -ENODATA;
	if (dm && nfx_dom_tid_was_seen(dm, tid))
		return -ENODATA;
	need = (uint32_t)((sizeof(*e) + len + PEND_ALIGN - 1) & ~(size_t)(PEND_ALIGN - 1));
	ring_expire(c, m->now_ms);
	if (!dm || dm->npend >= NFX_PEND_MAX_SETS || need > c->pend_per_dom - dm->pend_bytes) {
		m->st->pending_dropped++;
		return -ENOSPC;
	}
	off = ring_reserve(c, need);
	e = pend_at(c, off);
	memset(e, 0, sizeof(*e));
	e->size = need;
	e->dom = dom_slot(c, dm);
	e->sys_uptime = m->sys_uptime;
	e->export_ms = m->export_ms;
	e->arrival_ms = m->now_ms;
	e->seq = (uint32_t)m->base.sequence;
	e->tid = tid;
	e->port = m->base.exporter_port;
	e->len = (uint16_t)len;
	memcpy(e + 1, p, len);
	c->pend.used += need;
	c->pend.tail += need;
	if (c->pend.tail == c->pend.size)
		c->pend.tail = 0;
	if (dm->pend_tail)
		pend_at(c, dm->pend_tail - 1)->next = off + 1;
	else
		dm->pend_head = off + 1;
	dm->pend_tail = off + 1;
	dm->pend_bytes += need;
	dm->npend++;
	dm->pend_tids |= 1ull << (tid % 64);
	m->st->pending_buffered++;
	return 0;
}

/* Decode held entry @e with @t as message @m's header would have. @return 0 or -EINVAL. */
static int pend_decode(struct nfx_msg *m, const struct nfx_tmpl *t, const struct nfx_pend *e)
{
	struct nfx_msg pm = {
		.c = m->c, .st = m->st, .out = m->out, .dom = m->dom,
		.export_ms = e->export_ms, .now_ms = m->now_ms, .sys_uptime = e->sys_uptime,
		.proto = m->proto, .slot = m->slot,
	};
	int err;

	pm.base.type = m->proto == NFX_PROTO_V9 ? NFX_TYPE_NETFLOW9 : NFX_TYPE_IPFIX;
	memcpy(pm.base.exporter.b, m->dom->key.addr, sizeof(pm.base.exporter.b));
	pm.base.exporter_port = e->port;
	pm.base.domain_id = m->dom->key.domain;
	pm.base.sequence = e->seq;
	pm.base.present = NFX_F_DOMAIN;
	err = nfx_tmpl_data_set(&pm, t, (const uint8_t *)(e + 1), e->len);
	m->emitted += pm.emitted;
	m->st->pending_decoded += pm.emitted;
	return err;
}

unsigned int nfx_tmpl_pending_run(struct nfx_msg *m, const struct nfx_tkey *k)
{
	struct nfx_tmpl_cache *c = m->c;
	struct nfx_dom *dm = m->dom;
	uint32_t cur, prev_off = 0, emitted = m->emitted;
	struct nfx_pend *prev = NULL;
	const struct nfx_tmpl *t;
	uint64_t tids = 0;

	if (!dm || !dm->npend || !(dm->pend_tids & 1ull << (k->tid % 64)))
		return 0;
	t = nfx_tmpl_find(c, k, m->now_ms);
	for (cur = dm->pend_head; cur;) {
		struct nfx_pend *e = pend_at(c, cur - 1);
		uint32_t next = e->next;

		if (!t || e->tid != k->tid) {
			tids |= 1ull << (e->tid % 64);
			prev = e;
			prev_off = cur - 1;
			cur = next;
			continue;
		}
		pend_unlink(dm, e, cur - 1, prev, prev_off);
		if (e->arrival_ms + c->pend_age_ms < m->now_ms) {
			m->st->pending_dropped++;
		} else if (pend_decode(m, t, e)) {
			/* malformed: the template goes, as for live data */
			nfx_tmpl_remove(c, k);
			t = NULL;
		}
		cur = next;
	}
	dm->pend_tids = tids;
	ring_expire(c, m->now_ms);	/* the head may be dead now */
	return m->emitted - emitted;
}

/* Forget every held set of @dm (it is going away). */
static void pend_drop_dom(struct nfx_tmpl_cache *c, struct nfx_dom *dm)
{
	while (dm->pend_head) {
		uint32_t off = dm->pend_head - 1;

		pend_unlink(dm, pend_at(c, off), off, NULL, 0);
		c->st->pending_dropped++;
	}
	dm->pend_tids = 0;
}

uint32_t nfx_tmpl_pending_bytes(const struct nfx_tmpl_cache *c)
{
	return c->pend.used;
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

	pend_drop_dom(a->c, (struct nfx_dom *)e);
}

void nfx_tmpl_cache_sweep(struct nfx_tmpl_cache *c, uint64_t now_ms, uint64_t ttl_ms)
{
	struct sweep_arg a = { .c = c, .now_ms = now_ms, .ttl_ms = ttl_ms };

	if (!c)
		return;
	ring_expire(c, now_ms);
	c->st->templates_expired += idx_remove_if(&c->t, match_tmpl_idle, &a, release_tmpl);
	c->st->exporters_expired += idx_remove_if(&c->d, match_dom_idle, &a, release_dom);
	/* sets of removed domains are dead now: give their bytes back */
	ring_expire(c, now_ms);
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
		/* below 1 in 2^32 the rate is clamped anyway; 1/prob could overflow */
		if (prob > 0 && prob < 1.0 / UINT32_MAX)
			return UINT32_MAX;
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
	if (!t->flow)
		return;
	if (r->have)
		flow_times(m, r);
	m->out->emit(m->out->ctx, &r->f);
	m->emitted++;
}

static int data_set_fixed(struct nfx_msg *m, const struct nfx_tmpl *t, const uint8_t *p,
			  size_t len)
{
	const struct nfx_op *ops = t->ops, *end = t->ops + t->nops;
	struct nfx_rec r;

	size_t pos = 0;

	for (; len - pos >= t->rec_len; pos += t->rec_len) {
		const uint8_t *rec = p + pos;

		r.f = m->base;
		r.have = 0;
		for (const struct nfx_op *op = ops; op < end; op++)
			nfx_ie_apply(&r, op->xf, rec + op->off, op->len);
		record_done(m, t, &r);
	}
	/* padding is zeros (RFC 7011 3.3.1); anything else is a cut record */
	for (; pos < len; pos++) {
		if (p[pos]) {
			m->st->record_truncated++;
			break;
		}
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
	if (d > 0 && (uint32_t)d <= max_gap) {
		st->seq_lost += (uint32_t)d;
		dm->seq_lost += (uint32_t)d;
	} else if (d > 0 || (uint32_t)-(int64_t)d > max_back) {
		st->seq_resets++;
		dm->seq_resets++;
	}
	/* a small backward step is a duplicate or reordering: not a loss */
update:
	dm->last_seq = seq;
	dm->last_adv = adv;
	dm->seq_valid = 1;
}
