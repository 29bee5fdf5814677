/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * agg_model.h - a plain model of the aggregator's port roll-up (design §5,
 * the rules agg.c states at its top) and of its aggregation, with lists
 * searched in full and no caching of any kind, to run random streams
 * through both and compare what comes out.  Included by the tests.
 */
#ifndef NFX_AGG_MODEL_H
#define NFX_AGG_MODEL_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agg/agg.h"

#define M_SETS		4096
#define M_KEYS		8192

/* The ports seen opposite one port of one side of one address pair, in one generation. */
struct m_set {
	struct nfx_addr src, dst;
	unsigned int side;		/* 0 source, 1 destination */
	uint16_t port;
	uint64_t gen;
	unsigned int n;
	uint16_t ports[255];
};

struct m_key {
	struct nfx_flow f;		/* key fields as rolled up; sums */
	uint64_t flows;
};

struct model {
	unsigned int t;			/* threshold */
	uint64_t gen;			/* current; next is + 1 */
	struct m_set *sets;
	unsigned int nsets;
	struct m_key *keys;
	unsigned int nkeys;
	uint64_t rolled;
	unsigned int reports;		/* differences printed */
	int overflow;			/* a table was too small: the test is void */
};

enum { M_NONE, M_SRC, M_DST };

static void m_init(struct model *m, unsigned int t)
{
	memset(m, 0, sizeof(*m));
	m->t = t;
	m->gen = 1;
	m->sets = calloc(M_SETS, sizeof(*m->sets));
	m->keys = calloc(M_KEYS, sizeof(*m->keys));
}

static void m_free(struct model *m)
{
	free(m->sets);
	free(m->keys);
}

static struct m_set *m_find(struct model *m, const struct nfx_flow *f, unsigned int side,
			    uint16_t port, uint64_t g)
{
	for (unsigned int i = 0; i < m->nsets; i++) {
		struct m_set *s = &m->sets[i];

		if (s->gen == g && s->side == side && s->port == port &&
		    !memcmp(&s->src, &f->src, sizeof(s->src)) &&
		    !memcmp(&s->dst, &f->dst, sizeof(s->dst)))
			return s;
	}
	return NULL;
}

static unsigned int m_count(struct model *m, const struct nfx_flow *f, unsigned int side,
			    uint16_t port, uint64_t g)
{
	struct m_set *s = m_find(m, f, side, port, g);

	return s ? s->n : 0;
}

static void m_drop(struct model *m, struct m_set *s)
{
	*s = m->sets[--m->nsets];
}

/* Adds port to the set of (side, key); when the set fills, the opposite side's sets of its ports go. */
static void m_add_side(struct model *m, const struct nfx_flow *f, unsigned int side,
		       uint16_t key, uint16_t port, uint64_t g)
{
	struct m_set *s = m_find(m, f, side, key, g);
	uint16_t full[255];
	unsigned int i, n;

	if (!s) {
		if (m->nsets == M_SETS) {
			m->overflow = 1;
			return;
		}
		s = &m->sets[m->nsets++];
		memset(s, 0, sizeof(*s));
		s->src = f->src;
		s->dst = f->dst;
		s->side = side;
		s->port = key;
		s->gen = g;
	}
	for (i = 0; i < s->n && s->ports[i] != port; i++)
		;
	if (i == s->n && s->n < m->t)
		s->ports[s->n++] = port;
	if (s->n < m->t)
		return;
	n = s->n;
	memcpy(full, s->ports, n * sizeof(full[0]));
	for (i = 0; i < n; i++) {
		struct m_set *o = m_find(m, f, !side, full[i], g);

		if (o)
			m_drop(m, o);
	}
}

static void m_gen_add(struct model *m, const struct nfx_flow *f, uint64_t g, int cur)
{
	unsigned int ns = m_count(m, f, 0, f->src_port, g);
	unsigned int nd = m_count(m, f, 1, f->dst_port, g);

	if (ns >= m->t || nd >= m->t)
		return;
	if (nd + 1 < m->t && cur != M_SRC)
		m_add_side(m, f, 0, f->src_port, f->dst_port, g);
	if (ns + 1 < m->t && cur != M_DST)
		m_add_side(m, f, 1, f->dst_port, f->src_port, g);
}

static int m_decide(struct model *m, const struct nfx_flow *f)
{
	unsigned int ns = m_count(m, f, 0, f->src_port, m->gen);
	unsigned int nd = m_count(m, f, 1, f->dst_port, m->gen);

	if (ns < m->t && nd < m->t)
		return M_NONE;
	return nd > ns ? M_SRC : M_DST;
}

static void m_rotate(struct model *m)
{
	m->gen++;
	for (unsigned int i = 0; i < m->nsets;) {
		if (m->sets[i].gen < m->gen)
			m_drop(m, &m->sets[i]);
		else
			i++;
	}
}

static uint64_t m_gen_size(const struct model *m, uint64_t g)
{
	uint64_t n = 0;

	for (unsigned int i = 0; i < m->nsets; i++)
		n += m->sets[i].gen == g;
	return n;
}

static int m_same_key(const struct nfx_flow *a, const struct nfx_flow *b)
{
	return a->src_port == b->src_port && a->dst_port == b->dst_port &&
	       (a->present & (NFX_F_SRC_PORT_ROLLUP | NFX_F_DST_PORT_ROLLUP)) ==
		       (b->present & (NFX_F_SRC_PORT_ROLLUP | NFX_F_DST_PORT_ROLLUP)) &&
	       a->proto == b->proto && a->tos == b->tos && a->in_if == b->in_if &&
	       !memcmp(&a->src, &b->src, sizeof(a->src)) &&
	       !memcmp(&a->dst, &b->dst, sizeof(a->dst)) &&
	       !memcmp(&a->exporter, &b->exporter, sizeof(a->exporter));
}

static struct m_key *m_key_find(struct model *m, const struct nfx_flow *f)
{
	for (unsigned int i = 0; i < m->nkeys; i++)
		if (m_same_key(&m->keys[i].f, f))
			return &m->keys[i];
	return NULL;
}

/* One flow: roll-up as the aggregator does it, then summed under its key. */
static void m_add(struct model *m, const struct nfx_flow *in)
{
	struct nfx_flow f = *in;
	struct m_key *k;
	int e;

	m_gen_add(m, &f, m->gen, M_NONE);
	e = m_decide(m, &f);
	m_gen_add(m, &f, m->gen + 1, e);
	f.present &= ~(NFX_F_SRC_PORT_ROLLUP | NFX_F_DST_PORT_ROLLUP);
	if (e == M_SRC) {
		f.src_port = 0;
		f.present |= NFX_F_SRC_PORT_ROLLUP;
	} else if (e == M_DST) {
		f.dst_port = 0;
		f.present |= NFX_F_DST_PORT_ROLLUP;
	}
	m->rolled += e != M_NONE;
	k = m_key_find(m, &f);
	if (!k) {
		if (m->nkeys == M_KEYS) {
			m->overflow = 1;
			return;
		}
		k = &m->keys[m->nkeys++];
		k->f = f;
		k->f.bytes = 0;
		k->f.packets = 0;
		k->flows = 0;
	}
	k->f.bytes += in->bytes;
	k->f.packets += in->packets;
	k->flows++;
}

/* ---- a random stream through both ------------------------------------ */

struct m_cfg {
	unsigned int t;			/* roll-up threshold */
	unsigned int hosts;		/* per side */
	unsigned int ports;		/* client ports per host pair */
	unsigned int pool;		/* recurring flows */
	unsigned int recur;		/* % of flows taken from the pool */
	unsigned int flows;
	unsigned int rotate_every;	/* flows */
	unsigned int check_every;	/* flows between flush_all comparisons */
	uint64_t seed;
};

static uint64_t m_rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void m_flow(struct nfx_flow *f, const struct m_cfg *c, uint64_t *rs)
{
	static const uint16_t svc[] = { 443, 80, 53 };
	uint64_t r = m_rnd(rs);
	uint16_t cl = (uint16_t)(40000 + (r % c->ports)), sv = svc[(r >> 20) % 3];

	memset(f, 0, sizeof(*f));
	f->type = NFX_TYPE_IPFIX;
	f->present = NFX_F_SRC_ADDR | NFX_F_DST_ADDR | NFX_F_PROTO | NFX_F_SRC_PORT |
		     NFX_F_DST_PORT | NFX_F_IN_IF;
	nfx_addr_set_v4(&f->exporter, (const uint8_t[]){ 192, 0, 2, (uint8_t)(1 + ((r >> 8) & 1)) });
	nfx_addr_set_v4(&f->src, (const uint8_t[]){ 10, 0, 0, (uint8_t)(1 + (r >> 12) % c->hosts) });
	nfx_addr_set_v4(&f->dst, (const uint8_t[]){ 10, 0, 1, (uint8_t)(1 + (r >> 16) % c->hosts) });
	switch ((r >> 24) & 3) {
	case 0:		/* server to client */
		f->src_port = sv;
		f->dst_port = cl;
		break;
	case 1:		/* both sides small */
		f->src_port = (uint16_t)(1 + ((r >> 28) % c->ports));
		f->dst_port = (uint16_t)(1 + ((r >> 36) % c->ports));
		break;
	default:	/* client to server */
		f->src_port = cl;
		f->dst_port = sv;
		break;
	}
	f->proto = (r >> 44) & 1 ? 6 : 17;
	f->in_if = (uint32_t)((r >> 45) & 1);
	f->bytes = 1 + ((r >> 46) & 0xfff);
	f->packets = 1 + ((r >> 58) & 0xf);
}

struct m_out {
	struct model *m;
	unsigned int n, bad;
};

static void m_out_emit(void *ctx, const struct nfx_flow *f)
{
	struct m_out *o = ctx;
	struct m_key *k = m_key_find(o->m, f);

	o->n++;
	if (!k || k->f.bytes != f->bytes || k->f.packets != f->packets) {
		if (!o->bad++ && o->m->reports < 3)
			printf("# model: record %u to %u rolled %#x: %llu bytes, model %llu\n",
			       f->src_port, f->dst_port,
			       f->present & (NFX_F_SRC_PORT_ROLLUP | NFX_F_DST_PORT_ROLLUP),
			       (unsigned long long)f->bytes,
			       k ? (unsigned long long)k->f.bytes : 0ull);
	}
}

/* Flushes a and compares with the model's sums since the last time; 0 when they agree. */
static int m_compare(struct nfx_agg *a, struct model *m, uint64_t now)
{
	struct m_out o = { .m = m };
	struct nfx_sink out = { m_out_emit, &o };
	const struct nfx_agg_stats *st;
	int bad;

	nfx_agg_flush_all(a, now, &out);
	st = nfx_agg_stats(a);
	bad = o.bad || o.n != m->nkeys || st->ports_rolled_up != m->rolled ||
	      st->rollup_cur_size != m_gen_size(m, m->gen) ||
	      st->rollup_new_size != m_gen_size(m, m->gen + 1) || st->rollup_dropped;
	if (bad && m->reports++ < 3)
		printf("# model: %u records (model %u), %u differ; rolled %llu (model %llu); "
		       "sets %llu + %llu (model %llu + %llu); dropped %llu\n",
		       o.n, m->nkeys, o.bad, (unsigned long long)st->ports_rolled_up,
		       (unsigned long long)m->rolled, (unsigned long long)st->rollup_cur_size,
		       (unsigned long long)st->rollup_new_size,
		       (unsigned long long)m_gen_size(m, m->gen),
		       (unsigned long long)m_gen_size(m, m->gen + 1),
		       (unsigned long long)st->rollup_dropped);
	m->nkeys = 0;
	return bad;
}

/*
 * Runs c's stream through a fresh aggregator and the model, rotating both
 * every rotate_every flows and comparing every check_every.
 * @return the number of comparisons that differed (-1: model too small).
 */
static int m_run(const struct m_cfg *c)
{
	struct nfx_agg_opts o = { .rollup_threshold = c->t, .rollup_refresh_ms = 1000,
				  .tick_ms = 1000000000, .flush_interval_ms = 1000000000,
				  .max_rollup_entries = 1u << 16 };
	struct nfx_agg *a = nfx_agg_new(&o);
	struct nfx_flow *pool = calloc(c->pool, sizeof(*pool)), f;
	uint64_t rs = c->seed, now = 1700000000000ull;
	struct model m;
	int bad = 0;

	if (!a || !pool)
		abort();
	m_init(&m, c->t);
	for (unsigned int i = 0; i < c->pool; i++)
		m_flow(&pool[i], c, &rs);
	nfx_agg_tick(a, now, NULL);		/* rotations on now + k s */
	for (unsigned int i = 1; i <= c->flows; i++) {
		if (m_rnd(&rs) % 100 < c->recur) {
			f = pool[m_rnd(&rs) % c->pool];
			f.bytes = 1 + (m_rnd(&rs) & 0xfff);
		} else {
			m_flow(&f, c, &rs);
		}
		nfx_agg_add(a, &f, now);
		m_add(&m, &f);
		if (i % c->rotate_every == 0) {
			now += 1000;
			nfx_agg_tick(a, now, NULL);
			m_rotate(&m);
		}
		if (i % c->check_every == 0)
			bad += m_compare(a, &m, now);
	}
	bad += m_compare(a, &m, now);
	if (m.overflow)
		bad = -1;
	m_free(&m);
	free(pool);
	nfx_agg_free(a);
	return bad;
}

#endif /* NFX_AGG_MODEL_H */
