// SPDX-License-Identifier: BSD-2-Clause
/*
 * test_oaht.c - base/oaht.h: probe and backward-shift delete on a small
 * table, by hand across the table's end and in random streams against a
 * plain model (a flag per key), with the probing invariant checked after
 * every step; the mix's low bits spread sequential keys evenly.
 */
#include <stdint.h>
#include <string.h>

#include "base/oaht.h"
#include "check.h"

#define MAX_SLOTS	64
#define NKEYS		200

struct slot {
	uint32_t key;
	uint32_t hash;
	uint8_t used;
};

struct table {
	struct slot s[MAX_SLOTS];
	uint32_t mask;
	uint32_t n;
	/* the home a key gets: its hash */
	uint32_t (*hash_of)(const struct table *t, uint32_t key);
};

static int t_used(const void *t, uint32_t i)
{
	return ((const struct table *)t)->s[i].used;
}

static int t_match(const void *t, uint32_t i, const void *key)
{
	return ((const struct table *)t)->s[i].key == *(const uint32_t *)key;
}

static uint32_t t_hash(const void *t, uint32_t i)
{
	return ((const struct table *)t)->s[i].hash;
}

static void t_move(void *t, uint32_t to, uint32_t from)
{
	struct table *x = t;

	x->s[to] = x->s[from];
}

static const struct nfx_oaht_ops t_ops = {
	.used = t_used, .match = t_match, .hash = t_hash, .move = t_move,
};

static void t_init(struct table *t, uint32_t slots,
		   uint32_t (*hash_of)(const struct table *t, uint32_t key))
{
	memset(t, 0, sizeof(*t));
	t->mask = slots - 1;
	t->hash_of = hash_of;
}

/* The slot of key, or -1. */
static int t_find(const struct table *t, uint32_t key)
{
	int found;
	uint32_t i = nfx_oaht_probe(t, t->mask, t->hash_of(t, key), &t_ops, &key, &found);

	return found ? (int)i : -1;
}

/* Puts key (not in t) where a lookup finds it: the slot. */
static uint32_t t_put(struct table *t, uint32_t key)
{
	int found;
	uint32_t h = t->hash_of(t, key);
	uint32_t i = nfx_oaht_probe(t, t->mask, h, &t_ops, &key, &found);

	t->s[i] = (struct slot){ .key = key, .hash = h, .used = 1 };
	t->n++;
	return i;
}

static void t_del(struct table *t, uint32_t i)
{
	i = nfx_oaht_delete(t, t->mask, i, &t_ops);
	memset(&t->s[i], 0, sizeof(t->s[i]));
	t->n--;
}

/* Each entry is reached from its home without crossing a free slot. */
static int t_chains_ok(const struct table *t)
{
	for (uint32_t i = 0; i <= t->mask; i++) {
		if (!t->s[i].used)
			continue;
		for (uint32_t j = t->s[i].hash & t->mask; j != i; j = nfx_oaht_next(j, t->mask))
			if (!t->s[j].used)
				return 0;
	}
	return 1;
}

/* Hand-made homes: the key's low byte. */
static uint32_t home_is_key(const struct table *t, uint32_t key)
{
	return key & 0xff;
}

/* A home in the last 3 slots or the first 2: every chain crosses the end. */
static uint32_t home_near_end(const struct table *t, uint32_t key)
{
	return (t->mask - 2 + nfx_oaht_mix(key) % 5) & t->mask;
}

static uint32_t home_mixed(const struct table *t, uint32_t key)
{
	return (uint32_t)nfx_oaht_mix(key);
}

static uint64_t rng = 0x2545f4914f6cdd1dull;

static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 16);
}

/* A key whose home (home_is_key()) is home. */
#define K(id, home)	((uint32_t)(id) << 8 | (home))

static void test_delete_shifts_across_end(void)
{
	struct table t;

	/* slots 6, 7, 0, 1 of 8: A, B, C home 6; D home 7 */
	t_init(&t, 8, home_is_key);
	CHECK_EQ(t_put(&t, K(1, 6)), 6);
	CHECK_EQ(t_put(&t, K(2, 6)), 7);
	CHECK_EQ(t_put(&t, K(3, 6)), 0);
	CHECK_EQ(t_put(&t, K(4, 7)), 1);
	t_del(&t, 6);
	/* each moves back one slot, the one at 0 over the end to 7 */
	CHECK_EQ(t_find(&t, K(1, 6)), -1);
	CHECK_EQ(t_find(&t, K(2, 6)), 6);
	CHECK_EQ(t_find(&t, K(3, 6)), 7);
	CHECK_EQ(t_find(&t, K(4, 7)), 0);
	CHECK(!t.s[1].used, "slot 1 left empty");
	CHECK(t_chains_ok(&t), "chains broken");
}

static void test_delete_keeps_entries_at_home(void)
{
	struct table t;

	/* 6: A home 6, 7: B home 7, 0: C home 0, 1: D home 6 */
	t_init(&t, 8, home_is_key);
	t_put(&t, K(1, 6));
	t_put(&t, K(2, 7));
	t_put(&t, K(3, 0));
	CHECK_EQ(t_put(&t, K(4, 6)), 1);
	t_del(&t, 6);
	/* B and C may not pass their homes; D jumps over them back to 6 */
	CHECK_EQ(t_find(&t, K(2, 7)), 7);
	CHECK_EQ(t_find(&t, K(3, 0)), 0);
	CHECK_EQ(t_find(&t, K(4, 6)), 6);
	CHECK(!t.s[1].used, "slot 1 left empty");
	CHECK(t_chains_ok(&t), "chains broken");
}

static void test_probe_wraps_and_stops(void)
{
	struct table t;
	uint32_t k = K(9, 5);
	int found;

	t_init(&t, 8, home_is_key);
	t_put(&t, K(1, 7));
	t_put(&t, K(2, 7));
	/* a key homed at 7 that is absent ends its probe at the first free slot, 1 */
	CHECK_EQ(nfx_oaht_probe(&t, t.mask, 7, &t_ops, &k, &found), 1);
	CHECK_EQ(found, 0);
	CHECK_EQ(t_find(&t, K(2, 7)), 0);
	CHECK_EQ(nfx_oaht_slots(0), 16);
	CHECK_EQ(nfx_oaht_slots(17), 32);
	CHECK_EQ(nfx_oaht_slots(1u << 20), 1u << 20);
}

/* Random insert, delete and lookup; at most `fill` of `slots` in use. */
static int random_stream(uint32_t slots, uint32_t fill, unsigned int steps,
			 uint32_t (*hash_of)(const struct table *t, uint32_t key))
{
	static uint8_t in[NKEYS];
	struct table t;
	int bad = 0, i;

	t_init(&t, slots, hash_of);
	memset(in, 0, sizeof(in));
	for (unsigned int n = 0; n < steps && bad < 5; n++) {
		uint32_t key = rnd() % NKEYS, op = rnd() % 3;

		i = t_find(&t, key);
		if ((i >= 0) != in[key]) {
			CHECK(0, "step %u: key %u %s", n, key, in[key] ? "lost" : "found, never put");
			bad++;
			continue;
		}
		if (op == 0 && !in[key] && t.n < fill) {
			t_put(&t, key);
			in[key] = 1;
		} else if (op == 1 && in[key]) {
			t_del(&t, (uint32_t)i);
			in[key] = 0;
		}
		if (!t_chains_ok(&t)) {
			CHECK(0, "step %u: an entry is cut off from its home", n);
			bad++;
		}
	}
	for (uint32_t k = 0; k < NKEYS; k++)
		if ((t_find(&t, k) >= 0) != in[k])
			bad++;
	return bad;
}

static void test_random_against_model(void)
{
	/* full but one slot, clustered at the end, many shifts over it */
	CHECK_EQ(random_stream(16, 15, 200000, home_near_end), 0);
	CHECK_EQ(random_stream(32, 24, 200000, home_near_end), 0);
	CHECK_EQ(random_stream(64, 63, 200000, home_mixed), 0);
	CHECK_EQ(random_stream(64, 32, 200000, home_mixed), 0);
}

/* Sequential keys (ports, counters) spread over a table's low bits. */
static void test_mix_spreads_low_bits(void)
{
	static uint32_t bucket[256];
	uint32_t lo = UINT32_MAX, hi = 0;

	for (uint64_t k = 0; k < 65536; k++)
		bucket[nfx_oaht_mix(k) & 255]++;
	for (int b = 0; b < 256; b++) {
		lo = bucket[b] < lo ? bucket[b] : lo;
		hi = bucket[b] > hi ? bucket[b] : hi;
	}
	/* 256 expected in each, a standard deviation of 16 */
	CHECK(lo > 160 && hi < 352, "buckets from %u to %u", lo, hi);
	CHECK_EQ(nfx_oaht_mix(0), 0);
}

int main(void)
{
	RUN_TEST(test_delete_shifts_across_end);
	RUN_TEST(test_delete_keeps_entries_at_home);
	RUN_TEST(test_probe_wraps_and_stops);
	RUN_TEST(test_random_against_model);
	RUN_TEST(test_mix_spreads_low_bits);
	CHECK_EXIT();
}
