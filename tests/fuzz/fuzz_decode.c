// SPDX-License-Identifier: BSD-2-Clause
/*
 * fuzz_decode.c - libFuzzer target for every decoder.  FUZZ_VERSION picks
 * the decoder (1, 5, 6, 7, 9, 10: the first two bytes of every message are
 * forced to that version so the fuzzer spends its time past the dispatch;
 * NFX_SFLOW_VERSION (16): the first four are sFlow's 32-bit version 5),
 * 0 feeds the dispatcher as is.
 *
 * Input: one selector byte, then one or more export messages separated by
 * FUZZ_SEP.  The messages of one input share the decoder state, as those
 * of a real exporter do; after the input a sweep far in the future expires
 * all of it, so that a crash needing state (a template, a sequence session)
 * reproduces from its one file.  (A new decoder per input would be cleaner
 * but costs most of the run time: its tables are allocated up front.)
 * Selector: bits 0-1 pick one of four exporters, bit 2 makes the messages
 * alternate between two exporters, bit 3 makes them alternate between two
 * decoders (two workers), bits 4-7 all set sweep the caches between
 * messages (the TTL path).  A message one decoder would share (templates,
 * options data) is replayed into the other (nfx_decode_replay()).
 */
#include <stdlib.h>
#include <string.h>

#include "decode/decode.h"
#include "decode/sflow_ctr.h"

#ifndef FUZZ_VERSION
#define FUZZ_VERSION 0
#endif

/* Message separator; in the dictionaries too. */
#define FUZZ_SEP	"\xff" "NFX"
#define FUZZ_SEP_LEN	4

static uint64_t sink_sum;
static int sink_count;

static void sink_emit(void *ctx, const struct nfx_flow *f)
{
	/* read the record, so that uninitialised fields reach a sanitizer */
	sink_sum += f->bytes + f->packets + f->src.b[15] + f->start_ms;
	sink_count++;
}

static const uint8_t *next_sep(const uint8_t *p, const uint8_t *end)
{
	const uint8_t *q = memmem(p, end - p, FUZZ_SEP, FUZZ_SEP_LEN);

	return q ? q : end;
}

static void decode_one(struct nfx_decoder *dec, struct nfx_decoder *peer,
		       const struct nfx_src *src, const uint8_t *p, size_t len)
{
	const struct nfx_sink sink = { sink_emit, NULL };
	/* an exact-size heap copy lets ASan catch a read one past the end */
	uint8_t *msg = malloc(len ? len : 1);
	int ret;

	if (!msg)
		abort();
	memcpy(msg, p, len);
	if (FUZZ_VERSION == NFX_SFLOW_VERSION && len >= 4) {
		memset(msg, 0, 3);
		msg[3] = 5;
	} else if (FUZZ_VERSION && FUZZ_VERSION != NFX_SFLOW_VERSION && len >= 2) {
		msg[0] = 0;
		msg[1] = FUZZ_VERSION;
	}
	sink_count = 0;
	ret = nfx_decode(dec, src, msg, len, &sink);
	/* the contract in decode.h: records emitted, or -EINVAL */
	if (ret >= 0 && ret != sink_count)
		abort();
	if (dec->control_seen)
		nfx_decode_replay(peer, src, msg, len, &sink);
	free(msg);
}

/* Read every sFlow interface counter set held, as a metrics reader would. */
static void ctr_read(void *ctx, const struct nfx_sflow_if *e)
{
	*(uint64_t *)ctx += e->if_index + e->gen.in_octets + e->eth.symbol_errors + e->updated_ms;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* small bounds: cheap to set up per input, and the limits get hit */
	static const struct nfx_decoder_opts o = {
		.max_templates = 64, .max_sessions = 16, .max_exporters = 8,
		.pending_bytes_per_exporter = 4096, .pending_total_bytes = 16384,
		.max_sflow_interfaces = 8,
	};
	struct nfx_src src = { .port = 2055, .now_ms = 1700000000000ull };
	const uint8_t *p, *q, *end = data + size;
	static struct nfx_decoder *dec, *peer;
	unsigned int sel, i;

	if (size < 1)
		return 0;
	sel = data[0];
	if (!dec) {
		dec = nfx_decoder_new(&o);
		peer = nfx_decoder_new(&o);
	}
	if (!dec || !peer)
		abort();
	src.now_ms += sel;
	for (p = data + 1, i = 0; p <= end; p = q + FUZZ_SEP_LEN, i++) {
		q = next_sep(p, end);
		src.addr.b[15] = (sel + ((sel & 4) ? i : 0)) & 3;
		if ((sel & 8) && i % 2)
			decode_one(peer, dec, &src, p, q - p);
		else
			decode_one(dec, peer, &src, p, q - p);
		if ((sel & 0xf0) == 0xf0) {
			nfx_decoder_sweep(dec, src.now_ms + 3600000, 60000);
			nfx_decoder_sweep(peer, src.now_ms + 3600000, 60000);
		}
		src.now_ms += 1000;
		if (q == end)
			break;
	}
	nfx_sflow_ctr_foreach(dec->sfctr, ctr_read, &sink_sum);
	/* forget everything: idle for ten days, TTL 0 */
	nfx_decoder_sweep(dec, src.now_ms + 864000000ull, 0);
	nfx_decoder_sweep(peer, src.now_ms + 864000000ull, 0);
	return 0;
}
