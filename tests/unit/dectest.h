/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dectest.h - what the v9 and IPFIX decoder tests share: a decoder with the
 * bounds they vary, their exporter, and the one outcome a decode may have.
 */
#ifndef NFX_DECTEST_H
#define NFX_DECTEST_H

#include <errno.h>

#include "check.h"
#include "decode/decode.h"

/* The export time of the messages the tests build. */
#define DT_EXPORT_SECS	1795290000u

static inline struct nfx_decoder *dec_new(uint32_t max_templates, int addr_only)
{
	struct nfx_decoder_opts o = { .max_templates = max_templates,
				      .template_scope_addr_only = addr_only };

	return nfx_decoder_new(&o);
}

/* The exporter 10.201.9.1 sending from @port, received at the export time. */
static inline struct nfx_src src4(uint16_t port)
{
	struct nfx_src s = { .port = port, .now_ms = (uint64_t)DT_EXPORT_SECS * 1000 };
	static const uint8_t a[4] = { 10, 201, 9, 1 };

	nfx_addr_set_v4(&s.addr, a);
	return s;
}

/*
 * A decode returns the records it emitted (@emitted reached the sink), or
 * -EINVAL for a message dropped whole: nothing emitted, one more dropped in
 * @slot than @dropped_before.
 */
static inline void dt_check_outcome(const struct nfx_decoder *d, unsigned int slot, int r,
				    unsigned int emitted, uint64_t dropped_before)
{
	if (r < 0) {
		CHECK_EQ(r, -EINVAL);
		CHECK_EQ(emitted, 0);
		CHECK_EQ(d->stats.dropped[slot], dropped_before + 1);
	} else {
		CHECK_EQ(r, emitted);
		CHECK_EQ(d->stats.dropped[slot], dropped_before);
	}
}

#endif /* NFX_DECTEST_H */
