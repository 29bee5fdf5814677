/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * sink.h - the fan-out: every record goes to each sink in turn (the NDJSON
 * writer, ClickHouse).  A sink shared by several worker threads locks
 * itself; none blocks, so one slow sink costs the others nothing.
 */
#ifndef NFX_SINK_H
#define NFX_SINK_H

#include <errno.h>

#include "base/record.h"

#define NFX_SINKS_MAX	4

struct nfx_sinks {
	struct {
		nfx_record_fn write;
		void *ctx;
	} v[NFX_SINKS_MAX];
	unsigned int n;
};

static inline int nfx_sinks_add(struct nfx_sinks *s, nfx_record_fn write, void *ctx)
{
	if (s->n == NFX_SINKS_MAX)
		return -E2BIG;
	s->v[s->n].write = write;
	s->v[s->n].ctx = ctx;
	s->n++;
	return 0;
}

static inline void nfx_sinks_write(const struct nfx_sinks *s, const struct nfx_record *r)
{
	for (unsigned int i = 0; i < s->n; i++)
		s->v[i].write(s->v[i].ctx, r);
}

#endif /* NFX_SINK_H */
