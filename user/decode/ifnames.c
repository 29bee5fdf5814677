// SPDX-License-Identifier: BSD-2-Clause
/*
 * ifnames.c - the interface name table (ifnames.h): open-addressed
 * (linear probing, backward-shift deletion: base/oaht.h), at most max
 * entries, allocated once.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/oaht.h"
#include "decode/ifnames.h"

#define IFNAMES_DEFAULT	16384
#define IFNAMES_MAX	(1u << 20)

struct ifn_slot {
	struct nfx_addr exporter;
	uint32_t if_index;
	uint8_t used;
	uint64_t set_ms;
	char name[NFX_IFNAME_LEN];
};

struct nfx_ifnames {
	struct ifn_slot *slots;
	uint32_t mask;			/* capacity - 1, capacity a power of two */
	uint32_t count;
	uint32_t max;
};

struct ifn_key {
	const struct nfx_addr *exporter;
	uint32_t if_index;
};

static uint32_t key_hash(const struct nfx_addr *a, uint32_t if_index)
{
	uint64_t w0, w1;

	memcpy(&w0, a->b, 8);
	memcpy(&w1, a->b + 8, 8);
	return (uint32_t)nfx_oaht_mix(nfx_oaht_step(nfx_oaht_step(nfx_oaht_step(1, w0), w1),
						    if_index));
}

static int ifn_used(const void *t, uint32_t i)
{
	return ((const struct nfx_ifnames *)t)->slots[i].used;
}

static int ifn_match(const void *t, uint32_t i, const void *key)
{
	const struct ifn_slot *s = &((const struct nfx_ifnames *)t)->slots[i];
	const struct ifn_key *k = key;

	return s->if_index == k->if_index && !memcmp(&s->exporter, k->exporter, sizeof(s->exporter));
}

static uint32_t ifn_hash(const void *t, uint32_t i)
{
	const struct ifn_slot *s = &((const struct nfx_ifnames *)t)->slots[i];

	return key_hash(&s->exporter, s->if_index);
}

static void ifn_move(void *t, uint32_t to, uint32_t from)
{
	struct nfx_ifnames *n = t;

	n->slots[to] = n->slots[from];
}

static const struct nfx_oaht_ops ifn_ops = {
	.used = ifn_used, .match = ifn_match, .hash = ifn_hash, .move = ifn_move,
};

struct nfx_ifnames *nfx_ifnames_new(uint32_t max)
{
	struct nfx_ifnames *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->max = max ? max : IFNAMES_DEFAULT;
	t->slots = nfx_oaht_calloc(t->max, IFNAMES_MAX, sizeof(*t->slots), &t->mask);
	if (!t->slots) {
		free(t);
		return NULL;
	}
	return t;
}

void nfx_ifnames_free(struct nfx_ifnames *t)
{
	if (!t)
		return;
	free(t->slots);
	free(t);
}

int nfx_ifnames_set(struct nfx_ifnames *t, const struct nfx_addr *exporter, uint32_t if_index,
		    const uint8_t *name, unsigned int len, uint64_t now_ms)
{
	struct ifn_key k = { exporter, if_index };
	struct ifn_slot *s;
	unsigned int n = 0;
	int found;

	s = &t->slots[nfx_oaht_probe(t, t->mask, key_hash(exporter, if_index), &ifn_ops, &k,
				     &found)];
	if (!found) {
		if (t->count >= t->max)
			return -ENOSPC;
		s->used = 1;
		s->exporter = *exporter;
		s->if_index = if_index;
		t->count++;
	}
	while (n < len && n < NFX_IFNAME_LEN - 1 && name[n])
		n++;
	memcpy(s->name, name, n);
	s->name[n] = '\0';
	s->set_ms = now_ms;
	return 0;
}

const char *nfx_ifnames_get(const struct nfx_ifnames *t, const struct nfx_addr *exporter,
			    uint32_t if_index)
{
	struct ifn_key k = { exporter, if_index };
	uint32_t i;
	int found;

	if (!t->count)
		return NULL;
	i = nfx_oaht_probe(t, t->mask, key_hash(exporter, if_index), &ifn_ops, &k, &found);
	return found ? t->slots[i].name : NULL;
}

uint32_t nfx_ifnames_sweep(struct nfx_ifnames *t, uint64_t now_ms, uint64_t ttl_ms)
{
	uint32_t removed = 0, hole;

	for (uint32_t i = 0; i <= t->mask; i++) {
		/* re-check slot i after a shift moved another entry into it */
		while (t->slots[i].used && now_ms - t->slots[i].set_ms > ttl_ms) {
			hole = nfx_oaht_delete(t, t->mask, i, &ifn_ops);
			t->slots[hole].used = 0;
			t->count--;
			removed++;
		}
	}
	return removed;
}

uint32_t nfx_ifnames_count(const struct nfx_ifnames *t)
{
	return t->count;
}
