// SPDX-License-Identifier: BSD-2-Clause
/*
 * fuzz_decode.c - libFuzzer target for every decoder.  FUZZ_VERSION picks
 * the decoder (1, 5, 6, 7, 9, 10: the first two bytes are forced to that
 * version so the fuzzer spends its time past the dispatch), 0 feeds the
 * dispatcher as is.  The decoder lives across inputs, so template state
 * learned from one input is used by the next, as with a real exporter.
 * The first byte also picks one of four exporters to spread that state.
 */
#include <stdlib.h>
#include <string.h>

#include "decode.h"

#ifndef FUZZ_VERSION
#define FUZZ_VERSION 0
#endif

static struct nfx_decoder *dec;
static uint64_t sink_bytes;

static void sink_emit(void *ctx, const struct nfx_flow *f)
{
	/* touch the record so that uninitialised or bogus fields get noticed */
	sink_bytes += f->bytes + f->packets + f->src.b[15] + f->start_ms;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t buf[65536];
	const struct nfx_sink sink = { sink_emit, NULL };
	struct nfx_src src = { .port = 2055, .now_ms = 1700000000000ull };

	if (!dec) {
		struct nfx_decoder_opts o = { .max_templates = 64, .max_sessions = 16 };

		dec = nfx_decoder_new(&o);
		if (!dec)
			abort();
	}
	if (size < 1 || size > sizeof(buf) + 1)
		return 0;
	src.addr.b[15] = data[0] & 3;
	src.now_ms += data[0];
	size--;
	memcpy(buf, data + 1, size);
	if (FUZZ_VERSION && size >= 2) {
		buf[0] = 0;
		buf[1] = FUZZ_VERSION;
	}
	/* an exact-size heap copy lets ASan catch a read one past the end */
	uint8_t *msg = malloc(size ? size : 1);

	memcpy(msg, buf, size);
	nfx_decode(dec, &src, msg, size, &sink);
	free(msg);
	/* sweep now and then so the TTL path is fuzzed too */
	if ((data[0] & 0xf0) == 0xf0)
		nfx_decoder_sweep(dec, src.now_ms + 3600000, 60000);
	return 0;
}
