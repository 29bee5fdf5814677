// SPDX-License-Identifier: BSD-2-Clause
/*
 * times.c - start and end checked once per record, after every encoding
 * has been read (times.h).
 */
#include "decode/times.h"

static int time_ok(uint64_t t, uint64_t boot_ms)
{
	return t && (!boot_ms || t + NFX_BOOT_SLACK_MS >= boot_ms);
}

int nfx_times_settle(struct nfx_flow *f, uint64_t export_ms, uint64_t boot_ms)
{
	int s_ok = (f->present & NFX_F_START) && time_ok(f->start_ms, boot_ms);
	int e_ok = (f->present & NFX_F_END) && time_ok(f->end_ms, boot_ms);

	if (s_ok && e_ok)
		return 0;
	if (!s_ok)
		f->start_ms = e_ok ? f->end_ms : export_ms;
	if (!e_ok)
		f->end_ms = s_ok ? f->start_ms : export_ms;
	f->present |= NFX_F_START | NFX_F_END;
	return 1;
}
