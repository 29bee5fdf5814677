/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * times.h - the last word on a record's start and end.  Whatever encoding
 * the exporter used (ie.h reads them all, dataset.c and legacy.c make the
 * relative ones absolute), a record leaves the decoder with both times set,
 * neither 0 nor before the exporter's boot where the boot is known.  A time
 * that is absent, 0, unreadable or too early is taken from the other one
 * when that one is good, else from the export time of the message, and the
 * record is counted (time_fallback).
 */
#ifndef NFX_TIMES_H
#define NFX_TIMES_H

#include <stdint.h>

#include "base/flow.h"

/*
 * Exporter clocks and uptimes are read at different instants and v9/v5
 * headers give the export time in whole seconds: a time this much before
 * the computed boot is still taken as after it.
 */
#define NFX_BOOT_SLACK_MS	1000

/**
 * nfx_times_settle() - check and complete @f's start and end.
 * @export_ms: export time of the message (never 0: see nfx_export_ms())
 * @boot_ms: the exporter's boot in ms since the epoch, 0 when unknown
 * @return 1 when a time was filled in (the caller counts it), else 0.
 */
int nfx_times_settle(struct nfx_flow *f, uint64_t export_ms, uint64_t boot_ms);

/*
 * The export time a message gives, or @now_ms (its reception) when the
 * header says 0: exporters without a clock send that, and every relative
 * time and fallback is measured from it.
 */
static inline uint64_t nfx_export_ms(uint64_t header_ms, uint64_t now_ms)
{
	return header_ms ? header_ms : now_ms;
}

#endif /* NFX_TIMES_H */
