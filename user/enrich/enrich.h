/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * enrich.h - the enrichment stage: what a record carries beyond the decoded
 * flow, attached once, after routing and aggregation and before the fan-out
 * to the sinks, so that every sink writes the same record.  Today: the
 * reverse DNS names of both endpoints and the table that gives the mapped
 * (additional) fields their keys and types.
 *
 * One enricher per worker: it holds the name buffers of the record being
 * written.  The resolver behind it is shared by every worker (enrich/rdns.h
 * locks itself), the mapping table is the daemon's and changes only with the
 * workers stopped.
 */
#ifndef NFX_ENRICH_H
#define NFX_ENRICH_H

#include <stdint.h>

#include "base/record.h"
#include "enrich/rdns.h"

struct nfx_enricher {
	struct nfx_rdns *rdns;			/* NULL: no names */
	const struct nfx_fieldmap *maps;	/* the listeners' mappings */
	unsigned int nmaps;
	char src_name[NFX_RDNS_NAME_MAX + 1];
	char dst_name[NFX_RDNS_NAME_MAX + 1];
};

/*
 * A flow was decoded and goes into an aggregator: ask for its endpoints'
 * names now, so that its first flush, a flush interval later, has them.
 */
void nfx_enrich_prefetch(struct nfx_enricher *e, const struct nfx_flow *f, uint64_t now_ms);

/*
 * What enrichment attaches to @f into @out; the names stay valid until the
 * next call on @e.
 */
void nfx_enrich(struct nfx_enricher *e, const struct nfx_flow *f, uint64_t now_ms,
		struct nfx_enriched *out);

#endif /* NFX_ENRICH_H */
