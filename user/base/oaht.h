/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * oaht.h - what every open-addressed table of the daemon shares: the hash
 * mix, the probe and the backward-shift delete, for tables of a power of
 * two slots with linear probing.
 *
 * The tables keep their own slot layouts (an index of packed words, a
 * strided array with a byte of tag per slot, an array of structs): each
 * describes its slots to these helpers with a struct nfx_oaht_ops of
 * small static functions.  The helpers are always inlined and the ops
 * are static const, so the compiler calls no function pointer: the
 * callbacks are inlined into each table's own loop, as if written there.
 *
 * Deletion shifts later entries of the cluster back into the hole rather
 * than leaving a tombstone, so deletes never lengthen probe chains.
 */
#ifndef NFX_OAHT_H
#define NFX_OAHT_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#define NFX_OAHT_INLINE	static inline __attribute__((always_inline))

/*
 * How a table's slots are read and written.  @tab is the table (or
 * whatever holds it), @i a slot number, @key what the caller looks for.
 */
struct nfx_oaht_ops {
	/* Slot i holds an entry. */
	int (*used)(const void *tab, uint32_t i);
	/* The used slot i holds the entry key names. */
	int (*match)(const void *tab, uint32_t i, const void *key);
	/* The hash the entry at used slot i was placed by (its home: hash & mask). */
	uint32_t (*hash)(const void *tab, uint32_t i);
	/* Copies the entry at slot from over slot to (from is then overwritten or emptied). */
	void (*move)(void *tab, uint32_t to, uint32_t from);
};

/*
 * The mix that ends a hash: a bijection of 64 bits in which every input
 * bit moves about half of the output bits, so the low bits a table masks
 * are as good as the high ones.  It is the aggregator's own: its exporter
 * listing walks its table in slot order, so another mix would reorder it.
 */
NFX_OAHT_INLINE uint64_t nfx_oaht_mix(uint64_t x)
{
	x ^= x >> 31;
	x *= 0x7fb5d329728ea185ull;
	x ^= x >> 27;
	x *= 0x81dadef4bc2dd44dull;
	return x ^ (x >> 33);
}

/*
 * One 64-bit word into a running hash (h = seed, a step per word of the
 * key, then nfx_oaht_mix()).  Cheap, not keyed: a table whose keys an
 * attacker picks mixes its secret in with nfx_oaht_mix() instead.
 */
NFX_OAHT_INLINE uint64_t nfx_oaht_step(uint64_t h, uint64_t w)
{
	h = (h ^ w) * 0x9e3779b97f4a7c15ull;
	return (h << 29) | (h >> 35);
}

/* The slot after i, the table's end wrapping to its start. */
NFX_OAHT_INLINE uint32_t nfx_oaht_next(uint32_t i, uint32_t mask)
{
	return (i + 1) & mask;
}

/* The smallest power of two slots, at least 16, that holds n. */
NFX_OAHT_INLINE uint32_t nfx_oaht_slots(uint64_t n)
{
	uint64_t p = 16;

	while (p < n)
		p <<= 1;
	return (uint32_t)p;
}

/*
 * The zeroed slots of a table for at most @max entries at a load factor of
 * at most 1/2 (short probe chains), *mask set; NULL with errno when @max
 * is above @limit or memory is short.
 */
static inline void *nfx_oaht_calloc(uint32_t max, uint32_t limit, size_t slot_size,
				    uint32_t *mask)
{
	uint32_t cap = nfx_oaht_slots((uint64_t)max * 2);
	void *slots;

	if (max > limit) {
		errno = EINVAL;
		return NULL;
	}
	slots = calloc(cap, slot_size);
	if (slots)
		*mask = cap - 1;
	return slots;
}

/*
 * Linear probe from hash's home: the slot holding what @key names
 * (*found = 1), or the free slot that ends the chain, where it would go
 * (*found = 0).  Without ops->match, the first free slot.  The table must
 * have a free slot.
 */
NFX_OAHT_INLINE uint32_t nfx_oaht_probe(const void *tab, uint32_t mask, uint32_t hash,
					const struct nfx_oaht_ops *ops, const void *key,
					int *found)
{
	uint32_t i;

	for (i = hash & mask; ops->used(tab, i); i = nfx_oaht_next(i, mask)) {
		if (ops->match && ops->match(tab, i, key)) {
			*found = 1;
			return i;
		}
	}
	*found = 0;
	return i;
}

/*
 * Backward-shift delete of the entry at slot @hole: each later entry of
 * the cluster whose home is not cyclically in (hole, j] moves back into
 * the hole, which then moves to where it came from.
 *
 * @return the slot left empty (the deleted entry's, or the last one moved
 *         out of); the caller clears it, and frees what the deleted entry
 *         owned before the call.
 */
NFX_OAHT_INLINE uint32_t nfx_oaht_delete(void *tab, uint32_t mask, uint32_t hole,
					 const struct nfx_oaht_ops *ops)
{
	uint32_t j = hole, home;

	for (;;) {
		j = nfx_oaht_next(j, mask);
		if (!ops->used(tab, j))
			return hole;
		home = ops->hash(tab, j) & mask;
		/* distance home..j against hole..j: the entry may not pass its home */
		if (((j - home) & mask) < ((j - hole) & mask))
			continue;
		ops->move(tab, hole, j);
		hole = j;
	}
}

#endif /* NFX_OAHT_H */
