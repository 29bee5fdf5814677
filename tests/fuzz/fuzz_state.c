// SPDX-License-Identifier: BSD-2-Clause
/*
 * fuzz_state.c - libFuzzer target for the state file reader
 * (decode/dec_state.c): header, checksum, every record kind, and the load
 * into a decoder (templates compiled again, domains and sessions taken
 * back).  A file that loads is written out again from the decoder, and
 * that image must load too: what the writer makes, the reader takes.
 *
 * Input:
 *   byte 0   bit 0 seal: set the header's length and checksum to match
 *            the rest (so the fuzzer gets past the checksum to the
 *            records), bit 1 ignore the exporter port in keys, bit 2 a
 *            TTL of one hour instead of a day
 *   rest     the state file
 */
#include <stdlib.h>
#include <string.h>

#include "decode/dec_state.h"
#include "decode/decode.h"
#include "decode/tmpl_cache.h"

#define NOW_MS	1795290000000ull

static uint64_t fnv(uint64_t h, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return h;
}

static void put_be64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static void seal(uint8_t *p, size_t len)
{
	if (len < NFX_STATE_HDR_LEN)
		return;
	put_be64(p + 24, len - NFX_STATE_HDR_LEN);
	put_be64(p + 32, fnv(fnv(0xcbf29ce484222325ull, p, 32), p + NFX_STATE_HDR_LEN,
			     len - NFX_STATE_HDR_LEN));
}

static struct nfx_decoder *decoder(int addr_only)
{
	struct nfx_decoder_opts o = {
		.max_templates = 64, .max_exporters = 16, .max_sessions = 16,
		.max_sflow_interfaces = 16, .pending_off = 1,
		.template_scope_addr_only = addr_only,
	};

	return nfx_decoder_new(&o);
}

/* The decoder's own image must load into a fresh decoder, all of it. */
static void round_trip(struct nfx_decoder *d, int addr_only, uint64_t ttl)
{
	struct nfx_decoder *e = decoder(addr_only);
	struct nfx_state_loaded got;
	struct nfx_state_buf b;
	const char *why;

	if (!e)
		abort();
	if (nfx_state_write(&b, &d, 1, NOW_MS))
		abort();
	if (nfx_state_load(e, b.p, b.len, NOW_MS, ttl, &got, &why))
		abort();	/* the writer made what the reader refuses */
	if (nfx_tmpl_count(e->tmpl) != nfx_tmpl_count(d->tmpl))
		abort();
	nfx_state_buf_free(&b);
	nfx_decoder_free(e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nfx_state_loaded got;
	struct nfx_decoder *d;
	uint64_t ttl;
	const char *why;
	uint8_t *p;
	int addr_only;

	if (!size)
		return 0;
	addr_only = !!(data[0] & 2);
	ttl = data[0] & 4 ? 3600000ull : 86400000ull;
	/* a copy of its own size, so ASan sees any read past the end */
	p = malloc(size - 1 ? size - 1 : 1);
	d = decoder(addr_only);
	if (!p || !d)
		abort();
	memcpy(p, data + 1, size - 1);
	if (data[0] & 1)
		seal(p, size - 1);
	if (!nfx_state_load(d, p, size - 1, NOW_MS, ttl, &got, &why))
		round_trip(d, addr_only, ttl);
	free(p);
	nfx_decoder_free(d);
	return 0;
}
