/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * record.h - a flow record as every sink receives it: the decoded (or
 * aggregated) flow, the namespace and flush time routing gave it, and what
 * the enrichment stage attached.  Enrichment runs once, before the fan-out,
 * so the NDJSON line and the ClickHouse row of one record carry the same
 * names and mapped fields.
 */
#ifndef NFX_RECORD_H
#define NFX_RECORD_H

#include <stdint.h>

#include "base/fieldmap.h"
#include "base/flow.h"

/* What enrichment attached; everything NULL/0 when it is off. */
struct nfx_enriched {
	const char *src_name;		/* reverse DNS name, JSON-safe; NULL = none */
	const char *dst_name;
	/* the table f->extra[].map indexes: mapped fields are written with its keys */
	const struct nfx_fieldmap *maps;
	unsigned int nmaps;
};

struct nfx_record {
	const struct nfx_flow *flow;
	const char *ns;			/* device.namespace, unescaped */
	uint64_t flush_ms;		/* flush_timestamp */
	const struct nfx_enriched *x;	/* never NULL */
};

/* A sink: takes records, never blocks (a sink that cannot keep up drops and counts). */
typedef void (*nfx_record_fn)(void *ctx, const struct nfx_record *r);

#endif /* NFX_RECORD_H */
