/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * wire.h - reading export messages off the wire: big-endian loads and the
 * sysUptime arithmetic that v5/v9 times need.  Header-only, so each load
 * inlines into the decoder loops.
 */
#ifndef NFX_WIRE_H
#define NFX_WIRE_H

#include <stdint.h>

/* Big-endian readers; callers check bounds first. */
static inline uint16_t nfx_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t nfx_get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline uint64_t nfx_get64(const uint8_t *p)
{
	return (uint64_t)nfx_get32(p) << 32 | nfx_get32(p + 4);
}

/*
 * Uptime-relative time to epoch ms.  Both uptimes are 32-bit ms counters
 * that wrap every ~49.7 days; the unsigned difference is right across the
 * wrap as long as the flow started less than one wrap before the export.
 * An age beyond the export time itself (a header without a clock) gives 0,
 * which the decoders replace (decode/times.h).
 */
static inline uint64_t nfx_uptime_to_epoch_ms(uint64_t export_ms, uint32_t sys_uptime,
					      uint32_t t)
{
	uint32_t age = sys_uptime - t;

	/* Some exporters stamp flows a little after the header: treat as 0 age. */
	if (age > 0x80000000u)
		return export_ms + (uint32_t)(t - sys_uptime);
	return age > export_ms ? 0 : export_ms - age;
}

#endif /* NFX_WIRE_H */
