// SPDX-License-Identifier: BSD-2-Clause
/*
 * agg.c - the aggregator stage (design §5), with the semantics of the Datadog
 * Agent's netflow flow aggregator, reimplemented for a bounded C daemon:
 *
 * - Key: exporter, source/destination address, source/destination port
 *   (after roll-up, the roll-up flag included), protocol, tos, input
 *   interface; the namespace is the instance.  Unlike Datadog, which merges
 *   on a 64-bit hash alone, the full key is compared, so a hash collision
 *   never merges two flows.
 * - Merge: bytes and packets summed, start = min, end = max, tcp flags
 *   OR-ed, highest sequence kept, every other field from the first flow.
 * - Flush: a tick every tick_ms (10 s).  A new context is due at once, so
 *   its first record leaves at the next tick; after that it is due every
 *   flush interval counted from its creation.  A context stays, emptied,
 *   after a flush, so that its cadence holds; one empty for longer than
 *   flow_context_ttl after its last flush is removed.
 * - Port roll-up: per (source, destination) address pair, for every port
 *   on one side, the distinct ports seen opposite it.  When either count
 *   reaches the threshold, the side with the larger count is ephemeral and
 *   its port becomes "*" (only one side, destination on a tie).  Ports are
 *   written to two generations; decisions read the current one only; every
 *   refresh interval the next becomes current and a new empty one starts,
 *   so a pair silent for two intervals is forgotten.
 * - Sequence accounting: at each flush, per exporter and flow type, the
 *   highest sequence among the records flushed against the last one kept;
 *   a backward step of more than 1000 (v5 and older) or 100 (v9, IPFIX)
 *   is a reset.
 *
 * Memory is allocated once.  Contexts live in a dense array (a flush tick
 * walks only live ones) behind an open-addressed index of 8-byte slots.
 * The tracker is one open-addressed table whose entries carry both
 * generations, with a byte of tag per slot; the exporter table is
 * open-addressed too.  All use linear probing, with backward-shift
 * deletion where entries go (base/oaht.h).  Flows pass through a 16-deep queue so that
 * their table lines can be fetched ahead (see LOOKAHEAD).  A flow whose
 * context already holds it with a roll-up decision that cannot have
 * changed skips the tracker (see rt_stamp_ok()): index and context only.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "agg/agg.h"
#include "base/oaht.h"

#define ROLLUP_BITS	(NFX_F_SRC_PORT_ROLLUP | NFX_F_DST_PORT_ROLLUP)
#define MAX_CONTEXTS	(1u << 30)
#define RT_PS_MAX	(1u << 13)	/* rt_ps slots at most: 64 KiB, read per flow */
#define IDX_MIN_SLOTS	(1u << 12)	/* context index slots in use at least */
#ifndef RT_CLOCK_END
#define RT_CLOCK_END	UINT32_MAX	/* (tests wind it down) */
#endif

enum eph { EPH_NONE, EPH_SRC, EPH_DST };
enum side { SIDE_SRC, SIDE_DST };

/*
 * What a lookup and a merge read comes first: held and the stamp share the
 * counters' line, and with the key's fields they span 184 bytes (3 or 4
 * lines).
 */
struct agg_ctx {
	uint32_t held;			/* flow carries data not yet flushed */
	uint32_t rt_stamp;		/* see rt_stamp_ok(); 0 none */
	struct nfx_flow flow;		/* the record being aggregated */
	uint64_t next_flush;
	uint64_t last_flush;		/* 0: never flushed */
	uint32_t hash;			/* index home, to find its slot again */
};

/*
 * A tracker entry: for one port on one side of one address pair, the
 * distinct ports seen on the other side, for both generations at once so
 * that a flow costs two lookups, not four.  The pair is keyed by a 64-bit
 * hash of both addresses, which keeps an entry in one cache line (T = 10);
 * a collision could only mix two pairs' port sets.
 */
struct rt_ent {
	uint64_t pair;
	uint32_t gen[2];		/* generation of each set; 0 none */
	uint16_t port;
	uint8_t side;
	uint8_t count[2];
	uint16_t ports[];		/* [2][rollup_threshold] */
};

/* What a context's stamp is checked against, per pair hash. */
struct rt_pslot {
	uint32_t clock;			/* rt_clock at the last fill in these pairs */
	uint32_t src_full;		/* last generation a source-side set filled in */
};

struct agg_exp {
	struct nfx_addr addr;
	uint8_t type;
	uint8_t used;
	uint8_t has_base;
	uint8_t reset;
	uint32_t tick_gen;		/* flush that last touched tick_max */
	uint64_t tick_max;		/* highest sequence in that flush */
	uint64_t base;			/* last sequence deltas are taken from */
	uint64_t last_seq;
	int64_t delta;
	uint64_t delta_total;
	uint64_t resets;
	uint64_t updated_ms;
};

/*
 * Flows wait in a short queue before they are accounted.  Each lookup is a
 * cache miss in a table far bigger than the cache; knowing the next flows
 * lets their lines be asked for while earlier flows are worked on, so the
 * misses overlap instead of adding up.  Every read path drains the queue.
 */
#define LOOKAHEAD	16	/* power of two */
#define LOOK_PAIR	4	/* distance at which the pair's slot is read */
#define LOOK_CTX	8	/* ... and the context fetched */

/* A flow's key as it may be held: ports as they came, or one rolled up. */
enum kv { KV_ASIS, KV_DST, KV_SRC, KV_N };

struct agg_pend {
	struct nfx_flow f;
	uint64_t now_ms;
	uint64_t h;			/* key_hash_addrs() */
	uint64_t pair;			/* pair_hash() */
	uint32_t hk[KV_N];		/* key hash of each enum kv in cand */
	uint32_t cand;			/* 1 << enum kv: keys that may be held */
};

struct nfx_agg {
	struct nfx_agg_opts o;
	struct nfx_agg_stats st;
	uint64_t now_ms;
	uint64_t next_tick;
	uint64_t next_rotate;
	int clock_started;

	struct agg_pend pend[LOOKAHEAD];
	unsigned int pend_head;		/* oldest */
	unsigned int pend_n;

	struct agg_ctx *ctx;
	uint32_t nctx;
	uint64_t *idx;			/* hash << 32 | (ctx index + 1); 0 free */
	uint32_t idx_mask;		/* slots in use - 1, see idx_resize() */
	uint32_t idx_max_mask;		/* slots allocated - 1 */

	uint8_t *rt_slots;
	uint8_t *rt_tags;		/* per slot: 0 free, else 0x80 | 7 hash bits */
	uint32_t rt_mask;
	uint32_t rt_used;
	uint32_t rt_gen;		/* current generation; the next is + 1 */
	size_t rt_stride;
	struct rt_pslot *rt_ps;		/* per pair hash, see rt_stamp_ok() */
	uint32_t rt_ps_mask;
	uint32_t rt_clock;		/* ticks at each fill and rotation */
	uint32_t rt_floor;		/* rt_clock at the last rotation */
	uint64_t rt_ticks;		/* of rt_clock, never wrapping */

	struct agg_exp *exp;
	uint32_t exp_mask;
	uint32_t *touched;		/* exporter slots seen in this flush */
	uint32_t ntouched;
	uint32_t exp_gen;
};

/* ---- hashing ---------------------------------------------------------- */

static inline uint64_t load64(const void *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline uint64_t hash_addr(uint64_t h, const struct nfx_addr *a)
{
	return nfx_oaht_step(nfx_oaht_step(h, load64(a->b)), load64(a->b + 8));
}

static uint64_t pair_hash(const struct nfx_flow *f)
{
	return nfx_oaht_mix(hash_addr(hash_addr(0x243f6a8885a308d3ull, &f->src), &f->dst));
}

/* ---- the aggregation key ---------------------------------------------- */

/* A flow with its ports as they are after roll-up. */
struct agg_key {
	const struct nfx_flow *f;
	uint16_t sport;
	uint16_t dport;
	uint32_t roll;			/* NFX_F_*_PORT_ROLLUP */
};

/* The key hash in two parts: the addresses, common to all roll-up outcomes... */
static uint64_t key_hash_addrs(const struct nfx_flow *f)
{
	uint64_t h = 0x13198a2e03707344ull;

	h = hash_addr(h, &f->exporter);
	h = hash_addr(h, &f->src);
	h = hash_addr(h, &f->dst);
	return h;
}

/* ... and the rest, once the ports are known. */
static uint32_t key_hash_ports(uint64_t h, const struct nfx_flow *f, uint16_t sport,
			       uint16_t dport, uint32_t roll)
{
	h = nfx_oaht_step(h, (uint64_t)sport | (uint64_t)dport << 16 |
			     (uint64_t)f->proto << 32 | (uint64_t)f->tos << 40 |
			     (uint64_t)(roll >> 22) << 48);
	h = nfx_oaht_step(h, f->in_if);
	return (uint32_t)(nfx_oaht_mix(h) >> 32);
}

static int key_eq(const struct agg_key *k, const struct nfx_flow *c)
{
	const struct nfx_flow *f = k->f;

	return c->src_port == k->sport && c->dst_port == k->dport &&
	       (c->present & ROLLUP_BITS) == k->roll &&
	       c->proto == f->proto && c->tos == f->tos && c->in_if == f->in_if &&
	       !memcmp(&c->src, &f->src, sizeof(f->src)) &&
	       !memcmp(&c->dst, &f->dst, sizeof(f->dst)) &&
	       !memcmp(&c->exporter, &f->exporter, sizeof(f->exporter));
}

/* The flow as it is stored and emitted: rolled-up port 0 and flagged. */
static void key_apply(const struct agg_key *k, struct nfx_flow *out)
{
	*out = *k->f;
	out->src_port = k->sport;
	out->dst_port = k->dport;
	out->present = (out->present & ~ROLLUP_BITS) | k->roll;
}

/* ---- the port roll-up tracker ----------------------------------------- */

/*
 * Generation tags: sets tagged rt_gen are the current generation (they
 * decide), sets tagged rt_gen + 1 the next one.  Rotating is rt_gen++:
 * the next generation becomes current and the old current one turns stale
 * in place, with no copy.  Tag 0 is never live.
 */
static inline uint32_t gen_cur(const struct nfx_agg *a)
{
	return a->rt_gen;
}

static inline uint32_t gen_new(const struct nfx_agg *a)
{
	return a->rt_gen + 1;
}

static inline int gen_live(const struct nfx_agg *a, uint32_t g)
{
	return g == gen_cur(a) || g == gen_new(a);
}

/*
 * Recurring flows skip the tracker.  Accounting a flow is a function of
 * the tracker state alone, and most flows find it in a state where
 * accounting them changes nothing and decides as the last time.  A
 * context keeps a stamp of the tracker clock when its key was last
 * decided that way, and is used without a tracker lookup while nothing
 * that could change the decision has happened since:
 *
 * - a set of the pair filled (reached the threshold): that is the only
 *   way a count that decides reaches the threshold, and the only way sets
 *   are emptied (rt_clear() runs on the filling set's pair only); a set
 *   growing short of the threshold changes neither a decision nor what a
 *   flow whose ports are in it already would add;
 * - a rotation: the new generation must see the flow again.
 *
 * Each fill writes a fresh tick of rt_clock to its pair's slot of rt_ps
 * (pairs sharing a slot only cost each other a lookup), each rotation to
 * rt_floor.  A stamp is given after a full accounting during which no set
 * filled and every entry needed could be made (a tracker too full to make
 * one counts the flow again each time), and only to a context whose key
 * is then settled for every flow that maps to it:
 *
 * - ports as they came: accounting the flow again adds nothing (its
 *   ports are in the sets they go to, in both generations, or were left
 *   out for a count that cannot move without a fill);
 * - destination rolled up (source port s): the set of s is full in both
 *   generations; any flow from s is then rolled up the same way, and adds
 *   nothing (Datadog's tie goes to the destination);
 * - source rolled up (destination port d): the set of d is full in both
 *   generations; a flow towards d is then rolled up the same way unless
 *   its own source port's set is full too, ruled out while no source-side
 *   set of the pair's slot filled for the current generation (src_full).
 *
 * At most one of a flow's three keys can hold a valid stamp.  Every
 * (pair, port) still goes through the tracker once per generation.
 */
static inline struct rt_pslot *rt_ps_at(const struct nfx_agg *a, uint64_t pair)
{
	return &a->rt_ps[(uint32_t)(pair >> 32) & a->rt_ps_mask];
}

static inline int rt_stamp_ok(const struct nfx_agg *a, const struct agg_ctx *c,
			      const struct rt_pslot *ps)
{
	return c->rt_stamp >= a->rt_floor && c->rt_stamp >= ps->clock;
}

/* A tick of the clock; at its end every stamp is dropped and it starts again. */
static uint32_t rt_tick(struct nfx_agg *a)
{
	uint32_t i;

	a->rt_ticks++;
	if (a->rt_clock >= RT_CLOCK_END) {
		for (i = 0; i <= a->rt_ps_mask; i++)
			a->rt_ps[i].clock = 0;
		for (i = 0; i < a->nctx; i++)
			a->ctx[i].rt_stamp = 0;
		a->rt_clock = 1;
		a->rt_floor = 1;
	}
	return ++a->rt_clock;
}

static inline struct rt_ent *rt_at(const struct nfx_agg *a, uint32_t i)
{
	return (struct rt_ent *)(a->rt_slots + (size_t)i * a->rt_stride);
}

static inline uint16_t *rt_ports(const struct nfx_agg *a, struct rt_ent *e, int set)
{
	return e->ports + set * a->o.rollup_threshold;
}

static inline uint64_t rt_hash(uint64_t pair, unsigned int side, uint16_t port)
{
	return nfx_oaht_mix(pair ^ ((uint64_t)side << 16 | port) * 0xd6e8feb86659fd93ull);
}

static inline uint8_t rt_tag(uint64_t h)
{
	return (uint8_t)(0x80 | h >> 57);
}

/* The tracker's slots for base/oaht.h: the table is the aggregator. */
struct rt_key {
	uint64_t pair;
	unsigned int side;
	uint16_t port;
	uint8_t tag;
};

static int rt_used(const void *t, uint32_t i)
{
	return ((const struct nfx_agg *)t)->rt_tags[i] != 0;
}

/*
 * Most lookups are for ports never seen (each new ephemeral port asks):
 * the one-byte tags let them end in a small, cache-resident array without
 * touching the entries.
 */
static int rt_match(const void *t, uint32_t i, const void *key)
{
	const struct nfx_agg *a = t;
	const struct rt_key *k = key;
	const struct rt_ent *e;

	if (a->rt_tags[i] != k->tag)
		return 0;
	e = rt_at(a, i);
	return e->pair == k->pair && e->port == k->port && e->side == k->side;
}

static uint32_t rt_ent_hash(const void *t, uint32_t i)
{
	const struct rt_ent *e = rt_at(t, i);

	return (uint32_t)rt_hash(e->pair, e->side, e->port);
}

static void rt_move(void *t, uint32_t to, uint32_t from)
{
	struct nfx_agg *a = t;

	memcpy(rt_at(a, to), rt_at(a, from), a->rt_stride);
	a->rt_tags[to] = a->rt_tags[from];
}

static const struct nfx_oaht_ops rt_ops = {
	.used = rt_used, .match = rt_match, .hash = rt_ent_hash, .move = rt_move,
};

/* The entry of (pair, side, port), or NULL with *slot the free slot for it. */
static struct rt_ent *rt_find(const struct nfx_agg *a, uint64_t pair, unsigned int side,
			      uint16_t port, uint32_t *slot)
{
	uint64_t h = rt_hash(pair, side, port);
	struct rt_key k = { .pair = pair, .side = side, .port = port, .tag = rt_tag(h) };
	int found;
	uint32_t i = nfx_oaht_probe(a, a->rt_mask, (uint32_t)h, &rt_ops, &k, &found);

	if (found)
		return rt_at(a, i);
	*slot = i;
	return NULL;
}

/* Which of e's two sets belongs to generation g, or -1. */
static inline int rt_set(const struct rt_ent *e, uint32_t g)
{
	if (e->gen[0] == g)
		return 0;
	return e->gen[1] == g ? 1 : -1;
}

static unsigned int rt_count(const struct nfx_agg *a, uint64_t pair, unsigned int side,
			     uint16_t port, uint32_t g)
{
	uint32_t slot;
	struct rt_ent *e = rt_find(a, pair, side, port, &slot);
	int s = e ? rt_set(e, g) : -1;

	return s < 0 ? 0 : e->count[s];
}

static inline uint64_t *gen_size(struct nfx_agg *a, uint32_t g)
{
	return g == gen_cur(a) ? &a->st.rollup_cur_size : &a->st.rollup_new_size;
}

static void rt_del_slot(struct nfx_agg *a, uint32_t i)
{
	i = nfx_oaht_delete(a, a->rt_mask, i, &rt_ops);
	memset(rt_at(a, i), 0, a->rt_stride);
	a->rt_tags[i] = 0;
	a->rt_used--;
}

/* Empties the generation-g set of (pair, side, port); the entry goes with its last set. */
static void rt_clear(struct nfx_agg *a, uint64_t pair, unsigned int side, uint16_t port,
		     uint32_t g)
{
	uint32_t slot;
	struct rt_ent *e = rt_find(a, pair, side, port, &slot);
	int s = e ? rt_set(e, g) : -1;

	if (s < 0)
		return;
	e->gen[s] = 0;
	(*gen_size(a, g))--;
	if (!gen_live(a, e->gen[!s]))
		rt_del_slot(a, (uint32_t)(((uint8_t *)e - a->rt_slots) / a->rt_stride));
}

static struct rt_ent *rt_get(struct nfx_agg *a, uint64_t pair, unsigned int side,
			     uint16_t port)
{
	uint32_t slot;
	struct rt_ent *e = rt_find(a, pair, side, port, &slot);

	if (e)
		return e;
	/* The table has twice as many slots: probe chains stay short. */
	if (a->rt_used >= a->o.max_rollup_entries) {
		a->st.rollup_dropped++;
		return NULL;
	}
	e = rt_at(a, slot);
	e->pair = pair;
	e->side = (uint8_t)side;
	e->port = port;
	a->rt_tags[slot] = rt_tag(rt_hash(pair, side, port));
	a->rt_used++;
	return e;
}

/* Adds port to the generation-g set of (pair, side, key). */
static struct rt_ent *rt_add(struct nfx_agg *a, uint64_t pair, unsigned int side,
			     uint16_t key, uint16_t port, uint32_t g, int *set)
{
	struct rt_ent *e = rt_get(a, pair, side, key);
	uint16_t *p;
	int s, i;

	if (!e)
		return NULL;
	s = rt_set(e, g);
	if (s < 0) {
		/* At most one set is live for the other generation. */
		s = gen_live(a, e->gen[0]) ? 1 : 0;
		e->gen[s] = g;
		e->count[s] = 0;
		(*gen_size(a, g))++;
	}
	*set = s;
	p = rt_ports(a, e, s);
	for (i = 0; i < e->count[s]; i++)
		if (p[i] == port)
			return e;
	if (e->count[s] < a->o.rollup_threshold)
		p[e->count[s]++] = port;
	return e;
}

/*
 * Once a port's opposite set is full, that opposite side is ephemeral: the
 * per-port sets kept for it are of no more use, and dropping them is what
 * keeps the tracker small under scans.
 */
static void rt_add_side(struct nfx_agg *a, uint64_t pair, unsigned int side, uint16_t key,
			uint16_t port, uint32_t g)
{
	uint16_t full[255];
	unsigned int i, n;
	int s;
	struct rt_ent *e = rt_add(a, pair, side, key, port, g, &s);
	struct rt_pslot *ps;

	if (!e || e->count[s] < a->o.rollup_threshold)
		return;
	ps = rt_ps_at(a, pair);
	ps->clock = rt_tick(a);
	if (side == SIDE_SRC && ps->src_full < g)
		ps->src_full = g;
	/* Deleting shifts entries, e among them: work from a copy. */
	n = e->count[s];
	memcpy(full, rt_ports(a, e, s), n * sizeof(full[0]));
	for (i = 0; i < n; i++)
		rt_clear(a, pair, side == SIDE_SRC ? SIDE_DST : SIDE_SRC, full[i], g);
}

/*
 * Records one flow's ports in generation g.  cur says what the current
 * generation decided, so that the next one does not grow per-port sets
 * for a side that is already ephemeral.
 */
static void rt_gen_add(struct nfx_agg *a, uint64_t pair, uint16_t sport, uint16_t dport,
		       uint32_t g, enum eph cur)
{
	unsigned int t = a->o.rollup_threshold;
	unsigned int ns = rt_count(a, pair, SIDE_SRC, sport, g);
	unsigned int nd = rt_count(a, pair, SIDE_DST, dport, g);

	if (ns >= t || nd >= t)
		return;
	if (nd + 1 < t && cur != EPH_SRC)
		rt_add_side(a, pair, SIDE_SRC, sport, dport, g);
	if (ns + 1 < t && cur != EPH_DST)
		rt_add_side(a, pair, SIDE_DST, dport, sport, g);
}

static enum eph rt_decide(const struct nfx_agg *a, uint64_t pair, uint16_t sport,
			  uint16_t dport)
{
	/* dst ports seen from sport, and src ports seen towards dport */
	unsigned int ns = rt_count(a, pair, SIDE_SRC, sport, gen_cur(a));
	unsigned int nd = rt_count(a, pair, SIDE_DST, dport, gen_cur(a));

	if (ns < a->o.rollup_threshold && nd < a->o.rollup_threshold)
		return EPH_NONE;
	/* Many source ports towards one destination port: the source is the client. */
	return nd > ns ? EPH_SRC : EPH_DST;
}

static void rollup(struct nfx_agg *a, struct agg_key *k, uint64_t pair)
{
	enum eph e;

	rt_gen_add(a, pair, k->sport, k->dport, gen_cur(a), EPH_NONE);
	e = rt_decide(a, pair, k->sport, k->dport);
	rt_gen_add(a, pair, k->sport, k->dport, gen_new(a), e);
	if (e == EPH_NONE)
		return;
	if (e == EPH_SRC) {
		k->sport = 0;
		k->roll = NFX_F_SRC_PORT_ROLLUP;
	} else {
		k->dport = 0;
		k->roll = NFX_F_DST_PORT_ROLLUP;
	}
	a->st.ports_rolled_up++;
}

/*
 * The next generation becomes current; entries left with no live set are
 * swept out.  A deletion can pull a later entry back into slot i, so slot
 * i is looked at again; slots before i hold live entries only.
 */
static void rt_rotate(struct nfx_agg *a)
{
	struct rt_ent *e;
	uint32_t i;

	a->rt_gen++;
	a->rt_floor = rt_tick(a);
	a->st.rollup_cur_size = a->st.rollup_new_size;
	a->st.rollup_new_size = 0;
	a->st.rollup_rotations++;
	for (i = 0; i <= a->rt_mask && a->rt_used; i++) {
		e = rt_at(a, i);
		while (a->rt_tags[i] && !gen_live(a, e->gen[0]) && !gen_live(a, e->gen[1]))
			rt_del_slot(a, i);
	}
}

/* ---- flow contexts ---------------------------------------------------- */

static inline uint32_t idx_ctx(uint64_t v)
{
	return (uint32_t)v - 1;
}

/* The index's slots for base/oaht.h: the table is the aggregator. */
struct idx_key {
	const struct agg_key *k;
	uint32_t hash;
};

static int idx_used(const void *t, uint32_t i)
{
	return ((const struct nfx_agg *)t)->idx[i] != 0;
}

static int idx_match(const void *t, uint32_t i, const void *key)
{
	const struct nfx_agg *a = t;
	const struct idx_key *q = key;
	uint64_t v = a->idx[i];

	return (uint32_t)(v >> 32) == q->hash && key_eq(q->k, &a->ctx[idx_ctx(v)].flow);
}

/* key: the context number */
static int idx_match_ctx(const void *t, uint32_t i, const void *key)
{
	return idx_ctx(((const struct nfx_agg *)t)->idx[i]) == *(const uint32_t *)key;
}

static uint32_t idx_hash(const void *t, uint32_t i)
{
	return (uint32_t)(((const struct nfx_agg *)t)->idx[i] >> 32);
}

static void idx_move(void *t, uint32_t to, uint32_t from)
{
	struct nfx_agg *a = t;

	a->idx[to] = a->idx[from];
}

static const struct nfx_oaht_ops idx_ops = {
	.used = idx_used, .match = idx_match, .hash = idx_hash, .move = idx_move,
};
static const struct nfx_oaht_ops idx_ctx_ops = {
	.used = idx_used, .match = idx_match_ctx,
};

/* The context holding k, or NULL with *slot the free index slot for it. */
static struct agg_ctx *ctx_find(const struct nfx_agg *a, const struct agg_key *k,
				uint32_t hash, uint32_t *slot)
{
	struct idx_key q = { .k = k, .hash = hash };
	int found;
	uint32_t i = nfx_oaht_probe(a, a->idx_mask, hash, &idx_ops, &q, &found);

	if (found)
		return &a->ctx[idx_ctx(a->idx[i])];
	*slot = i;
	return NULL;
}

/* The index slot that points at context n. */
static uint32_t idx_slot_of(const struct nfx_agg *a, uint32_t n)
{
	int found;

	return nfx_oaht_probe(a, a->idx_mask, a->ctx[n].hash, &idx_ctx_ops, &n, &found);
}

static void idx_del(struct nfx_agg *a, uint32_t i)
{
	a->idx[nfx_oaht_delete(a, a->idx_mask, i, &idx_ops)] = 0;
}

/* Removes context n; the last one takes its place to keep the array dense. */
static void ctx_remove(struct nfx_agg *a, uint32_t n)
{
	uint32_t last = a->nctx - 1, slot;

	idx_del(a, idx_slot_of(a, n));
	if (n != last) {
		slot = idx_slot_of(a, last);
		a->idx[slot] = (uint64_t)a->ctx[last].hash << 32 | ((uint64_t)n + 1);
		a->ctx[n] = a->ctx[last];
	}
	a->nctx--;
	a->st.contexts = a->nctx;
}

static void merge(struct nfx_flow *c, const struct nfx_flow *f)
{
	c->bytes += f->bytes;
	c->packets += f->packets;
	if (f->present & NFX_F_START) {
		if (!(c->present & NFX_F_START) || f->start_ms < c->start_ms)
			c->start_ms = f->start_ms;
		c->present |= NFX_F_START;
	}
	if (f->present & NFX_F_END) {
		if (!(c->present & NFX_F_END) || f->end_ms > c->end_ms)
			c->end_ms = f->end_ms;
		c->present |= NFX_F_END;
	}
	c->tcp_flags |= f->tcp_flags;
	if (f->sequence > c->sequence)
		c->sequence = f->sequence;
}

/* A flow the table cannot hold goes on as it is, or is counted lost. */
static void overflow(struct nfx_agg *a, const struct agg_key *k)
{
	struct nfx_flow raw;

	a->st.contexts_dropped++;
	if (a->o.overflow.emit) {
		key_apply(k, &raw);
		a->o.overflow.emit(a->o.overflow.ctx, &raw);
		a->st.overflow_emitted++;
		return;
	}
	a->st.overflow_lost_flows++;
	a->st.overflow_lost_bytes += k->f->bytes;
	a->st.overflow_lost_packets += k->f->packets;
}

/*
 * The index is allocated (and backed) for max_contexts, but only its first
 * slots are used: as many as keep it between a quarter and a half full.
 * A lookup reads a slot at random, and a population of 40,000 flows spread
 * over the 16 MB of a 1 M-context index misses the cache where the same
 * flows in 512 KB would not.  The contexts hold their own hashes, so a
 * resize rebuilds the index from the dense context array.
 */
static void idx_resize(struct nfx_agg *a, uint32_t slots)
{
	uint32_t n, i;

	memset(a->idx, 0, (size_t)slots * sizeof(*a->idx));
	a->idx_mask = slots - 1;
	for (n = 0; n < a->nctx; n++) {
		i = a->ctx[n].hash & a->idx_mask;
		while (a->idx[i])
			i = nfx_oaht_next(i, a->idx_mask);
		a->idx[i] = (uint64_t)a->ctx[n].hash << 32 | ((uint64_t)n + 1);
	}
	a->st.index_slots = slots;
	a->st.index_resizes++;
}

/* The slots the index should use for n contexts: n at most half of them. */
static uint32_t idx_slots_for(const struct nfx_agg *a, uint64_t n)
{
	uint32_t slots = nfx_oaht_slots(n * 2);

	if (slots < IDX_MIN_SLOTS)
		slots = IDX_MIN_SLOTS;
	return slots > a->idx_max_mask ? a->idx_max_mask + 1 : slots;
}

static void idx_fit(struct nfx_agg *a)
{
	uint32_t slots = a->idx_mask + 1;

	/* grow past half full; shrink below an eighth, to a quarter */
	if ((uint64_t)a->nctx * 2 > slots && slots <= a->idx_max_mask)
		idx_resize(a, slots * 2);
	else if ((uint64_t)a->nctx * 8 < slots && slots > IDX_MIN_SLOTS &&
		 idx_slots_for(a, (uint64_t)a->nctx * 2) < slots)
		idx_resize(a, idx_slots_for(a, (uint64_t)a->nctx * 2));
}

static struct agg_ctx *ctx_create(struct nfx_agg *a, const struct agg_key *k,
				  uint32_t hash, uint32_t slot, uint64_t now_ms)
{
	struct agg_ctx *c;

	if (a->nctx >= a->o.max_contexts) {
		overflow(a, k);
		return NULL;
	}
	c = &a->ctx[a->nctx];
	key_apply(k, &c->flow);
	/* Datadog flushes a new context at the next tick, then per interval. */
	c->next_flush = now_ms + (a->o.delay_first_flush ? a->o.flush_interval_ms : 0);
	c->last_flush = 0;
	c->hash = hash;
	c->held = 1;
	c->rt_stamp = 0;
	a->idx[slot] = (uint64_t)hash << 32 | ((uint64_t)a->nctx + 1);
	a->nctx++;
	a->st.contexts = a->nctx;
	if ((uint64_t)a->nctx * 2 > (uint64_t)a->idx_mask + 1)
		idx_fit(a);
	return c;
}

static void clock_start(struct nfx_agg *a, uint64_t now_ms)
{
	a->next_tick = now_ms + a->o.tick_ms;
	a->next_rotate = now_ms + a->o.rollup_refresh_ms;
	a->clock_started = 1;
}

static inline uint32_t rt_slot_of(const struct nfx_agg *a, uint64_t pair,
				  unsigned int side, uint16_t port)
{
	return (uint32_t)rt_hash(pair, side, port) & a->rt_mask;
}

/* The lines of context c a lookup and a merge read. */
static inline void ctx_prefetch(const struct agg_ctx *c)
{
	/*
	 * A context is 440 bytes, not line-aligned, so each field's line is
	 * asked for (asking twice for a line costs nothing): held, the stamp
	 * and the counters; present and in_if; ports, proto, tos and the
	 * addresses; the exporter.
	 */
	__builtin_prefetch(&c->held);
	__builtin_prefetch(&c->flow.in_if);
	__builtin_prefetch(&c->flow.src_port);
	__builtin_prefetch(&c->flow.dst.b[15]);
	__builtin_prefetch(&c->flow.exporter);
	__builtin_prefetch(&c->flow.exporter.b[15]);
}

/* Sets k's ports for key v of its flow. */
static inline void key_as(struct agg_key *k, enum kv v)
{
	k->sport = v == KV_SRC ? 0 : k->f->src_port;
	k->dport = v == KV_DST ? 0 : k->f->dst_port;
	k->roll = v == KV_SRC ? NFX_F_SRC_PORT_ROLLUP : v == KV_DST ? NFX_F_DST_PORT_ROLLUP : 0;
}

static inline enum kv key_kv(const struct agg_key *k)
{
	return k->roll == NFX_F_SRC_PORT_ROLLUP ? KV_SRC :
	       k->roll == NFX_F_DST_PORT_ROLLUP ? KV_DST : KV_ASIS;
}

/* First look at a queued flow: the index slot of its key as it came. */
static void pend_fetch_early(const struct nfx_agg *a, const struct agg_pend *p)
{
	__builtin_prefetch(&a->idx[p->hk[KV_ASIS] & a->idx_mask]);
	if (!a->o.rollup_disabled)
		__builtin_prefetch(rt_ps_at(a, p->pair));
}

/*
 * Next, the pair's slot: a key rolled up can only be settled after a set
 * of the pair filled in this refresh interval (its set in the new
 * generation is full).  Only then are the rolled-up keys looked for.
 */
static void pend_fetch_pair(const struct nfx_agg *a, struct agg_pend *p)
{
	const struct nfx_flow *f = &p->f;

	if (a->o.rollup_disabled || rt_ps_at(a, p->pair)->clock <= a->rt_floor)
		return;
	p->hk[KV_DST] = key_hash_ports(p->h, f, f->src_port, 0, NFX_F_DST_PORT_ROLLUP);
	p->hk[KV_SRC] = key_hash_ports(p->h, f, 0, f->dst_port, NFX_F_SRC_PORT_ROLLUP);
	__builtin_prefetch(&a->idx[p->hk[KV_DST] & a->idx_mask]);
	__builtin_prefetch(&a->idx[p->hk[KV_SRC] & a->idx_mask]);
	p->cand = (1u << KV_N) - 1;
}

/* The context the index line at hash seems to hold, or NULL. */
static const struct agg_ctx *idx_peek(const struct nfx_agg *a, uint32_t hash)
{
	uint32_t i = hash & a->idx_mask;
	uint64_t v;

	for (;;) {
		v = a->idx[i];
		if (!v)
			return NULL;
		if ((uint32_t)(v >> 32) == hash)
			return &a->ctx[idx_ctx(v)];
		i = nfx_oaht_next(i, a->idx_mask);
		if (!(i & 7))
			return NULL;	/* the line only */
	}
}

/*
 * Second look, once those slots are near: fetch the contexts the index
 * seems to hold for the flow.  A flow with none is new (or held past its
 * slot's line) and will ask the tracker: fetch its lines.
 */
static void pend_fetch_ctx(const struct nfx_agg *a, struct agg_pend *p)
{
	const struct nfx_flow *f = &p->f;
	const struct agg_ctx *c;
	uint32_t i, cand = 0;
	int v;

	for (v = 0; v < KV_N; v++) {
		if (!(p->cand & 1u << v))
			continue;
		c = idx_peek(a, p->hk[v]);
		if (c) {
			ctx_prefetch(c);
			cand |= 1u << v;
		}
	}
	if (cand || a->o.rollup_disabled) {
		p->cand = cand;
		return;
	}
	i = rt_slot_of(a, p->pair, SIDE_SRC, f->src_port);
	__builtin_prefetch(&a->rt_tags[i]);
	__builtin_prefetch(rt_at(a, i));
	i = rt_slot_of(a, p->pair, SIDE_DST, f->dst_port);
	__builtin_prefetch(&a->rt_tags[i]);
	__builtin_prefetch(rt_at(a, i));
}

/*
 * The context that holds the flow and whose stamp says how without the
 * tracker (see rt_stamp_ok()), with k set to its key; or NULL.
 */
static struct agg_ctx *ctx_settled(struct nfx_agg *a, const struct agg_pend *p,
				   struct agg_key *k)
{
	const struct rt_pslot *ps = rt_ps_at(a, p->pair);
	struct agg_ctx *c;
	uint32_t slot;
	int v;

	if (p->cand == 1u << KV_ASIS) {
		/* most flows: k is as it came */
		c = ctx_find(a, k, p->hk[KV_ASIS], &slot);
		return c && rt_stamp_ok(a, c, ps) ? c : NULL;
	}
	for (v = 0; v < KV_N; v++) {
		if (!(p->cand & 1u << v))
			continue;
		key_as(k, (enum kv)v);
		c = ctx_find(a, k, p->hk[v], &slot);
		if (c && rt_stamp_ok(a, c, ps) && (v != KV_SRC || ps->src_full < gen_cur(a)))
			return c;
	}
	return NULL;
}

/* After a full accounting of k's flow: is its key settled, as rt_stamp_ok() has it? */
static int key_settled(const struct nfx_agg *a, const struct agg_key *k, uint64_t pair)
{
	unsigned int t = a->o.rollup_threshold;

	switch (key_kv(k)) {
	case KV_SRC:
		return rt_count(a, pair, SIDE_DST, k->f->dst_port, gen_cur(a)) >= t &&
		       rt_count(a, pair, SIDE_DST, k->f->dst_port, gen_new(a)) >= t;
	case KV_DST:
		return rt_count(a, pair, SIDE_SRC, k->f->src_port, gen_cur(a)) >= t &&
		       rt_count(a, pair, SIDE_SRC, k->f->src_port, gen_new(a)) >= t;
	default:
		return 1;
	}
}

static void ctx_account(struct nfx_agg *a, struct agg_ctx *c, const struct agg_key *k)
{
	if (!c->held) {
		/* A new period: this flow is its first. */
		key_apply(k, &c->flow);
		c->held = 1;
		return;
	}
	merge(&c->flow, k->f);
	a->st.flows_merged++;
}

/* Accounts one queued flow. */
static void pend_account(struct nfx_agg *a, const struct agg_pend *p)
{
	const struct nfx_flow *f = &p->f;
	struct agg_key k = { .f = f, .sport = f->src_port, .dport = f->dst_port };
	struct agg_ctx *c;
	uint32_t hash, slot, stamp = 0;
	uint64_t dropped = a->st.rollup_dropped, ticks = a->rt_ticks;

	if (!a->o.rollup_disabled) {
		c = ctx_settled(a, p, &k);
		if (c) {
			if (k.roll)
				a->st.ports_rolled_up++;
			ctx_account(a, c, &k);
			return;
		}
		key_as(&k, KV_ASIS);
		stamp = a->rt_clock;
		rollup(a, &k, p->pair);
		if (a->rt_ticks != ticks || a->st.rollup_dropped != dropped ||
		    !key_settled(a, &k, p->pair))
			stamp = 0;
	}
	hash = k.roll ? key_hash_ports(p->h, f, k.sport, k.dport, k.roll) : p->hk[KV_ASIS];
	c = ctx_find(a, &k, hash, &slot);
	if (!c)
		c = ctx_create(a, &k, hash, slot, p->now_ms);
	else
		ctx_account(a, c, &k);
	if (c)
		c->rt_stamp = stamp;
}

static void pend_drain(struct nfx_agg *a)
{
	while (a->pend_n) {
		pend_account(a, &a->pend[a->pend_head]);
		a->pend_head = (a->pend_head + 1) & (LOOKAHEAD - 1);
		a->pend_n--;
	}
}

void nfx_agg_add(struct nfx_agg *a, const struct nfx_flow *f, uint64_t now_ms)
{
	struct agg_pend *p;

	if (!a->clock_started)
		clock_start(a, now_ms);
	a->st.flows_added++;
	if (a->pend_n == LOOKAHEAD) {
		pend_account(a, &a->pend[a->pend_head]);
		a->pend_head = (a->pend_head + 1) & (LOOKAHEAD - 1);
		a->pend_n--;
	}
	p = &a->pend[(a->pend_head + a->pend_n) & (LOOKAHEAD - 1)];
	p->f = *f;
	p->now_ms = now_ms;
	p->h = key_hash_addrs(f);
	p->hk[KV_ASIS] = key_hash_ports(p->h, f, f->src_port, f->dst_port, 0);
	p->pair = a->o.rollup_disabled ? 0 : pair_hash(f);
	p->cand = 1u << KV_ASIS;
	pend_fetch_early(a, p);
	a->pend_n++;
	if (a->pend_n > LOOK_PAIR)
		pend_fetch_pair(a, &a->pend[(a->pend_head + a->pend_n - 1 - LOOK_PAIR) &
					    (LOOKAHEAD - 1)]);
	if (a->pend_n > LOOK_CTX)
		pend_fetch_ctx(a, &a->pend[(a->pend_head + a->pend_n - 1 - LOOK_CTX) &
					   (LOOKAHEAD - 1)]);
}

void nfx_agg_set_now(struct nfx_agg *a, uint64_t now_ms)
{
	a->now_ms = now_ms;
}

void nfx_agg_emit(void *ctx, const struct nfx_flow *f)
{
	struct nfx_agg *a = ctx;

	nfx_agg_add(a, f, a->now_ms);
}

/* ---- sequence accounting ---------------------------------------------- */

static uint32_t exp_home(const struct nfx_addr *addr, uint8_t type)
{
	return (uint32_t)nfx_oaht_mix(hash_addr(type, addr));
}

/* The exporter table's slots for base/oaht.h (entries never go): key is a flow. */
static int exp_used(const void *t, uint32_t i)
{
	return ((const struct nfx_agg *)t)->exp[i].used;
}

static int exp_match(const void *t, uint32_t i, const void *key)
{
	const struct agg_exp *e = &((const struct nfx_agg *)t)->exp[i];
	const struct nfx_flow *f = key;

	return e->type == f->type && !memcmp(&e->addr, &f->exporter, sizeof(e->addr));
}

static const struct nfx_oaht_ops exp_ops = { .used = exp_used, .match = exp_match };

static struct agg_exp *exp_get(struct nfx_agg *a, const struct nfx_flow *f)
{
	int found;
	uint32_t i = nfx_oaht_probe(a, a->exp_mask, exp_home(&f->exporter, f->type), &exp_ops,
				    f, &found);
	struct agg_exp *e = &a->exp[i];

	if (found)
		return e;
	if (a->st.exporters >= a->o.max_exporters) {
		a->st.exporters_dropped++;
		return NULL;
	}
	e->addr = f->exporter;
	e->type = f->type;
	e->used = 1;
	a->st.exporters++;
	return e;
}

static void exp_note(struct nfx_agg *a, const struct nfx_flow *f)
{
	struct agg_exp *e = exp_get(a, f);

	if (!e)
		return;
	if (e->tick_gen != a->exp_gen) {
		e->tick_gen = a->exp_gen;
		e->tick_max = f->sequence;
		a->touched[a->ntouched++] = (uint32_t)(e - a->exp);
	} else if (f->sequence > e->tick_max) {
		e->tick_max = f->sequence;
	}
}

static int64_t reset_step(uint8_t type)
{
	return type == NFX_TYPE_NETFLOW9 || type == NFX_TYPE_IPFIX ? 100 : 1000;
}

/*
 * As Datadog: a small step back is reordering, reported as no progress and
 * leaving the base alone; a large one is a restarted exporter, whose delta
 * is then counted from zero.
 */
static void exp_settle(struct agg_exp *e, uint64_t now_ms)
{
	uint64_t seq = e->tick_max;
	int64_t d = e->has_base ? (int64_t)(seq - e->base) : 0;

	e->reset = 0;
	if (d < -reset_step(e->type)) {
		e->reset = 1;
		e->resets++;
		d = (int64_t)seq;
		e->base = seq;
	} else if (d < 0) {
		d = 0;
	} else {
		e->base = seq;
	}
	e->has_base = 1;
	e->last_seq = seq;
	e->delta = d;
	e->delta_total += (uint64_t)d;
	e->updated_ms = now_ms;
}

static void exp_begin(struct nfx_agg *a)
{
	/* 0 is what a fresh entry holds: never use it. */
	if (!++a->exp_gen)
		a->exp_gen = 1;
	a->ntouched = 0;
}

static void exp_end(struct nfx_agg *a, uint64_t now_ms)
{
	uint32_t i;

	for (i = 0; i < a->ntouched; i++)
		exp_settle(&a->exp[a->touched[i]], now_ms);
}

unsigned int nfx_agg_foreach_exporter(const struct nfx_agg *a, nfx_agg_exporter_fn fn,
				      void *ctx)
{
	struct nfx_agg_exporter x;
	const struct agg_exp *e;
	unsigned int n = 0;
	uint32_t i;

	for (i = 0; i <= a->exp_mask; i++) {
		e = &a->exp[i];
		if (!e->used || !e->has_base)
			continue;
		x = (struct nfx_agg_exporter){
			.addr = e->addr, .type = e->type, .reset = e->reset,
			.last_seq = e->last_seq, .delta = e->delta,
			.delta_total = e->delta_total, .resets = e->resets,
			.updated_ms = e->updated_ms,
		};
		fn(ctx, &x);
		n++;
	}
	return n;
}

/* ---- flushing --------------------------------------------------------- */

/* Next deadline after now on the grid t + k * step (late callers skip). */
static uint64_t advance(uint64_t t, uint64_t step_ms, uint64_t now_ms)
{
	t += step_ms;
	if (t <= now_ms)
		t += ((now_ms - t) / step_ms + 1) * step_ms;
	return t;
}

static void ctx_flush(struct nfx_agg *a, struct agg_ctx *c, uint64_t now_ms,
		      const struct nfx_sink *out)
{
	out->emit(out->ctx, &c->flow);
	a->st.records_flushed++;
	exp_note(a, &c->flow);
	c->held = 0;
	c->last_flush = now_ms;
}

/* One Datadog tick: expire, then flush what is due. */
static void run_tick(struct nfx_agg *a, uint64_t now_ms, const struct nfx_sink *out)
{
	uint64_t ttl = a->o.flow_context_ttl_ms;
	struct agg_ctx *c;
	uint32_t i = 0;

	exp_begin(a);
	while (i < a->nctx) {
		c = &a->ctx[i];
		if (!c->held && c->last_flush + ttl < now_ms) {
			ctx_remove(a, i);	/* i now holds another context */
			a->st.contexts_expired++;
			continue;
		}
		if (c->next_flush <= now_ms) {
			if (c->held)
				ctx_flush(a, c, now_ms, out);
			c->next_flush = advance(c->next_flush, a->o.flush_interval_ms, now_ms);
		}
		i++;
	}
	idx_fit(a);
	exp_end(a, now_ms);
	a->st.ticks++;
}

void nfx_agg_tick(struct nfx_agg *a, uint64_t now_ms, const struct nfx_sink *out)
{
	pend_drain(a);
	if (!a->clock_started) {
		clock_start(a, now_ms);
		return;
	}
	if (!a->o.rollup_disabled && now_ms >= a->next_rotate) {
		rt_rotate(a);
		a->next_rotate = advance(a->next_rotate, a->o.rollup_refresh_ms, now_ms);
	}
	/* Without a sink nothing may leave: records wait for one. */
	if (now_ms >= a->next_tick && out && out->emit) {
		run_tick(a, now_ms, out);
		a->next_tick = advance(a->next_tick, a->o.tick_ms, now_ms);
	}
}

void nfx_agg_flush_all(struct nfx_agg *a, uint64_t now_ms, const struct nfx_sink *out)
{
	uint32_t i;

	if (!out || !out->emit)
		return;
	pend_drain(a);
	exp_begin(a);
	for (i = 0; i < a->nctx; i++)
		if (a->ctx[i].held)
			ctx_flush(a, &a->ctx[i], now_ms, out);
	exp_end(a, now_ms);
}

const struct nfx_agg_stats *nfx_agg_stats(const struct nfx_agg *a)
{
	/* Counts include every flow added: account the queued ones first. */
	pend_drain((struct nfx_agg *)a);
	return &a->st;
}

void nfx_agg_stats_add(struct nfx_agg_stats *to, const struct nfx_agg_stats *from)
{
	_Static_assert(sizeof(*to) % sizeof(uint64_t) == 0, "nfx_agg_stats: uint64_t only");
	nfx_counters_add((uint64_t *)to, (const uint64_t *)from, sizeof(*to) / sizeof(uint64_t));
}

/* ---- life cycle ------------------------------------------------------- */

static int opts_resolve(struct nfx_agg_opts *o)
{
	if (!o->tick_ms)
		o->tick_ms = NFX_AGG_TICK_MS;
	if (!o->flush_interval_ms)
		o->flush_interval_ms = NFX_AGG_FLUSH_INTERVAL_MS;
	if (!o->flow_context_ttl_ms)
		o->flow_context_ttl_ms = o->flush_interval_ms;
	if (!o->rollup_refresh_ms)
		o->rollup_refresh_ms = NFX_AGG_ROLLUP_REFRESH_MS;
	if (!o->rollup_threshold)
		o->rollup_threshold = NFX_AGG_ROLLUP_THRESHOLD;
	if (!o->max_contexts)
		o->max_contexts = NFX_AGG_MAX_CONTEXTS;
	if (!o->max_rollup_entries)
		o->max_rollup_entries = o->max_contexts;
	if (!o->max_exporters)
		o->max_exporters = NFX_AGG_MAX_EXPORTERS;
	if (o->rollup_threshold < NFX_AGG_ROLLUP_MIN || o->rollup_threshold > NFX_AGG_ROLLUP_MAX ||
	    o->max_contexts > MAX_CONTEXTS || o->max_rollup_entries > MAX_CONTEXTS ||
	    o->max_exporters > MAX_CONTEXTS)
		return -EINVAL;
	return 0;
}

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

/*
 * The big tables are read at random: on 2 MB pages their lookups miss the
 * TLB far less.  Anonymous mappings come zeroed and are only backed once
 * touched.
 *
 * @populate: the tables indexed by hash (the context index, the roll-up
 * tracker) are spread over every page by their first few thousand flows
 * anyway, so they are backed here, at start: otherwise the first second
 * of traffic pays a page fault (2 MB zeroed) per page and the receive
 * rings overflow meanwhile (README "Aggregation": the first 10 000 flows
 * took 0.4 s instead of 35 ms with a 2.2 GB tracker).  That is RSS from
 * the start, so nfx_agg_mem() counts it and the daemon bounds it
 * (aggregator_max_memory).  A kernel without MADV_POPULATE_WRITE (before
 * 5.14) gets the pages touched; one that cannot back them fails the
 * allocation here rather than a page fault later.  The dense context
 * array grows with the contexts and stays lazy.
 */
static void *big_alloc(size_t size, int populate)
{
#ifdef __SANITIZE_ADDRESS__
	/* Heap memory, so that ASan checks every table access. */
	(void)populate;
	return calloc(1, size);
#else
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	madvise(p, size, MADV_HUGEPAGE);
	/* after MADV_HUGEPAGE, so that it is backed by 2 MB pages if it can be */
	if (!populate || !madvise(p, size, MADV_POPULATE_WRITE))
		return p;
	if (errno != EINVAL) {
		munmap(p, size);
		return NULL;
	}
	for (size_t off = 0; off < size; off += 4096)
		((volatile char *)p)[off] = 0;
	return p;
#endif
}

static void big_free(void *p, size_t size)
{
#ifdef __SANITIZE_ADDRESS__
	free(p);
#else
	if (p)
		munmap(p, size);
#endif
}

/*
 * Every table's size, from the resolved options: tables_alloc() allocates
 * by it and nfx_agg_mem() adds it up, so the figure the daemon checks
 * against aggregator_max_memory is what is allocated.
 */
struct agg_layout {
	size_t ctx_bytes;		/* dense context array, lazy */
	uint32_t idx_slots;		/* context index, 8 bytes each, backed */
	uint32_t rt_slots;		/* tracker entries, rt_stride + a tag byte each, backed */
	size_t rt_stride;
	uint32_t rt_ps_slots;		/* per pair hash, see rt_stamp_ok() */
	uint32_t exp_slots;		/* sequence accounting */
};

static void layout_of(const struct nfx_agg_opts *o, struct agg_layout *l)
{
	memset(l, 0, sizeof(*l));
	l->ctx_bytes = (size_t)o->max_contexts * sizeof(struct agg_ctx);
	l->idx_slots = nfx_oaht_slots((uint64_t)o->max_contexts * 2);
	l->exp_slots = nfx_oaht_slots((uint64_t)o->max_exporters * 2);
	if (o->rollup_disabled)
		return;
	l->rt_slots = nfx_oaht_slots((uint64_t)o->max_rollup_entries * 2);
	l->rt_stride = (offsetof(struct rt_ent, ports) +
			2 * o->rollup_threshold * sizeof(uint16_t) + 7) & ~(size_t)7;
	/* small enough to stay in cache: pairs sharing a slot cost little */
	l->rt_ps_slots = nfx_oaht_slots(o->max_rollup_entries);
	if (l->rt_ps_slots > RT_PS_MAX)
		l->rt_ps_slots = RT_PS_MAX;
}

static int rt_alloc(struct nfx_agg *a, const struct agg_layout *l)
{
	a->rt_stride = l->rt_stride;
	a->rt_mask = l->rt_slots - 1;	/* before the tables: nfx_agg_free() sizes them by it */
	a->rt_slots = big_alloc((size_t)l->rt_slots * l->rt_stride, 1);
	a->rt_tags = big_alloc(l->rt_slots, 1);
	a->rt_ps_mask = l->rt_ps_slots - 1;
	a->rt_ps = calloc(l->rt_ps_slots, sizeof(*a->rt_ps));
	if (!a->rt_slots || !a->rt_tags || !a->rt_ps)
		return -ENOMEM;
	a->rt_gen = 1;
	a->rt_clock = 1;
	a->rt_floor = 1;
	return 0;
}

static int tables_alloc(struct nfx_agg *a)
{
	struct agg_layout l;

	layout_of(&a->o, &l);
	a->ctx = big_alloc(l.ctx_bytes, 0);
	a->idx = big_alloc((size_t)l.idx_slots * sizeof(*a->idx), 1);
	a->idx_max_mask = l.idx_slots - 1;
	a->idx_mask = idx_slots_for(a, 0) - 1;
	a->st.index_slots = a->idx_mask + 1;
	a->exp = calloc(l.exp_slots, sizeof(*a->exp));
	a->exp_mask = l.exp_slots - 1;
	a->touched = calloc(a->o.max_exporters, sizeof(*a->touched));
	if (!a->ctx || !a->idx || !a->exp || !a->touched)
		return -ENOMEM;
	if (!a->o.rollup_disabled)
		return rt_alloc(a, &l);
	return 0;
}

int nfx_agg_mem(const struct nfx_agg_opts *opts, struct nfx_agg_mem *m)
{
	struct nfx_agg_opts o = opts ? *opts : (struct nfx_agg_opts){ 0 };
	struct agg_layout l;
	int err;

	err = opts_resolve(&o);
	if (err)
		return err;
	layout_of(&o, &l);
	m->touched = (uint64_t)l.idx_slots * sizeof(uint64_t) +
		     (uint64_t)l.rt_slots * (l.rt_stride + 1);
	m->total = m->touched + l.ctx_bytes + sizeof(struct nfx_agg) +
		   (uint64_t)l.rt_ps_slots * sizeof(struct rt_pslot) +
		   (uint64_t)l.exp_slots * sizeof(struct agg_exp) +
		   (uint64_t)o.max_exporters * sizeof(uint32_t);
	return 0;
}

struct nfx_agg *nfx_agg_new(const struct nfx_agg_opts *opts)
{
	struct nfx_agg_mem mem;
	struct nfx_agg *a;
	int err;

	a = calloc(1, sizeof(*a));
	if (!a) {
		errno = ENOMEM;
		return NULL;
	}
	if (opts)
		a->o = *opts;
	err = opts_resolve(&a->o);
	if (err)
		goto fail;
	err = tables_alloc(a);
	if (err)
		goto fail;
	err = nfx_agg_mem(&a->o, &mem);
	if (err)
		goto fail;
	a->st.memory_bytes = mem.total;
	return a;
fail:
	nfx_agg_free(a);
	errno = -err;
	return NULL;
}

void nfx_agg_free(struct nfx_agg *a)
{
	if (!a)
		return;
	if (a->rt_tags)
		big_free(a->rt_tags, (size_t)a->rt_mask + 1);
	if (a->rt_slots)
		big_free(a->rt_slots, ((size_t)a->rt_mask + 1) * a->rt_stride);
	free(a->rt_ps);
	free(a->touched);
	free(a->exp);
	big_free(a->idx, ((size_t)a->idx_max_mask + 1) * sizeof(*a->idx));
	big_free(a->ctx, (size_t)a->o.max_contexts * sizeof(*a->ctx));
	free(a);
}
