// SPDX-License-Identifier: BSD-2-Clause
/*
 * fuzz_tmpl.c - libFuzzer target for the template compiler (plan.c), the
 * template store (tmpl_cache.c) and the data set walker (dataset.c),
 * without a v9/IPFIX message around them: the fuzzer reaches odd field
 * lists (hundreds of fields, variable-length and enterprise fields, scope
 * counts at the edges) without first having to build a valid set and
 * message header.
 *
 * Input:
 *   byte 0   bit 0 options template, bit 1 IPFIX (else v9), bit 2 learn
 *            the template a second time (redefinition), bit 3 ignore the
 *            exporter port in keys, bits 4-6 the decoder policy: biflow
 *            reverse records, renormalisation, exporter from the export
 *   byte 1   scope field count (options templates)
 *   byte 2-3 field count, big endian, low 10 bits
 *   fields   4 bytes each (id, length); IPFIX ids with bit 15 set carry a
 *            4-byte enterprise number
 *   rest     data set bodies separated by "\xffNFX", each walked with the
 *            template
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/wire.h"
#include "decode/dataset.h"
#include "decode/ifnames.h"
#include "decode/policy.h"
#include "decode/plan.h"
#include "decode/tmpl_cache.h"

#define FUZZ_SEP	"\xff" "NFX"
#define FUZZ_SEP_LEN	4
#define MAX_REC		(65535 - 16 - 4)

static uint64_t sink_sum;

static void sink_emit(void *ctx, const struct nfx_flow *f)
{
	sink_sum += f->bytes + f->packets + f->src.b[15] + f->start_ms;
	(*(uint32_t *)ctx)++;
}

static size_t read_fields(const uint8_t *p, size_t len, unsigned int n, int ipfix,
			  struct nfx_field_spec *fs)
{
	size_t q = 0;
	unsigned int i;

	for (i = 0; i < n && len - q >= 4; i++) {
		fs[i].id = nfx_get16(p + q);
		fs[i].len = nfx_get16(p + q + 2);
		fs[i].pen = 0;
		q += 4;
		if (ipfix && (fs[i].id & 0x8000) && len - q >= 4) {
			fs[i].pen = nfx_get32(p + q);
			fs[i].id &= 0x7fff;
			q += 4;
		}
	}
	return i < n ? 0 : q;
}

/* Compile and store as the decoders do; -EINVAL for a template they refuse. */
static int learn(struct nfx_tmpl_cache *c, const struct nfx_tkey *k,
		 const struct nfx_tmpl_rec *r, uint64_t now_ms)
{
	static struct nfx_plan p;
	int err = nfx_plan_compile(&p, r, NULL);

	if (err)
		return err;
	if (p.nops > p.nfields || (p.options && p.flow))
		abort();	/* an op per field at most; options data is never flows */
	if (!p.rec_len || p.rec_len > MAX_REC)
		return -EINVAL;
	return nfx_tmpl_store(c, k, &p, r, 2055, now_ms);
}

static void walk(struct nfx_tmpl_cache *c, struct nfx_msg *m, const struct nfx_tkey *k,
		 const uint8_t *p, size_t len)
{
	const struct nfx_tmpl *t = nfx_tmpl_find(c, k, m->now_ms);
	uint32_t before = m->emitted;
	uint8_t *copy;

	if (!t)
		return;		/* dropped by an earlier overrun */
	copy = malloc(len ? len : 1);
	if (!copy)
		abort();
	memcpy(copy, p, len);
	if (nfx_dataset_decode(m, t, copy, len))
		nfx_tmpl_remove(c, k);
	free(copy);
	if (m->emitted < before)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct nfx_field_spec fs[1024];
	const struct nfx_src src = { .port = 2055, .now_ms = 1700000000000ull };
	struct nfx_tmpl_opts o = { .max_templates = 16, .max_exporters = 4 };
	struct nfx_dec_stats st = { 0 };
	struct nfx_tmpl_cache *c;
	struct nfx_tkey k, dk;
	struct nfx_tmpl_rec r;
	unsigned int n, nscope, flags;
	const uint8_t *p, *q, *end = data + size;
	uint32_t emitted = 0;
	struct nfx_sink sink = { sink_emit, &emitted };
	static struct nfx_ifnames *ifn;
	static struct nfx_dec_policy pol;
	struct nfx_msg m;
	size_t used;
	int ipfix, err;

	if (size < 4)
		return 0;
	flags = data[0];
	nscope = data[1];
	n = nfx_get16(data + 2) & 0x3ff;
	ipfix = !!(flags & 2);
	used = read_fields(data + 4, size - 4, n, ipfix, fs);
	if (!used && n)
		return 0;

	/* small tables: set up for every input, so keep that cheap */
	o.scope_addr_only = flags & 8;
	c = nfx_tmpl_cache_new(&o);
	if (!c)
		abort();
	r = (struct nfx_tmpl_rec){ fs, n, nscope, flags & 1 };
	nfx_tmpl_key(c, &k, ipfix ? NFX_PROTO_IPFIX : NFX_PROTO_V9, &src, 7, 256);
	err = learn(c, &k, &r, src.now_ms);
	if (!err && (flags & 4))
		err = learn(c, &k, &r, src.now_ms);
	if (err && err != -EINVAL)
		abort();	/* 16 slots and one key: never full */
	if (!err) {
		const struct nfx_tmpl *t = nfx_tmpl_find(c, &k, src.now_ms);

		if (!t || t->rec_len > MAX_REC)
			abort();
	}

	memset(&m, 0, sizeof(m));
	m.st = &st;
	m.out = &sink;
	/* interface names outlive the input, as in a decoder: a small table, made once */
	if (!ifn && !(ifn = nfx_ifnames_new(64)))
		abort();
	pol = (struct nfx_dec_policy){ .biflow_reverse = !!(flags & 16),
				       .renormalize = !!(flags & 32),
				       .exporter_from_export = !!(flags & 64) };
	m.pol = &pol;
	m.ifn = ifn;
	nfx_tmpl_key(c, &dk, k.proto, &src, 7, 0);
	m.dom = nfx_tmpl_domain(c, &dk, src.now_ms);
	m.export_ms = src.now_ms;
	m.now_ms = src.now_ms;
	m.sys_uptime = 3600000;
	m.proto = k.proto;
	nfx_addr_set_v4(&m.base.exporter, (const uint8_t *)"\x0a\xc9\x09\x01");

	for (p = data + 4 + used; !err && p < end; p = q + FUZZ_SEP_LEN) {
		q = memmem(p, end - p, FUZZ_SEP, FUZZ_SEP_LEN);
		if (!q)
			q = end;
		walk(c, &m, &k, p, q - p);
		if (q == end)
			break;
	}
	if (m.emitted != emitted)
		abort();
	nfx_tmpl_cache_free(c);
	return 0;
}
