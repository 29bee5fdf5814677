// SPDX-License-Identifier: BSD-2-Clause
/*
 * enrich.c - the enrichment stage (enrich.h): reverse DNS names from the
 * shared resolver's cache, the mapping table as it is.  A name not cached
 * yet is asked for and the record goes without it; nothing here waits.
 */
#include "enrich/enrich.h"

void nfx_enrich_prefetch(struct nfx_enricher *e, const struct nfx_flow *f, uint64_t now_ms)
{
	if (!e->rdns)
		return;
	nfx_rdns_prefetch(e->rdns, &f->src, now_ms);
	nfx_rdns_prefetch(e->rdns, &f->dst, now_ms);
}

void nfx_enrich(struct nfx_enricher *e, const struct nfx_flow *f, uint64_t now_ms,
		struct nfx_enriched *out)
{
	out->maps = e->maps;
	out->nmaps = e->nmaps;
	out->src_name = NULL;
	out->dst_name = NULL;
	if (!e->rdns)
		return;
	out->src_name = nfx_rdns_lookup(e->rdns, &f->src, now_ms, e->src_name);
	out->dst_name = nfx_rdns_lookup(e->rdns, &f->dst, now_ms, e->dst_name);
}
