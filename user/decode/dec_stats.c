// SPDX-License-Identifier: BSD-2-Clause
/*
 * dec_stats.c - the decoder's counters summed and reported, both by
 * expanding the one list in dec_stats.h.
 */
#include "base/flow.h"
#include "decode/dec_stats.h"

static const char *const slot_names[NFX_SLOT_MAX] = {
#define X(slot, name) [slot] = #name,
	NFX_SLOTS(X)
#undef X
};

const char *nfx_slot_name(unsigned int slot)
{
	return slot < NFX_SLOT_MAX ? slot_names[slot] : "?";
}

void nfx_dec_stats_add(struct nfx_dec_stats *to, const struct nfx_dec_stats *from)
{
	_Static_assert(sizeof(*to) % sizeof(uint64_t) == 0, "nfx_dec_stats: uint64_t only");
	nfx_counters_add((uint64_t *)to, (const uint64_t *)from, sizeof(*to) / sizeof(uint64_t));
}

void nfx_dec_stats_print(FILE *f, const struct nfx_dec_stats *s, int json)
{
	const char *sep = "";

	if (!json) {
		fprintf(f, "%-6s %12s %12s %12s\n", "slot", "packets", "records", "dropped");
		for (int i = 0; i < NFX_SLOT_MAX; i++)
			fprintf(f, "%-6s %12llu %12llu %12llu\n", slot_names[i],
				(unsigned long long)s->packets[i],
				(unsigned long long)s->records[i],
				(unsigned long long)s->dropped[i]);
#define X(name, help) fprintf(f, "%-20s %llu\n", #name, (unsigned long long)s->name);
		NFX_DEC_COUNTERS(X)
#undef X
		return;
	}
	fputs("{", f);
	for (int i = 0; i < NFX_SLOT_MAX; i++) {
		fprintf(f, "%s\"%s\":{\"packets\":%llu,\"records\":%llu,\"dropped\":%llu}", sep,
			slot_names[i], (unsigned long long)s->packets[i],
			(unsigned long long)s->records[i], (unsigned long long)s->dropped[i]);
		sep = ",";
	}
#define X(name, help) fprintf(f, ",\"%s\":%llu", #name, (unsigned long long)s->name);
	NFX_DEC_COUNTERS(X)
#undef X
	fputs("}\n", f);
}
