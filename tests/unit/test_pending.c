// SPDX-License-Identifier: BSD-2-Clause
/*
 * test_pending.c - the bounds of the template cache and of the pending
 * buffer: data held until its template arrives, exporter / template / field limits under a flood, the
 * TTL sweep leaving nothing behind, the per-exporter counters, and the
 * eviction of idle entries from full tables (exporters, templates,
 * sequence sessions).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "decode/decode.h"
#include "decode/pending.h"
#include "decode/seq.h"
#include "decode/tmpl_cache.h"
#include "msgbuild.h"

#define EXPORT_SECS	1795290000u
#define T0_MS		((uint64_t)EXPORT_SECS * 1000)

static struct mb msg;
static struct mb_sink sink;
static const struct nfx_sink out = { .emit = mb_collect, .ctx = &sink };

static struct nfx_src src_n(uint32_t n, uint16_t port, uint64_t now_ms)
{
	struct nfx_src s = { .port = port, .now_ms = now_ms };
	const uint8_t a[4] = { 10, (uint8_t)(n >> 16), (uint8_t)(n >> 8), (uint8_t)n };

	nfx_addr_set_v4(&s.addr, a);
	return s;
}

static int run(struct nfx_decoder *d, const struct nfx_src *s)
{
	sink.n = sink.total = 0;
	return nfx_decode(d, s, msg.b, mb_finish(&msg), &out);
}

/* Template (src 4, dst 4, bytes 4): 12-byte records, in a set of @set_id. */
static void tmpl_in(uint16_t set_id, uint16_t tid)
{
	mb_set_begin(&msg, set_id);
	mb_tmpl(&msg, tid, 3);
	mb_field(&msg, 8, 4);
	mb_field(&msg, 12, 4);
	mb_field(&msg, 1, 4);
	mb_set_end(&msg);
}

static void tmpl_small(uint16_t tid)
{
	tmpl_in(2, tid);	/* IPFIX */
}

static void data_small(uint16_t tid, int nrec, uint32_t bytes)
{
	mb_set_begin(&msg, tid);
	for (int i = 0; i < nrec; i++) {
		mb_ip4(&msg, 10, 1, 1, (uint8_t)i);
		mb_ip4(&msg, 10, 2, 2, 2);
		mb_u32(&msg, bytes + (uint32_t)i);
	}
	mb_set_end(&msg);
}

/* Held sets come back in arrival order, each with its own message's header. */
static void test_pending_order_and_header(void)
{
	struct nfx_decoder_opts o = { 0 };
	struct nfx_decoder *d = nfx_decoder_new(&o);
	struct nfx_src s = src_n(1, 5000, T0_MS);
	int n;

	mb_ipfix_hdr(&msg, EXPORT_SECS, 100, 7);
	data_small(300, 2, 1000);
	data_small(301, 1, 5000);
	CHECK_EQ(run(d, &s), 0);
	mb_ipfix_hdr(&msg, EXPORT_SECS + 1, 102, 7);
	data_small(300, 1, 2000);
	s.now_ms += 1000;
	CHECK_EQ(run(d, &s), 0);
	CHECK_EQ(d->stats.template_not_found, 3);
	CHECK_EQ(d->stats.pending_buffered, 3);
	/* template 300 then fresh data in one message: held ones first */
	mb_ipfix_hdr(&msg, EXPORT_SECS + 2, 103, 7);
	tmpl_small(300);
	data_small(300, 1, 3000);
	s.now_ms += 1000;
	n = run(d, &s);
	CHECK_EQ(n, 4);
	CHECK_EQ(sink.f[0].bytes, 1000);
	CHECK_EQ(sink.f[0].sequence, 100);
	CHECK_EQ(sink.f[1].bytes, 1001);
	CHECK_EQ(sink.f[2].bytes, 2000);
	CHECK_EQ(sink.f[2].sequence, 102);
	CHECK_EQ(sink.f[3].bytes, 3000);
	CHECK_EQ(sink.f[3].sequence, 103);
	CHECK_EQ(sink.f[0].domain_id, 7);
	CHECK_EQ(sink.f[0].type, NFX_TYPE_IPFIX);
	CHECK_EQ(sink.f[0].exporter_port, 5000);
	/* sets in one unit: 3 held, 2 decoded (3 records), 301's still held */
	CHECK_EQ(d->stats.pending_decoded, 2);
	CHECK_EQ(d->stats.pending_records_decoded, 3);
	CHECK_EQ(d->stats.records[NFX_SLOT_IPFIX], 4);
	/* 301 still waits */
	CHECK(nfx_pending_bytes(d->pend) > 0, "301 held");
	mb_ipfix_hdr(&msg, EXPORT_SECS + 3, 104, 7);
	tmpl_small(301);
	CHECK_EQ(run(d, &s), 1);
	CHECK_EQ(sink.f[0].bytes, 5000);
	CHECK_EQ(nfx_pending_bytes(d->pend), 0);
	CHECK_EQ(d->stats.pending_dropped, 0);
	CHECK_EQ(d->stats.pending_decoded, d->stats.pending_buffered);
	CHECK_EQ(d->stats.pending_records_decoded, 4);
	nfx_decoder_free(d);
}

/* Another domain or another source port never gets the held data. */
static void test_pending_scope(void)
{
	struct nfx_decoder_opts o = { 0 };
	struct nfx_decoder *d = nfx_decoder_new(&o);
	struct nfx_src a = src_n(2, 5000, T0_MS), b = src_n(2, 5001, T0_MS);

	mb_ipfix_hdr(&msg, EXPORT_SECS, 0, 1);
	data_small(300, 2, 1);
	run(d, &a);
	mb_ipfix_hdr(&msg, EXPORT_SECS, 0, 2);
	tmpl_small(300);
	CHECK_EQ(run(d, &a), 0);
	mb_ipfix_hdr(&msg, EXPORT_SECS, 0, 1);
	tmpl_small(300);
	CHECK_EQ(run(d, &b), 0);
	/* v9 template 300 of the same exporter and id is another scope too */
	mb_v9_hdr(&msg, 1, 1000, EXPORT_SECS, 0, 1);
	mb_set_begin(&msg, 0);
	mb_tmpl(&msg, 300, 1);
	mb_field(&msg, 1, 4);
	mb_set_end(&msg);
	CHECK_EQ(run(d, &a), 0);
	mb_ipfix_hdr(&msg, EXPORT_SECS, 0, 1);
	tmpl_small(300);
	CHECK_EQ(run(d, &a), 2);
	nfx_decoder_free(d);
}

/* Held data older than the age bound is dropped, not decoded late. */
static void test_pending_age(void)
{
	struct nfx_decoder_opts o = { .pending_max_age_ms = 5000 };
	struct nfx_decoder *d = nfx_decoder_new(&o);
	struct nfx_src s = src_n(3, 5000, T0_MS);

	mb_ipfix_hdr(&msg, EXPORT_SECS, 0, 1);
	data_small(300, 2, 1);
	run(d, &s);
	s.now_ms += 5001;
	mb_ipfix_hdr(&msg, EXPORT_SECS + 5, 0, 1);
	tmpl_small(300);
	CHECK_EQ(run(d, &s), 0);
	CHECK_EQ(d->stats.pending_dropped, 1);
	CHECK_EQ(d->stats.pending_decoded, 0);
	CHECK_EQ(nfx_pending_bytes(d->pend), 0);
	/* and the sweep ages them out too, template or not */
	mb_ipfix_hdr(&msg, EXPORT_SECS, 0, 1);
	data_small(301, 2, 1);
	run(d, &s);
	CHECK(nfx_pending_bytes(d->pend) > 0, "held");
	nfx_decoder_sweep(d, s.now_ms + 6000, 3600000);
	CHECK_EQ(nfx_pending_bytes(d->pend), 0);
	CHECK_EQ(d->stats.pending_dropped, 2);
	nfx_decoder_free(d);
}

/* Data for an id that was defined or withdrawn is never held (layout unknown). */
static void test_pending_not_after_withdrawal(void)
{
	struct nfx_decoder_opts o = { 0 };
	struct nfx_decoder *d = nfx_decoder_new(&o);
	struct nfx_src s = src_n(4, 5000, T0_MS);

	mb_ipfix_hdr(&msg, EXPORT_SECS, 0, 1);
	tmpl_small(300);
	mb_set_begin(&msg, 2);
	mb_tmpl(&msg, 300, 0);
	mb_set_end(&msg);
	data_small(300, 2, 1);
	data_small(301, 1, 9);
	mb_set_begin(&msg, 2);
	mb_tmpl(&msg, 302, 0);
	mb_set_end(&msg);
	data_small(302, 1, 9);
	CHECK_EQ(run(d, &s), 0);
	CHECK_EQ(d->stats.template_not_found, 3);
	CHECK_EQ(d->stats.pending_buffered, 1);	/* only 301 */
	mb_ipfix_hdr(&msg, EXPORT_SECS, 0, 1);
	tmpl_small(300);
	tmpl_small(302);
	CHECK_EQ(run(d, &s), 0);
	mb_ipfix_hdr(&msg, EXPORT_SECS, 0, 1);
	tmpl_small(301);
	CHECK_EQ(run(d, &s), 1);
	nfx_decoder_free(d);
}

/* Per-exporter share (bytes and sets) and the shared ring, under pressure. */
static void test_pending_bounds(void)
{
	struct nfx_decoder_opts o = { .pending_bytes_per_exporter = 2048,
				      .pending_sets_per_exporter = 32,
				      .pending_total_bytes = 8192 };
	struct nfx_decoder *d = nfx_decoder_new(&o);
	struct nfx_src s = src_n(5, 5000, T0_MS);
	uint64_t held;

	/* one exporter: 100 sets of ~300 bytes -> its 2 KiB share */
	for (int i = 0; i < 100; i++) {
		mb_ipfix_hdr(&msg, EXPORT_SECS, 0, 1);
		data_small((uint16_t)(300 + i % 8), 25, 1);
		run(d, &s);
	}
	held = d->stats.pending_buffered;
	CHECK(held >= 4 && held <= 6, "held %llu sets", (unsigned long long)held);
	CHECK_EQ(d->stats.pending_dropped, 100 - held);
	CHECK(nfx_pending_bytes(d->pend) <= 2048, "share");
	/* tiny sets: the set count bounds it */
	s = src_n(6, 5000, T0_MS);
	for (int i = 0; i < 100; i++) {
		mb_ipfix_hdr(&msg, EXPORT_SECS, 0, 1);
		mb_set_begin(&msg, 300);
		mb_u32(&msg, 0);
		mb_set_end(&msg);
		run(d, &s);
	}
	CHECK_EQ(d->stats.pending_buffered, held + 32);
	/* many exporters: the ring drops the oldest, whoever they belong to */
	held = d->stats.pending_dropped;
	for (uint32_t e = 0; e < 1000; e++) {
		s = src_n(100 + e, 5000, T0_MS + e);
		mb_ipfix_hdr(&msg, EXPORT_SECS, 0, 1);
		data_small(300, 25, e);
		run(d, &s);
		if (nfx_pending_bytes(d->pend) > 8192)
			break;
	}
	CHECK(nfx_pending_bytes(d->pend) <= 8192, "ring bound");
	/* 1000 sets of ~350 bytes through 8 KiB: all but ~23 pushed out */
	CHECK(d->stats.pending_dropped - held >= 970, "ring evictions %llu",
	      (unsigned long long)(d->stats.pending_dropped - held));
	/* the newest exporter's set is still there and decodes */
	mb_ipfix_hdr(&msg, EXPORT_SECS, 0, 1);
	tmpl_small(300);
	CHECK_EQ(run(d, &s), 25);
	CHECK_EQ(sink.f[0].bytes, 999);
	nfx_decoder_free(d);
}

static void test_pending_off(void)
{
	struct nfx_decoder_opts o = { .pending_off = 1 };
	struct nfx_decoder *d = nfx_decoder_new(&o);
	struct nfx_src s = src_n(7, 5000, T0_MS);

	mb_ipfix_hdr(&msg, EXPORT_SECS, 0, 1);
	data_small(300, 2, 1);
	run(d, &s);
	mb_ipfix_hdr(&msg, EXPORT_SECS, 0, 1);
	tmpl_small(300);
	CHECK_EQ(run(d, &s), 0);
	CHECK_EQ(d->stats.pending_buffered, 0);
	CHECK_EQ(d->stats.pending_dropped, 0);
	CHECK_EQ(d->stats.template_not_found, 1);
	nfx_decoder_free(d);
}

/* v9 options data before its options template still sets the sampling rate. */
/* v9 options template 500: scope system (1, 4 bytes), sampling interval (34, 4 bytes). */
static void v9_opt_tmpl_sampling(void)
{
	mb_set_begin(&msg, 1);
	mb_v9_opt_tmpl(&msg, 500, 4, 4);
	mb_field(&msg, 1, 4);
	mb_field(&msg, 34, 4);
	mb_set_end(&msg);
}

/* Options data of template 500: sampling interval @rate. */
static void v9_opt_sampling(uint32_t rate)
{
	mb_set_begin(&msg, 500);
	mb_u32(&msg, 1);	/* scope: system 1 */
	mb_u32(&msg, rate);
	mb_set_end(&msg);
}

static void test_pending_v9_options(void)
{
	struct nfx_decoder_opts o = { 0 };
	struct nfx_decoder *d = nfx_decoder_new(&o);
	struct nfx_src s = src_n(8, 5000, T0_MS);

	mb_v9_hdr(&msg, 1, 100000, EXPORT_SECS, 1, 3);
	v9_opt_sampling(64);
	run(d, &s);
	mb_v9_hdr(&msg, 2, 100000, EXPORT_SECS, 2, 3);
	v9_opt_tmpl_sampling();
	mb_set_begin(&msg, 0);
	mb_tmpl(&msg, 256, 3);
	mb_field(&msg, 8, 4);
	mb_field(&msg, 12, 4);
	mb_field(&msg, 1, 4);
	mb_set_end(&msg);
	mb_set_begin(&msg, 256);
	mb_ip4(&msg, 1, 1, 1, 1);
	mb_ip4(&msg, 2, 2, 2, 2);
	mb_u32(&msg, 10);
	mb_set_end(&msg);
	CHECK_EQ(run(d, &s), 1);
	CHECK_EQ(d->stats.options_records, 1);
	CHECK_EQ(sink.f[0].sampling_rate, 64);
	nfx_decoder_free(d);
}

/* Templates per exporter and fields per template. */
static void test_template_bounds(void)
{
	struct nfx_decoder_opts o = { .max_templates_per_exporter = 4, .max_template_fields = 8 };
	struct nfx_decoder *d = nfx_decoder_new(&o);
	struct nfx_src s = src_n(9, 5000, T0_MS), s2 = src_n(10, 5000, T0_MS);

	mb_ipfix_hdr(&msg, EXPORT_SECS, 0, 1);
	for (uint16_t t = 256; t < 266; t++)
		tmpl_small(t);
	run(d, &s);
	CHECK_EQ(d->stats.templates_learned, 4);
	CHECK_EQ(d->stats.template_exporter_limit, 6);
	CHECK_EQ(d->stats.template_limit, 0);
	/* refreshing a held one is fine; another exporter has its own quota */
	mb_ipfix_hdr(&msg, EXPORT_SECS, 0, 1);
	tmpl_small(257);
	data_small(257, 1, 5);
	CHECK_EQ(run(d, &s), 1);
	mb_ipfix_hdr(&msg, EXPORT_SECS, 0, 1);
	tmpl_small(300);
	CHECK_EQ(run(d, &s2), 0);
	CHECK_EQ(d->stats.templates_learned, 6);
	CHECK_EQ(d->stats.template_exporter_limit, 6);
	/* a withdrawal gives the quota back */
	mb_ipfix_hdr(&msg, EXPORT_SECS, 0, 1);
	mb_set_begin(&msg, 2);
	mb_tmpl(&msg, 256, 0);
	mb_set_end(&msg);
	tmpl_small(270);
	run(d, &s);
	CHECK_EQ(d->stats.templates_learned, 7);
	/* 9 fields > 8 */
	mb_ipfix_hdr(&msg, EXPORT_SECS, 0, 2);
	mb_set_begin(&msg, 2);
	mb_tmpl(&msg, 400, 9);
	for (int i = 0; i < 9; i++)
		mb_field(&msg, 1, 1);
	mb_set_end(&msg);
	run(d, &s2);
	CHECK_EQ(d->stats.bad_template, 1);
	CHECK_EQ(nfx_tmpl_max_fields(d->tmpl), 8);
	nfx_decoder_free(d);
}

struct count_ctx {
	unsigned int n;
	uint64_t records, tnf, lost, resets, templates;
	struct nfx_exporter_info last;
};

static void count_exp(void *ctx, const struct nfx_exporter_info *e)
{
	struct count_ctx *c = ctx;

	c->n++;
	c->records += e->records;
	c->tnf += e->template_not_found;
	c->lost += e->seq_lost;
	c->resets += e->seq_resets;
	c->templates += e->templates;
	c->last = *e;
}

/*
 * 100k spoofed exporters, each with templates: tables stay at their
 * bounds, every refusal is counted, and an exporter known before the flood
 * keeps decoding.  After the TTL nothing of the flood is left.
 */
static void test_flood(void)
{
	struct nfx_decoder_opts o = { .max_exporters = 256, .max_templates = 1024,
				      .max_templates_per_exporter = 4,
				      .pending_total_bytes = 65536 };
	struct nfx_decoder *d = nfx_decoder_new(&o);
	struct nfx_src known = src_n(0xfffff0, 2055, T0_MS);
	struct count_ctx cc = { 0 };
	uint32_t max_t = 0, max_d = 0, max_p = 0;

	mb_ipfix_hdr(&msg, EXPORT_SECS, 0, 1);
	tmpl_small(256);
	CHECK_EQ(run(d, &known), 0);
	for (uint32_t e = 0; e < 100000; e++) {
		struct nfx_src s = src_n(e, (uint16_t)(1024 + e % 7), T0_MS + e / 100);

		mb_ipfix_hdr(&msg, EXPORT_SECS, e, e % 3);
		for (uint16_t t = 0; t < 6; t++)
			tmpl_small((uint16_t)(256 + (e + t) % 1000));
		data_small((uint16_t)(2000 + e % 100), 2, e);
		run(d, &s);
		if (nfx_tmpl_count(d->tmpl) > max_t)
			max_t = nfx_tmpl_count(d->tmpl);
		if (nfx_tmpl_domain_count(d->tmpl) > max_d)
			max_d = nfx_tmpl_domain_count(d->tmpl);
		if (nfx_pending_bytes(d->pend) > max_p)
			max_p = nfx_pending_bytes(d->pend);
	}
	CHECK(max_d <= 256, "domains %u", max_d);
	CHECK(max_t <= 1024, "templates %u", max_t);
	CHECK(max_p <= 65536, "pending %u", max_p);
	CHECK_EQ(nfx_tmpl_domain_count(d->tmpl), 256);
	CHECK_EQ(d->stats.exporter_limit, 100000 - 255);
	CHECK_EQ(d->stats.template_exporter_limit, 255 * 2);
	CHECK_EQ(d->stats.templates_learned, 1 + 255 * 4);
	CHECK_EQ(d->stats.template_not_found, 100000);
	CHECK_EQ(d->stats.pending_buffered + d->stats.pending_dropped, 100000);
	/* the known exporter still decodes */
	mb_ipfix_hdr(&msg, EXPORT_SECS, 1, 1);
	data_small(256, 3, 77);
	CHECK_EQ(run(d, &known), 3);
	CHECK_EQ(sink.f[2].bytes, 79);
	/* the flood stops; the known exporter keeps talking; the TTL passes */
	known.now_ms = T0_MS + 1000 + 1800000 + 1;
	mb_ipfix_hdr(&msg, EXPORT_SECS, 4, 1);
	data_small(256, 1, 1);
	CHECK_EQ(run(d, &known), 1);
	nfx_decoder_sweep(d, known.now_ms, 1800000);
	CHECK_EQ(nfx_tmpl_domain_count(d->tmpl), 1);
	CHECK_EQ(nfx_tmpl_count(d->tmpl), 1);
	CHECK_EQ(nfx_pending_bytes(d->pend), 0);
	CHECK_EQ(d->stats.exporters_expired, 255);
	CHECK_EQ(d->stats.templates_expired, 255 * 4);
	nfx_tmpl_foreach_exporter(d->tmpl, count_exp, &cc);
	CHECK_EQ(cc.n, 1);
	CHECK_EQ(cc.records, 4);
	CHECK_EQ(cc.templates, 1);
	/* newcomers are welcome again */
	{
		struct nfx_src s = src_n(12345, 999, known.now_ms);

		mb_ipfix_hdr(&msg, EXPORT_SECS, 0, 0);
		tmpl_small(256);
		data_small(256, 1, 1);
		CHECK_EQ(run(d, &s), 1);
	}
	nfx_decoder_free(d);
}

/* An exporter that stops sending leaves nothing after the sweep. */
static void test_ttl_sweep(void)
{
	struct nfx_decoder_opts o = { 0 };
	struct nfx_decoder *d = nfx_decoder_new(&o);
	uint64_t now = T0_MS;
	struct nfx_src s = src_n(20, 5000, now);

	mb_ipfix_hdr(&msg, EXPORT_SECS, 0, 1);
	tmpl_small(256);
	tmpl_small(257);
	data_small(256, 1, 1);
	data_small(999, 1, 1);	/* held */
	CHECK_EQ(run(d, &s), 1);
	mb_v9_hdr(&msg, 1, 1000, EXPORT_SECS, 0, 1);
	mb_set_begin(&msg, 0);
	mb_tmpl(&msg, 300, 1);
	mb_field(&msg, 1, 4);
	mb_set_end(&msg);
	run(d, &s);
	CHECK_EQ(nfx_tmpl_count(d->tmpl), 3);
	CHECK_EQ(nfx_tmpl_domain_count(d->tmpl), 2);
	CHECK(nfx_pending_bytes(d->pend) > 0, "held");
	/* not yet idle for the TTL: all stays */
	nfx_decoder_sweep(d, now + 60000, 60000);
	CHECK_EQ(nfx_tmpl_count(d->tmpl), 3);
	CHECK_EQ(nfx_tmpl_domain_count(d->tmpl), 2);
	nfx_decoder_sweep(d, now + 60001, 60000);
	CHECK_EQ(nfx_tmpl_count(d->tmpl), 0);
	CHECK_EQ(nfx_tmpl_domain_count(d->tmpl), 0);
	CHECK_EQ(nfx_pending_bytes(d->pend), 0);
	CHECK_EQ(d->stats.templates_expired, 3);
	CHECK_EQ(d->stats.exporters_expired, 2);
	CHECK_EQ(d->stats.pending_dropped, 1);
	/* it comes back: learned afresh, sequence starts over */
	s.now_ms = now + 120000;
	mb_ipfix_hdr(&msg, EXPORT_SECS, 50, 1);
	tmpl_small(256);
	data_small(256, 1, 1);
	CHECK_EQ(run(d, &s), 1);
	CHECK_EQ(d->stats.seq_resets, 0);
	nfx_decoder_free(d);
}

/* The per-exporter counters the metrics endpoint reads. */
static void test_exporter_counters(void)
{
	struct nfx_decoder_opts o = { 0 };
	struct nfx_decoder *d = nfx_decoder_new(&o);
	struct nfx_src a = src_n(30, 5000, T0_MS), b = src_n(31, 6000, T0_MS);
	struct count_ctx cc = { 0 };

	mb_ipfix_hdr(&msg, EXPORT_SECS, 0, 5);
	tmpl_small(256);
	data_small(256, 3, 1);
	data_small(257, 1, 1);
	run(d, &a);
	mb_ipfix_hdr(&msg, EXPORT_SECS, 10, 5);	/* 7 records lost */
	data_small(256, 2, 1);
	run(d, &a);
	nfx_tmpl_foreach_exporter(d->tmpl, count_exp, &cc);
	CHECK_EQ(cc.n, 1);
	CHECK_EQ(cc.records, 5);
	CHECK_EQ(cc.tnf, 1);
	CHECK_EQ(cc.lost, 7);
	CHECK_EQ(cc.templates, 1);
	CHECK_EQ(cc.last.version, 10);
	CHECK_EQ(cc.last.domain, 5);
	CHECK_EQ(cc.last.port, 5000);
	CHECK_EQ(cc.last.addr.b[15], 30);
	CHECK_EQ(cc.last.last_seen_ms, T0_MS);
	mb_v9_hdr(&msg, 1, 1000, EXPORT_SECS, 0, 6);
	mb_set_begin(&msg, 0);	/* an empty template flowset: a header alone is refused */
	mb_set_end(&msg);
	run(d, &b);
	memset(&cc, 0, sizeof(cc));
	nfx_tmpl_foreach_exporter(d->tmpl, count_exp, &cc);
	CHECK_EQ(cc.n, 2);
	CHECK_EQ(cc.records, 5);
	nfx_decoder_free(d);
}

/* Every exporter-domain slot taken: new ones are refused and counted. */
static void test_exporter_limit(void)
{
	struct nfx_decoder_opts o = { .max_exporters = 2 };
	struct nfx_decoder *d = nfx_decoder_new(&o);

	for (uint32_t e = 0; e < 5; e++) {
		struct nfx_src s = src_n(40 + e, 5000, T0_MS);

		mb_ipfix_hdr(&msg, EXPORT_SECS, 0, 1);
		tmpl_small(256);
		data_small(256, 1, 1);
		CHECK_EQ(run(d, &s), e < 2 ? 1 : 0);
	}
	CHECK_EQ(d->stats.exporter_limit, 3);
	CHECK_EQ(d->stats.templates_learned, 2);
	CHECK_EQ(nfx_tmpl_domain_count(d->tmpl), 2);
	nfx_decoder_free(d);
}

/*
 * Random traffic through a tiny ring (wraps, fillers, evictions, dead
 * entries in the middle) with templates, withdrawals, sweeps and exporters
 * evicted from full tables mixed in;
 * ASan checks the memory, the end state checks the accounting.
 */
static void test_pending_random(void)
{
	struct nfx_decoder_opts o = { .pending_bytes_per_exporter = 600,
				      .pending_total_bytes = 1000, .pending_max_age_ms = 3000,
				      .max_exporters = 6, .max_templates = 16,
				      .evict_idle_ms = 300 };
	struct nfx_decoder *d = nfx_decoder_new(&o);
	uint64_t now = T0_MS;
	unsigned int seed = 12345;
	int bad = 0;

	for (int i = 0; i < 200000; i++) {
		struct nfx_src s = src_n((uint32_t)(rand_r(&seed) % 8), 5000, now);
		uint16_t tid = (uint16_t)(256 + rand_r(&seed) % 6);
		int what = rand_r(&seed) % 10;

		mb_ipfix_hdr(&msg, EXPORT_SECS, 0, (uint32_t)(rand_r(&seed) % 2));
		if (what == 0) {
			tmpl_small(tid);
		} else if (what == 1) {
			mb_set_begin(&msg, 2);
			mb_tmpl(&msg, tid, 0);
			mb_set_end(&msg);
		} else {
			data_small(tid, 1 + rand_r(&seed) % 30, 1);
			if (what == 2)
				tmpl_small((uint16_t)(256 + rand_r(&seed) % 6));
		}
		if (run(d, &s) < 0)
			bad++;
		if (nfx_pending_bytes(d->pend) > 1000)
			bad++;
		if (i % 1000 == 0) {
			struct count_ctx cc = { 0 };

			/* every template belongs to a domain that counts it */
			nfx_tmpl_foreach_exporter(d->tmpl, count_exp, &cc);
			if (cc.templates != nfx_tmpl_count(d->tmpl))
				bad++;
		}
		now += (uint64_t)(rand_r(&seed) % 50);
		if (rand_r(&seed) % 1000 == 0)
			nfx_decoder_sweep(d, now, 2000);
	}
	CHECK_EQ(bad, 0);
	CHECK(d->stats.pending_decoded > 0, "some decoded");
	CHECK(d->stats.pending_dropped > 0, "some dropped");
	CHECK(d->stats.exporters_evicted > 0, "exporters evicted");
	CHECK(d->stats.templates_evicted > 0, "templates evicted %llu", (unsigned long long)d->stats.templates_evicted);
	nfx_decoder_sweep(d, now + 10000, 1000);
	CHECK_EQ(nfx_pending_bytes(d->pend), 0);
	CHECK_EQ(nfx_tmpl_count(d->tmpl), 0);
	CHECK_EQ(nfx_tmpl_domain_count(d->tmpl), 0);
	nfx_decoder_free(d);
}

/* v9 data (src, dst, bytes: 12-byte records) of @nrec records from @first. */
static void v9_data(uint16_t tid, int nrec, uint32_t first)
{
	mb_set_begin(&msg, tid);
	for (int i = 0; i < nrec; i++) {
		mb_ip4(&msg, 10, 1, 1, 1);
		mb_ip4(&msg, 10, 2, 2, 2);
		mb_u32(&msg, first + (uint32_t)i);
	}
	mb_set_end(&msg);
}

static void v9_tmpl(uint16_t tid)
{
	tmpl_in(0, tid);
}

/*
 * The report's D7 run at the default bounds: an exporter (re)starts with
 * 50 messages of 4 records before its template; all 200 come out, and the
 * counters count sets.
 */
static void test_pending_default_sets(void)
{
	struct nfx_decoder *d = nfx_decoder_new(NULL);
	struct nfx_src s = src_n(50, 45100, T0_MS);
	int n;

	for (uint32_t i = 0; i < 50; i++) {
		mb_v9_hdr(&msg, 4, 100000, EXPORT_SECS, i, 7);
		v9_data(256, 4, i * 4);
		CHECK_EQ(run(d, &s), 0);
		s.now_ms += 10;
	}
	mb_v9_hdr(&msg, 1, 100000, EXPORT_SECS, 50, 7);
	v9_tmpl(256);
	n = run(d, &s);
	CHECK_EQ(n, 200);
	CHECK_EQ(sink.f[0].bytes, 0);
	CHECK_EQ(sink.f[199].bytes, 199);
	CHECK_EQ(d->stats.pending_buffered, 50);
	CHECK_EQ(d->stats.pending_decoded, 50);
	CHECK_EQ(d->stats.pending_records_decoded, 200);
	CHECK_EQ(d->stats.pending_dropped, 0);
	nfx_decoder_free(d);
}

/* The set count is a bound of its own (pending_sets_per_exporter). */
static void test_pending_sets_key(void)
{
	struct nfx_decoder_opts o = { .pending_sets_per_exporter = 5 };
	struct nfx_decoder *d = nfx_decoder_new(&o);
	struct nfx_src s = src_n(51, 5000, T0_MS);

	for (uint32_t i = 0; i < 8; i++) {
		mb_v9_hdr(&msg, 1, 100000, EXPORT_SECS, i, 1);
		v9_data(256, 1, i);
		run(d, &s);
	}
	CHECK_EQ(d->stats.pending_buffered, 5);
	CHECK_EQ(d->stats.pending_dropped, 3);
	mb_v9_hdr(&msg, 1, 100000, EXPORT_SECS, 8, 1);
	v9_tmpl(256);
	CHECK_EQ(run(d, &s), 5);
	CHECK_EQ(sink.f[4].bytes, 4);
	CHECK_EQ(d->stats.pending_decoded, 5);
	nfx_decoder_free(d);
}

#define IDLE_MS	5000

/* Exporter @n sends template 256 (v9, domain 1) and one record at @now. */
static int one_shot(struct nfx_decoder *d, uint32_t n, uint16_t port, uint64_t now)
{
	struct nfx_src s = src_n(n, port, now);

	mb_v9_hdr(&msg, 2, 100000, EXPORT_SECS, 0, 1);
	v9_tmpl(256);
	v9_data(256, 1, n);
	return run(d, &s);
}

struct find_ctx {
	struct nfx_addr addr;
	int found;
};

static void find_exp(void *ctx, const struct nfx_exporter_info *e)
{
	struct find_ctx *f = ctx;

	f->found |= !memcmp(&e->addr, &f->addr, sizeof(f->addr));
}

/* Whether exporter @n has an exporter-domain state. */
static int held_exporter(struct nfx_decoder *d, uint32_t n)
{
	struct find_ctx f = { .addr = src_n(n, 0, 0).addr };

	nfx_tmpl_foreach_exporter(d->tmpl, find_exp, &f);
	return f.found;
}

/*
 * D9: a table full of one-shot exporters that have gone quiet gives way:
 * a newcomer (or a real exporter back from a restart on a new source port)
 * is decoded at once, the least recently used one-shot goes with its
 * templates and held data, and each eviction is counted.
 */
static void test_evict_idle_exporters(void)
{
	struct nfx_decoder_opts o = { .max_exporters = 8, .max_templates = 64,
				      .evict_idle_ms = IDLE_MS };
	struct nfx_decoder *d = nfx_decoder_new(&o);
	uint64_t now = T0_MS;
	struct nfx_src s;

	/* the oldest also holds a data set for a template it never sent */
	s = src_n(1000, 3000, now);
	mb_v9_hdr(&msg, 1, 100000, EXPORT_SECS, 1, 1);
	v9_data(300, 2, 1);
	run(d, &s);
	CHECK_EQ(d->stats.pending_buffered, 1);
	for (uint32_t e = 0; e < 8; e++)
		CHECK_EQ(one_shot(d, 1000 + e, 3000, now + e), 1);
	CHECK_EQ(nfx_tmpl_domain_count(d->tmpl), 8);
	/* within the window: the newcomer is refused, nothing evicted */
	CHECK_EQ(one_shot(d, 2000, 3000, now + IDLE_MS - 1), 0);
	CHECK_EQ(d->stats.exporter_limit, 1);
	CHECK_EQ(d->stats.exporters_evicted, 0);
	CHECK_EQ(d->stats.pending_dropped, 1);	/* its data: no state to hold it in */
	/* all idle now: a newcomer takes the oldest one's room at once */
	now += IDLE_MS + 100;
	CHECK_EQ(one_shot(d, 2001, 3000, now), 1);
	CHECK_EQ(d->stats.exporters_evicted, 1);
	CHECK_EQ(d->stats.templates_evicted, 1);
	CHECK_EQ(d->stats.pending_dropped, 2);	/* the evicted one's held set */
	CHECK_EQ(nfx_tmpl_domain_count(d->tmpl), 8);
	CHECK_EQ(nfx_tmpl_count(d->tmpl), 8);
	CHECK(!held_exporter(d, 1000), "the least recently used one-shot went");
	CHECK(held_exporter(d, 1001), "the next one stays");
	/* a real exporter back from a restart, on a new source port */
	CHECK_EQ(one_shot(d, 1007, 3001, now + 1), 1);
	CHECK_EQ(d->stats.exporters_evicted, 2);
	CHECK(!held_exporter(d, 1001), "the next least recently used went");
	/* its held set's room came back; the ring is consistent */
	nfx_pending_expire(d->pend, d->tmpl, &d->stats, now + 2);
	CHECK_EQ(nfx_pending_bytes(d->pend), 0);
	/* the newcomers keep decoding; the sweep takes the rest later */
	s = src_n(2001, 3000, now + 2);
	mb_v9_hdr(&msg, 1, 100000, EXPORT_SECS, 1, 1);
	v9_data(256, 3, 1);
	CHECK_EQ(run(d, &s), 3);
	nfx_decoder_sweep(d, now + 3 + 1800000 + 1, 1800000);
	CHECK_EQ(nfx_tmpl_domain_count(d->tmpl), 0);
	CHECK_EQ(nfx_tmpl_count(d->tmpl), 0);
	nfx_decoder_free(d);
}

/*
 * An exporter that is sending is never evicted, nor are its templates,
 * however many newcomers arrive: when every entry is recent they are
 * refused and counted, as before eviction.
 */
static void test_evict_spares_recent(void)
{
	struct nfx_decoder_opts o = { .max_exporters = 4, .max_templates = 8,
				      .evict_idle_ms = IDLE_MS };
	struct nfx_decoder *d = nfx_decoder_new(&o);
	struct nfx_src real = src_n(7, 2055, T0_MS);
	uint64_t now = T0_MS;
	int decoded = 0;

	/* the real exporter: 4 templates, the cache's other half */
	mb_v9_hdr(&msg, 4, 100000, EXPORT_SECS, 0, 1);
	for (uint16_t t = 256; t < 260; t++)
		v9_tmpl(t);
	CHECK_EQ(run(d, &real), 0);
	for (uint32_t e = 0; e < 3; e++)
		CHECK_EQ(one_shot(d, 100 + e, 3000, now), 1);
	/* a burst of spoofed sources, the real exporter sending all along */
	for (uint32_t e = 0; e < 3000; e++) {
		now = T0_MS + e * 10;
		decoded += one_shot(d, 200 + e, (uint16_t)(4000 + e % 7), now) > 0;
		if (e % 50 == 0) {
			real.now_ms = now;
			mb_v9_hdr(&msg, 1, 100000, EXPORT_SECS, e, 1);
			v9_data(256 + (uint16_t)(e / 50 % 4), 2, e);
			CHECK_EQ(run(d, &real), 2);
		}
	}
	CHECK(decoded > 0, "idle one-shots gave way to newer ones");
	CHECK(d->stats.exporters_evicted > 0, "evicted");
	CHECK(d->stats.exporter_limit > 0, "refused while all were recent");
	/* the real exporter and all 4 of its templates are still there */
	for (uint16_t t = 256; t < 260; t++) {
		struct nfx_tkey k;

		nfx_tmpl_key(d->tmpl, &k, NFX_PROTO_V9, &real, 1, t);
		CHECK(nfx_tmpl_find(d->tmpl, &k, now) != NULL, "template %u kept", t);
	}
	/* each newcomer decoded took an idle one's room; the others were refused */
	CHECK_EQ(d->stats.exporters_evicted, (uint64_t)decoded);
	CHECK_EQ(d->stats.exporter_limit, 3000 - (uint64_t)decoded);
	nfx_decoder_free(d);
}

/*
 * A full template table gives way too: an idle exporter's templates go, an
 * exporter that is sending keeps its own, and data held for an evicted
 * exporter is never handed to the newcomer in its slot.
 */
static void test_evict_templates(void)
{
	struct nfx_decoder_opts o = { .max_exporters = 16, .max_templates = 8,
				      .evict_idle_ms = IDLE_MS };
	struct nfx_decoder *d = nfx_decoder_new(&o);
	struct nfx_src a = src_n(1, 2055, T0_MS), b = src_n(2, 2055, T0_MS);
	struct nfx_src c = src_n(3, 2055, T0_MS + IDLE_MS + 10);

	mb_ipfix_hdr(&msg, EXPORT_SECS, 0, 1);
	for (uint16_t t = 256; t < 260; t++)
		tmpl_small(t);
	run(d, &a);
	mb_ipfix_hdr(&msg, EXPORT_SECS, 0, 1);
	for (uint16_t t = 256; t < 260; t++)
		tmpl_small(t);
	data_small(999, 1, 1);	/* held for b */
	run(d, &b);
	CHECK_EQ(nfx_tmpl_count(d->tmpl), 8);
	/* a keeps sending; b went quiet */
	a.now_ms = T0_MS + IDLE_MS + 5;
	mb_ipfix_hdr(&msg, EXPORT_SECS, 0, 1);
	data_small(256, 1, 1);
	CHECK_EQ(run(d, &a), 1);
	/* c's two templates take two of b's slots */
	mb_ipfix_hdr(&msg, EXPORT_SECS, 0, 1);
	tmpl_small(256);
	tmpl_small(999);
	data_small(256, 2, 7);
	CHECK_EQ(run(d, &c), 2);
	CHECK_EQ(d->stats.templates_evicted, 2);
	CHECK_EQ(d->stats.template_limit, 0);
	/* b's held set was its own: c's template 999 does not take it */
	CHECK_EQ(d->stats.pending_decoded, 0);
	for (uint16_t t = 256; t < 260; t++) {
		mb_ipfix_hdr(&msg, EXPORT_SECS, 0, 1);
		data_small(t, 1, t);
		CHECK_EQ(run(d, &a), 1);
	}
	/* b is back: what it still has decodes, the rest waits for its refresh */
	b.now_ms = c.now_ms + 1;
	mb_ipfix_hdr(&msg, EXPORT_SECS, 0, 1);
	for (uint16_t t = 256; t < 260; t++)
		data_small(t, 1, t);
	CHECK_EQ(run(d, &b), 2);
	CHECK_EQ(nfx_tmpl_count(d->tmpl), 8);
	nfx_decoder_free(d);
}

/* Legacy and sFlow sequence sessions follow the same rule. */
static void test_evict_sessions(void)
{
	struct nfx_seq_table *t = nfx_seq_table_new(4, IDLE_MS);
	struct nfx_dec_stats st = { 0 };
	struct nfx_seq_key k = { .version = 5 };

	for (uint8_t e = 0; e < 4; e++) {
		k.addr.b[15] = e;
		nfx_seq_account(t, &st, &k, 100, 10, 1000, T0_MS + e);
	}
	k.addr.b[15] = 9;
	nfx_seq_account(t, &st, &k, 100, 10, 1000, T0_MS + IDLE_MS - 1);
	CHECK_EQ(st.session_limit, 1);
	CHECK_EQ(st.sessions_evicted, 0);
	/* session 1 stays busy; the oldest idle one (0) goes */
	k.addr.b[15] = 1;
	nfx_seq_account(t, &st, &k, 110, 10, 1000, T0_MS + IDLE_MS);
	k.addr.b[15] = 9;
	nfx_seq_account(t, &st, &k, 100, 10, 1000, T0_MS + IDLE_MS + 1);
	CHECK_EQ(st.sessions_evicted, 1);
	CHECK_EQ(nfx_seq_count(t), 4);
	/* 9 is tracked now: its next message counts the loss */
	nfx_seq_account(t, &st, &k, 115, 10, 1000, T0_MS + IDLE_MS + 2);
	CHECK_EQ(st.seq_lost, 5);
	/* 1 kept its session: no loss, no reset */
	k.addr.b[15] = 1;
	nfx_seq_account(t, &st, &k, 120, 10, 1000, T0_MS + IDLE_MS + 3);
	CHECK_EQ(st.seq_lost, 5);
	CHECK_EQ(st.seq_resets, 0);
	/* 0 lost its session: it starts over, unnoticed */
	k.addr.b[15] = 0;
	nfx_seq_account(t, &st, &k, 500, 10, 1000, T0_MS + 2 * IDLE_MS + 10);
	CHECK_EQ(st.sessions_evicted, 2);
	CHECK_EQ(st.seq_resets, 0);
	nfx_seq_table_free(t);
}

/* Replays a message @a decoded into @b, as another worker does (nfx_decode_replay()). */
static void replay(struct nfx_decoder *a, struct nfx_decoder *b, const struct nfx_src *s)
{
	size_t len = mb_finish(&msg);

	sink.n = sink.total = 0;
	nfx_decode(a, s, msg.b, len, &out);
	CHECK(a->control_seen, "the message is one to share");
	sink.n = sink.total = 0;
	nfx_decode_replay(b, s, msg.b, len, &out);
}

/*
 * A message with templates, options data and flows that another decoder
 * received: this one learns the templates and the sampling rate, emits
 * none of its flows and counts nothing of it but the replay; data that
 * follows here decodes at once, and its sequence is this decoder's own.
 */
static void test_replay_learns_only(void)
{
	struct nfx_decoder *a = nfx_decoder_new(NULL), *b = nfx_decoder_new(NULL);
	struct nfx_src s = src_n(9, 5000, T0_MS);
	struct nfx_dec_stats before;

	mb_v9_hdr(&msg, 3, 100000, EXPORT_SECS, 40, 3);
	v9_opt_tmpl_sampling();
	v9_tmpl(256);
	v9_opt_sampling(64);
	v9_data(256, 2, 10);
	before = b->stats;
	replay(a, b, &s);
	CHECK_EQ(a->stats.records[NFX_SLOT_V9], 2);
	CHECK_EQ(sink.n, 0);
	before.templates_replayed = 1;
	CHECK(!memcmp(&before, &b->stats, sizeof(before)), "a replay counts only itself");
	/* data only, here: decoded at once with the replayed sampling rate */
	mb_v9_hdr(&msg, 1, 100000, EXPORT_SECS, 41, 3);
	v9_data(256, 3, 20);
	CHECK_EQ(run(b, &s), 3);
	CHECK_EQ(sink.f[0].sampling_rate, 64);
	CHECK_EQ(sink.f[2].bytes, 22);	/* scaled at the output, by sampling_rate */
	CHECK_EQ(b->stats.template_not_found, 0);
	CHECK_EQ(b->stats.seq_lost + b->stats.seq_resets, 0);
	/* data-only messages are not shared, and a replay of one does nothing */
	mb_v9_hdr(&msg, 1, 100000, EXPORT_SECS, 42, 3);
	v9_data(256, 1, 30);
	CHECK_EQ(run(a, &s), 1);
	CHECK(!a->control_seen, "flows alone are not shared");
	before = b->stats;
	sink.n = sink.total = 0;
	nfx_decode_replay(b, &s, msg.b, mb_finish(&msg), &out);
	CHECK_EQ(sink.n, 0);
	before.templates_replayed++;
	CHECK(!memcmp(&before, &b->stats, sizeof(before)), "nothing but the replay counted");
	nfx_decoder_free(a);
	nfx_decoder_free(b);
}

/* Data this decoder held for want of a template: the replayed template releases it here. */
static void test_replay_releases_held(void)
{
	struct nfx_decoder *a = nfx_decoder_new(NULL), *b = nfx_decoder_new(NULL);
	struct nfx_src s = src_n(10, 5000, T0_MS);

	mb_ipfix_hdr(&msg, EXPORT_SECS, 100, 7);
	data_small(300, 2, 1000);
	CHECK_EQ(run(b, &s), 0);
	CHECK_EQ(b->stats.pending_buffered, 1);
	mb_ipfix_hdr(&msg, EXPORT_SECS + 1, 200, 7);
	tmpl_small(300);
	data_small(300, 1, 9000);	/* a's own flow: emitted by a, not again by b */
	replay(a, b, &s);
	CHECK_EQ(sink.n, 2);
	CHECK_EQ(sink.f[0].bytes, 1000);
	CHECK_EQ(sink.f[1].bytes, 1001);
	CHECK_EQ(sink.f[0].sequence, 100);
	CHECK_EQ(b->stats.pending_decoded, 1);
	CHECK_EQ(b->stats.pending_records_decoded, 2);
	CHECK_EQ(b->stats.records[NFX_SLOT_IPFIX], 2);
	CHECK_EQ(b->stats.packets[NFX_SLOT_IPFIX], 1);	/* its own message only */
	CHECK_EQ(b->stats.templates_learned, 0);
	CHECK_EQ(b->stats.templates_replayed, 1);
	/* a withdrawal replays too */
	mb_ipfix_hdr(&msg, EXPORT_SECS + 2, 201, 7);
	mb_set_begin(&msg, 2);
	mb_tmpl(&msg, 300, 0);
	mb_set_end(&msg);
	replay(a, b, &s);
	mb_ipfix_hdr(&msg, EXPORT_SECS + 3, 201, 7);
	data_small(300, 1, 5000);
	CHECK_EQ(run(b, &s), 0);
	nfx_decoder_free(a);
	nfx_decoder_free(b);
}

/* Random bytes behind a v9 or IPFIX header: a replay never crashes and emits nothing new. */
static void test_replay_garbage(void)
{
	struct nfx_decoder *b = nfx_decoder_new(NULL);
	struct nfx_src s = src_n(11, 5000, T0_MS);
	uint8_t buf[512];

	srand(7);
	for (int i = 0; i < 20000; i++) {
		size_t len = (size_t)(rand() % (int)sizeof(buf));

		for (size_t j = 0; j < len; j++)
			buf[j] = (uint8_t)rand();
		if (len >= 4) {
			buf[0] = 0;
			buf[1] = i % 2 ? 9 : 10;
			if (i % 2 == 0 && i % 4) {
				buf[2] = (uint8_t)(len >> 8);
				buf[3] = (uint8_t)len;
			}
		}
		sink.n = sink.total = 0;
		nfx_decode_replay(b, &s, buf, len, &out);
		CHECK_EQ(sink.n, 0);
	}
	CHECK_EQ(b->stats.records[NFX_SLOT_V9] + b->stats.records[NFX_SLOT_IPFIX], 0);
	nfx_decoder_free(b);
}

int main(void)
{
	RUN_TEST(test_pending_order_and_header);
	RUN_TEST(test_pending_scope);
	RUN_TEST(test_pending_age);
	RUN_TEST(test_pending_not_after_withdrawal);
	RUN_TEST(test_pending_bounds);
	RUN_TEST(test_pending_off);
	RUN_TEST(test_pending_v9_options);
	RUN_TEST(test_template_bounds);
	RUN_TEST(test_flood);
	RUN_TEST(test_ttl_sweep);
	RUN_TEST(test_exporter_counters);
	RUN_TEST(test_exporter_limit);
	RUN_TEST(test_pending_random);
	RUN_TEST(test_pending_default_sets);
	RUN_TEST(test_pending_sets_key);
	RUN_TEST(test_evict_idle_exporters);
	RUN_TEST(test_evict_spares_recent);
	RUN_TEST(test_evict_templates);
	RUN_TEST(test_evict_sessions);
	RUN_TEST(test_replay_learns_only);
	RUN_TEST(test_replay_releases_held);
	RUN_TEST(test_replay_garbage);
	CHECK_EXIT();
}
