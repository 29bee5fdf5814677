// SPDX-License-Identifier: BSD-2-Clause
/*
 * seq.c - sequence accounting.  Legacy sessions live in an open-addressed
 * table (linear probing, backward-shift deletion: base/oaht.h), sized once
 * at creation: an exporter flood can fill it, never grow it.  A full table
 * gives a newcomer the room of the oldest idle session among the next
 * NFX_EVICT_PROBE slots under a clock hand, as the template cache does
 * (tmpl_cache.h); a session used within the idle window is never
 * evicted, and a search that finds none holds for its millisecond.  v9/IPFIX
 * sessions are their exporter-domain states, which also learn an
 * exporter's quirk.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/oaht.h"
#include "decode/seq.h"

struct seq_slot {
	struct nfx_seq_key key;
	uint64_t last_seen_ms;
	uint32_t next;			/* sequence expected next */
	uint8_t used;
};

struct nfx_seq_table {
	struct seq_slot *slots;
	uint32_t mask;			/* capacity - 1, capacity a power of two */
	uint32_t count;
	uint32_t max;
	uint32_t hand;			/* the next slot a victim search looks at */
	uint64_t idle_ms;		/* eviction: a session used more recently stays */
	uint64_t none_idle_ms;		/* when a search last found no victim (+ 1) */
};

static uint32_t key_hash(const struct nfx_seq_key *k)
{
	uint64_t h = 0x9e3779b97f4a7c15ull ^ k->version;

	for (int i = 0; i < 16; i += 8) {
		uint64_t w;

		memcpy(&w, k->addr.b + i, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdull;
		h ^= h >> 32;
	}
	h = (h ^ k->domain) * 0xc4ceb9fe1a85ec53ull;
	return (uint32_t)(h ^ (h >> 29));
}

static int key_eq(const struct nfx_seq_key *a, const struct nfx_seq_key *b)
{
	return a->version == b->version && a->domain == b->domain &&
	       !memcmp(&a->addr, &b->addr, sizeof(a->addr));
}

/* The table's slots for base/oaht.h: the table is t, a key a struct nfx_seq_key. */
static int slot_used(const void *t, uint32_t i)
{
	return ((const struct nfx_seq_table *)t)->slots[i].used;
}

static int slot_match(const void *t, uint32_t i, const void *key)
{
	return key_eq(&((const struct nfx_seq_table *)t)->slots[i].key, key);
}

static uint32_t slot_hash(const void *t, uint32_t i)
{
	return key_hash(&((const struct nfx_seq_table *)t)->slots[i].key);
}

static void slot_move(void *t, uint32_t to, uint32_t from)
{
	struct nfx_seq_table *x = t;

	x->slots[to] = x->slots[from];
}

static const struct nfx_oaht_ops slot_ops = {
	.used = slot_used, .match = slot_match, .hash = slot_hash, .move = slot_move,
};

struct nfx_seq_table *nfx_seq_table_new(uint32_t max_sessions, uint32_t evict_idle_ms)
{
	struct nfx_seq_table *t;
	uint32_t cap;

	if (!max_sessions)
		max_sessions = 65536;
	if (max_sessions > (1u << 24)) {
		errno = EINVAL;
		return NULL;
	}
	/* load factor at most 1/2 keeps probe chains short */
	cap = nfx_oaht_slots((uint64_t)max_sessions * 2);
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->slots = calloc(cap, sizeof(*t->slots));
	if (!t->slots) {
		free(t);
		return NULL;
	}
	t->mask = cap - 1;
	t->max = max_sessions;
	t->idle_ms = evict_idle_ms ? evict_idle_ms : NFX_EVICT_IDLE_DEFAULT_MS;
	return t;
}

void nfx_seq_table_free(struct nfx_seq_table *t)
{
	if (!t)
		return;
	free(t->slots);
	free(t);
}

static void seq_remove_at(struct nfx_seq_table *t, uint32_t i)
{
	i = nfx_oaht_delete(t, t->mask, i, &slot_ops);
	t->slots[i].used = 0;
	t->count--;
}

/*
 * Make room in the full table: the oldest session idle for the window
 * among the next NFX_EVICT_PROBE used slots.  @return 0, or -1 when all
 * of them are recent.
 */
static int seq_evict(struct nfx_seq_table *t, uint64_t now_ms)
{
	uint32_t best = 0, seen = 0;
	uint64_t best_last = 0;
	int have = 0;

	if (t->none_idle_ms == now_ms + 1)
		return -1;
	/* at most half the slots are used: twice the probe finds as many */
	for (uint32_t i = 0; i < 2 * NFX_EVICT_PROBE && seen < NFX_EVICT_PROBE; i++) {
		const struct seq_slot *s = &t->slots[t->hand];
		uint32_t at = t->hand;

		t->hand = (t->hand + 1) & t->mask;
		if (!s->used)
			continue;
		seen++;
		if (s->last_seen_ms > now_ms || now_ms - s->last_seen_ms < t->idle_ms)
			continue;
		if (!have || s->last_seen_ms < best_last) {
			best = at;
			best_last = s->last_seen_ms;
			have = 1;
		}
	}
	if (!have) {
		t->none_idle_ms = now_ms + 1;
		return -1;
	}
	seq_remove_at(t, best);
	return 0;
}

static struct seq_slot *seq_find_or_add(struct nfx_seq_table *t, struct nfx_dec_stats *st,
					const struct nfx_seq_key *key, uint64_t now_ms,
					int *created)
{
	int found;
	uint32_t h = key_hash(key);
	uint32_t i = nfx_oaht_probe(t, t->mask, h, &slot_ops, key, &found);
	struct seq_slot *s = &t->slots[i];

	*created = 0;
	if (found)
		return s;
	if (t->count >= t->max) {
		if (seq_evict(t, now_ms))
			return NULL;
		st->sessions_evicted++;
		/* the delete moved slots: probe again */
		i = nfx_oaht_probe(t, t->mask, h, &slot_ops, key, &found);
		s = &t->slots[i];
	}
	s->used = 1;
	s->key = *key;
	t->count++;
	*created = 1;
	return s;
}

uint32_t nfx_seq_account(struct nfx_seq_table *t, struct nfx_dec_stats *st,
			 const struct nfx_seq_key *key, uint32_t seq, uint32_t advance,
			 uint32_t reset_gap, uint64_t now_ms)
{
	struct seq_slot *s;
	uint32_t ahead;
	int created;

	s = seq_find_or_add(t, st, key, now_ms, &created);
	if (!s) {
		st->session_limit++;
		return 0;
	}
	s->last_seen_ms = now_ms;
	if (created) {
		s->next = seq + advance;
		return 0;
	}
	/*
	 * Distance on the 32-bit circle, so right across the wrap.  A jump
	 * forward by more than a thousand resets' worth is a restart with a
	 * new initial sequence, not a loss of millions of flows.
	 */
	ahead = seq - s->next;
	if (ahead <= (uint64_t)reset_gap * 1000 && ahead < 0x80000000u) {
		s->next = seq + advance;
		st->seq_lost += ahead;
		return ahead;
	}
	if (ahead >= 0x80000000u && 0u - ahead <= reset_gap)
		return 0;	/* late or duplicate: keep expecting the newer one */
	st->seq_resets++;
	s->next = seq + advance;
	return 0;
}

uint32_t nfx_seq_sweep(struct nfx_seq_table *t, uint64_t now_ms, uint64_t ttl_ms)
{
	uint32_t removed = 0;

	for (uint32_t i = 0; i <= t->mask; i++) {
		/* re-check slot i after a shift moved another entry into it */
		while (t->slots[i].used && now_ms - t->slots[i].last_seen_ms > ttl_ms) {
			seq_remove_at(t, i);
			removed++;
		}
	}
	return removed;
}

uint32_t nfx_seq_count(const struct nfx_seq_table *t)
{
	return t->count;
}

void nfx_seq_foreach(const struct nfx_seq_table *t,
		     void (*fn)(void *ctx, const struct nfx_seq_saved *s), void *ctx)
{
	for (uint32_t i = 0; i <= t->mask; i++) {
		const struct seq_slot *s = &t->slots[i];

		if (s->used)
			fn(ctx, &(struct nfx_seq_saved){ s->key, s->last_seen_ms, s->next });
	}
}

int nfx_seq_restore(struct nfx_seq_table *t, const struct nfx_seq_saved *sv)
{
	struct nfx_dec_stats scratch;	/* a restore evicts, it does not count */
	struct seq_slot *s;
	int created;

	memset(&scratch, 0, sizeof(scratch));
	s = seq_find_or_add(t, &scratch, &sv->key, sv->last_seen_ms, &created);
	if (!s)
		return -ENOSPC;
	if (!created && s->last_seen_ms > sv->last_seen_ms)
		return 0;
	s->last_seen_ms = sv->last_seen_ms;
	s->next = sv->next;
	return 1;
}

void nfx_seq_domain_account(struct nfx_dom *dm, struct nfx_dec_stats *st, uint32_t seq,
			    uint32_t adv, uint32_t max_gap, uint32_t max_back)
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
