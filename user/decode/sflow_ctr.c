// SPDX-License-Identifier: BSD-2-Clause
/*
 * sflow_ctr.c - the sFlow interface counter store (sflow_ctr.h): an
 * open-addressed table (linear probing, backward-shift deletion:
 * base/oaht.h) of at most max_ifs entries, allocated once.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/oaht.h"
#include "decode/sflow_ctr.h"

#define SFLOW_CTR_DEFAULT	4096
#define SFLOW_CTR_MAX		(1u << 20)

struct ctr_slot {
	struct nfx_sflow_if e;
	uint8_t used;
};

struct nfx_sflow_ctr {
	struct ctr_slot *slots;
	uint32_t mask;			/* capacity - 1, capacity a power of two */
	uint32_t count;
	uint32_t max;
};

static uint32_t key_hash(const struct nfx_addr *agent, uint32_t if_index)
{
	uint64_t w0, w1;

	memcpy(&w0, agent->b, 8);
	memcpy(&w1, agent->b + 8, 8);
	return (uint32_t)nfx_oaht_mix(nfx_oaht_step(nfx_oaht_step(nfx_oaht_step(0, w0), w1),
						    if_index));
}

struct ctr_key {
	const struct nfx_addr *agent;
	uint32_t if_index;
};

static int slot_used(const void *t, uint32_t i)
{
	return ((const struct nfx_sflow_ctr *)t)->slots[i].used;
}

static int slot_match(const void *t, uint32_t i, const void *key)
{
	const struct nfx_sflow_if *e = &((const struct nfx_sflow_ctr *)t)->slots[i].e;
	const struct ctr_key *k = key;

	return e->if_index == k->if_index && !memcmp(&e->agent, k->agent, sizeof(e->agent));
}

static uint32_t slot_hash(const void *t, uint32_t i)
{
	const struct nfx_sflow_if *e = &((const struct nfx_sflow_ctr *)t)->slots[i].e;

	return key_hash(&e->agent, e->if_index);
}

static void slot_move(void *t, uint32_t to, uint32_t from)
{
	struct nfx_sflow_ctr *s = t;

	s->slots[to] = s->slots[from];
}

static const struct nfx_oaht_ops slot_ops = {
	.used = slot_used, .match = slot_match, .hash = slot_hash, .move = slot_move,
};

struct nfx_sflow_ctr *nfx_sflow_ctr_new(uint32_t max_ifs)
{
	struct nfx_sflow_ctr *s;
	uint32_t cap;

	if (!max_ifs)
		max_ifs = SFLOW_CTR_DEFAULT;
	if (max_ifs > SFLOW_CTR_MAX) {
		errno = EINVAL;
		return NULL;
	}
	/* load factor at most 1/2 keeps probe chains short */
	cap = nfx_oaht_slots((uint64_t)max_ifs * 2);
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->slots = calloc(cap, sizeof(*s->slots));
	if (!s->slots) {
		free(s);
		return NULL;
	}
	s->mask = cap - 1;
	s->max = max_ifs;
	return s;
}

void nfx_sflow_ctr_free(struct nfx_sflow_ctr *s)
{
	if (!s)
		return;
	free(s->slots);
	free(s);
}

struct nfx_sflow_if *nfx_sflow_ctr_get(struct nfx_sflow_ctr *s, const struct nfx_addr *agent,
				       uint32_t if_index)
{
	struct ctr_key k = { agent, if_index };
	struct ctr_slot *sl;
	uint32_t i;
	int found;

	i = nfx_oaht_probe(s, s->mask, key_hash(agent, if_index), &slot_ops, &k, &found);
	sl = &s->slots[i];
	if (found)
		return &sl->e;
	if (s->count >= s->max)
		return NULL;
	memset(sl, 0, sizeof(*sl));
	sl->used = 1;
	sl->e.agent = *agent;
	sl->e.if_index = if_index;
	s->count++;
	return &sl->e;
}

uint32_t nfx_sflow_ctr_sweep(struct nfx_sflow_ctr *s, uint64_t now_ms, uint64_t ttl_ms)
{
	uint32_t removed = 0, i, hole;

	for (i = 0; i <= s->mask; i++) {
		/* re-check slot i after a shift moved another entry into it */
		while (s->slots[i].used && now_ms - s->slots[i].e.updated_ms > ttl_ms) {
			hole = nfx_oaht_delete(s, s->mask, i, &slot_ops);
			s->slots[hole].used = 0;
			s->count--;
			removed++;
		}
	}
	return removed;
}

uint32_t nfx_sflow_ctr_count(const struct nfx_sflow_ctr *s)
{
	return s->count;
}

void nfx_sflow_ctr_foreach(const struct nfx_sflow_ctr *s,
			   void (*fn)(void *ctx, const struct nfx_sflow_if *e), void *ctx)
{
	for (uint32_t i = 0; i <= s->mask; i++)
		if (s->slots[i].used)
			fn(ctx, &s->slots[i].e);
}
