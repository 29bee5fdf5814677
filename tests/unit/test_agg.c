// SPDX-License-Identifier: BSD-2-Clause
/*
 * test_agg.c - the aggregator (design §5), driven by a clock the tests set:
 * merge rules, flush cadence and TTL, port roll-up and its tracker
 * generations, sequence accounting, the context bound, what the tables
 * take (nfx_agg_mem()).  The insert rate
 * is measured by bench/agginsert.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agg/agg.h"
#include "check.h"
#include "agg_model.h"

#define S	1000ull			/* ms per second */
#define T0	1700000000000ull	/* an epoch time in ms */

/* A sink that keeps what it is given and sums it. */
struct collect {
	struct nfx_flow *f;
	size_t n, cap;
	uint64_t bytes, packets, records;
};

static void collect_emit(void *ctx, const struct nfx_flow *f)
{
	struct collect *c = ctx;

	c->records++;
	c->bytes += f->bytes;
	c->packets += f->packets;
	if (c->n < c->cap)
		c->f[c->n++] = *f;
}

static struct nfx_sink collect_sink(struct collect *c, size_t cap)
{
	memset(c, 0, sizeof(*c));
	c->cap = cap;
	c->f = calloc(cap ? cap : 1, sizeof(*c->f));
	return (struct nfx_sink){ .emit = collect_emit, .ctx = c };
}

static void collect_reset(struct collect *c)
{
	c->n = 0;
}

static void collect_free(struct collect *c)
{
	free(c->f);
	c->f = NULL;
}

static struct nfx_flow mkflow(const char *exporter, const char *src, const char *dst,
			      uint16_t sport, uint16_t dport)
{
	struct nfx_flow f = { 0 };

	f.type = NFX_TYPE_NETFLOW9;
	f.ip_version = 4;
	f.present = NFX_F_SRC_ADDR | NFX_F_DST_ADDR | NFX_F_PROTO | NFX_F_SRC_PORT |
		    NFX_F_DST_PORT | NFX_F_START | NFX_F_END | NFX_F_IN_IF | NFX_F_TOS;
	nfx_addr_parse(&f.exporter, exporter);
	nfx_addr_parse(&f.src, src);
	nfx_addr_parse(&f.dst, dst);
	f.src_port = sport;
	f.dst_port = dport;
	f.proto = 6;
	f.bytes = 1000;
	f.packets = 10;
	f.start_ms = T0;
	f.end_ms = T0 + 1000;
	f.in_if = 1;
	return f;
}

static struct nfx_agg *agg_new(const struct nfx_agg_opts *o)
{
	struct nfx_agg *a = nfx_agg_new(o);

	CHECK(a != NULL, "nfx_agg_new failed");
	if (!a)
		exit(1);
	return a;
}

/* Runs nfx_agg_tick() every second over (from, to]. */
static void run_clock(struct nfx_agg *a, uint64_t from, uint64_t to, const struct nfx_sink *out)
{
	uint64_t t;

	for (t = from + S; t <= to; t += S)
		nfx_agg_tick(a, t, out);
}

static void test_merge_same_key(void)
{
	struct nfx_agg *a = agg_new(NULL);
	struct nfx_flow f1 = mkflow("192.0.2.1", "10.0.0.1", "10.0.0.2", 2000, 80);
	struct nfx_flow f2 = f1;
	struct collect c;
	struct nfx_sink out = collect_sink(&c, 16);

	f1.bytes = 100; f1.packets = 2; f1.tcp_flags = 0x02; f1.sequence = 5;
	f1.start_ms = T0 + 50; f1.end_ms = T0 + 60; f1.out_if = 3; f1.src_as = 64500;
	f2.bytes = 50; f2.packets = 1; f2.tcp_flags = 0x10; f2.sequence = 9;
	f2.start_ms = T0 + 10; f2.end_ms = T0 + 90; f2.out_if = 4; f2.src_as = 64501;
	nfx_agg_add(a, &f1, T0);
	nfx_agg_add(a, &f2, T0);
	CHECK_EQ(nfx_agg_stats(a)->contexts, 1);
	CHECK_EQ(nfx_agg_stats(a)->flows_added, 2);
	CHECK_EQ(nfx_agg_stats(a)->flows_merged, 1);
	nfx_agg_flush_all(a, T0 + S, &out);
	CHECK_EQ(c.n, 1);
	if (c.n == 1) {
		CHECK_EQ(c.f[0].bytes, 150);
		CHECK_EQ(c.f[0].packets, 3);
		CHECK_EQ(c.f[0].start_ms, T0 + 10);
		CHECK_EQ(c.f[0].end_ms, T0 + 90);
		CHECK_EQ(c.f[0].tcp_flags, 0x12);
		CHECK_EQ(c.f[0].sequence, 9);
		CHECK_EQ(c.f[0].out_if, 3);	/* from the first flow */
		CHECK_EQ(c.f[0].src_as, 64500);
		CHECK_EQ(c.f[0].src_port, 2000);
		CHECK_EQ(c.f[0].dst_port, 80);
		CHECK_EQ(c.f[0].present & (NFX_F_SRC_PORT_ROLLUP | NFX_F_DST_PORT_ROLLUP), 0);
	}
	CHECK_EQ(nfx_agg_stats(a)->records_flushed, 1);
	collect_free(&c);
	nfx_agg_free(a);
}

static void test_keys_apart(void)
{
	struct nfx_agg *a = agg_new(NULL);
	struct nfx_flow base = mkflow("192.0.2.1", "10.0.0.1", "10.0.0.2", 2000, 80);
	struct nfx_flow f[9];
	struct collect c;
	struct nfx_sink out = collect_sink(&c, 16);
	int i;

	for (i = 0; i < 9; i++)
		f[i] = base;
	nfx_addr_parse(&f[1].exporter, "192.0.2.2");
	nfx_addr_parse(&f[2].src, "10.0.0.3");
	nfx_addr_parse(&f[3].dst, "2001:db8::2");
	f[4].src_port = 2001;
	f[5].dst_port = 81;
	f[6].proto = 17;
	f[7].tos = 0x20;
	f[8].in_if = 2;
	for (i = 0; i < 9; i++)
		nfx_agg_add(a, &f[i], T0);
	CHECK_EQ(nfx_agg_stats(a)->contexts, 9);
	/* Fields outside the key do not split a context. */
	base.out_if = 7;
	base.type = NFX_TYPE_IPFIX;
	base.src_as = 1;
	nfx_agg_add(a, &base, T0);
	CHECK_EQ(nfx_agg_stats(a)->contexts, 9);
	CHECK_EQ(nfx_agg_stats(a)->flows_merged, 1);
	nfx_agg_flush_all(a, T0, &out);
	CHECK_EQ(c.n, 9);
	CHECK_EQ(c.bytes, 10 * 1000);
	collect_free(&c);
	nfx_agg_free(a);
}

/* Datadog's cadence: first flush at the next tick, then per interval. */
static void test_flush_timing(void)
{
	struct nfx_agg *a = agg_new(NULL);
	struct nfx_flow f = mkflow("192.0.2.1", "10.0.0.1", "10.0.0.2", 2000, 80);
	struct collect c;
	struct nfx_sink out = collect_sink(&c, 16);

	nfx_agg_tick(a, T0, &out);		/* starts the clocks: ticks at T0 + 10 s * k */
	nfx_agg_add(a, &f, T0 + 1 * S);
	run_clock(a, T0, T0 + 9 * S, &out);
	CHECK_EQ(c.records, 0);
	nfx_agg_tick(a, T0 + 10 * S, &out);
	CHECK_EQ(c.records, 1);

	/* Due again at creation + 300 s = T0 + 301 s: the tick at T0 + 310 s. */
	nfx_agg_add(a, &f, T0 + 20 * S);
	nfx_agg_add(a, &f, T0 + 200 * S);
	run_clock(a, T0 + 10 * S, T0 + 309 * S, &out);
	CHECK_EQ(c.records, 1);
	nfx_agg_tick(a, T0 + 310 * S, &out);
	CHECK_EQ(c.records, 2);
	CHECK_EQ(c.f[1].bytes, 2000);
	CHECK_EQ(nfx_agg_stats(a)->contexts, 1);	/* kept, emptied */

	/* Empty since T0 + 310 s: removed at the first tick past the TTL. */
	run_clock(a, T0 + 310 * S, T0 + 610 * S, &out);
	CHECK_EQ(nfx_agg_stats(a)->contexts, 1);
	nfx_agg_tick(a, T0 + 620 * S, &out);
	CHECK_EQ(nfx_agg_stats(a)->contexts, 0);
	CHECK_EQ(nfx_agg_stats(a)->contexts_expired, 1);
	CHECK_EQ(c.records, 2);
	CHECK_EQ(nfx_agg_stats(a)->ticks, 62);
	collect_free(&c);
	nfx_agg_free(a);
}

/* The option that waits a whole interval before the first flush. */
static void test_flush_delay_first(void)
{
	struct nfx_agg_opts o = { .delay_first_flush = 1, .flush_interval_ms = 60 * S };
	struct nfx_agg *a = agg_new(&o);
	struct nfx_flow f = mkflow("192.0.2.1", "10.0.0.1", "10.0.0.2", 2000, 80);
	struct collect c;
	struct nfx_sink out = collect_sink(&c, 16);

	nfx_agg_tick(a, T0, &out);
	nfx_agg_add(a, &f, T0 + 5 * S);
	run_clock(a, T0, T0 + 60 * S, &out);
	CHECK_EQ(c.records, 0);
	nfx_agg_tick(a, T0 + 70 * S, &out);	/* due at T0 + 65 s */
	CHECK_EQ(c.records, 1);
	collect_free(&c);
	nfx_agg_free(a);
}

static unsigned int count_rolled(const struct collect *c, uint32_t bit)
{
	unsigned int i, n = 0;

	for (i = 0; i < c->n; i++)
		n += !!(c->f[i].present & bit);
	return n;
}

static const struct nfx_flow *find_port(const struct collect *c, uint16_t sport, uint16_t dport)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		if (c->f[i].src_port == sport && c->f[i].dst_port == dport)
			return &c->f[i];
	return NULL;
}

/* One source port towards many destination ports: the destination rolls up. */
static void test_rollup_dst_side(void)
{
	struct nfx_agg *a = agg_new(NULL);
	struct nfx_flow f = mkflow("192.0.2.1", "10.0.0.1", "10.0.0.2", 53, 0);
	const struct nfx_flow *r;
	struct collect c;
	struct nfx_sink out = collect_sink(&c, 64);
	int i;

	for (i = 0; i < 9; i++) {
		f.dst_port = (uint16_t)(30000 + i);
		nfx_agg_add(a, &f, T0);
	}
	CHECK_EQ(nfx_agg_stats(a)->ports_rolled_up, 0);
	CHECK_EQ(nfx_agg_stats(a)->contexts, 9);
	f.dst_port = 30009;			/* the 10th distinct port */
	nfx_agg_add(a, &f, T0);
	CHECK_EQ(nfx_agg_stats(a)->ports_rolled_up, 1);
	CHECK_EQ(nfx_agg_stats(a)->contexts, 10);
	f.dst_port = 30010;			/* and any after it, old or new */
	nfx_agg_add(a, &f, T0);
	f.dst_port = 30000;
	nfx_agg_add(a, &f, T0);
	CHECK_EQ(nfx_agg_stats(a)->contexts, 10);
	nfx_agg_flush_all(a, T0, &out);
	CHECK_EQ(c.n, 10);
	CHECK_EQ(count_rolled(&c, NFX_F_DST_PORT_ROLLUP), 1);
	CHECK_EQ(count_rolled(&c, NFX_F_SRC_PORT_ROLLUP), 0);
	r = find_port(&c, 53, 0);
	CHECK(r && (r->present & NFX_F_DST_PORT_ROLLUP), "no rolled-up record");
	if (r)
		CHECK_EQ(r->bytes, 3000);
	CHECK(find_port(&c, 53, 30008) != NULL, "the 9th port was rolled up");
	collect_free(&c);
	nfx_agg_free(a);
}

/* Many source ports towards one destination port: the source rolls up. */
static void test_rollup_src_side(void)
{
	struct nfx_agg *a = agg_new(NULL);
	struct nfx_flow f = mkflow("192.0.2.1", "10.0.0.5", "10.0.0.6", 0, 443);
	const struct nfx_flow *r;
	struct collect c;
	struct nfx_sink out = collect_sink(&c, 64);
	int i;

	for (i = 0; i < 30; i++) {
		f.src_port = (uint16_t)(50000 + i);
		nfx_agg_add(a, &f, T0);
	}
	CHECK_EQ(nfx_agg_stats(a)->contexts, 10);
	CHECK_EQ(nfx_agg_stats(a)->ports_rolled_up, 21);
	nfx_agg_flush_all(a, T0, &out);
	CHECK_EQ(count_rolled(&c, NFX_F_SRC_PORT_ROLLUP), 1);
	CHECK_EQ(count_rolled(&c, NFX_F_DST_PORT_ROLLUP), 0);
	r = find_port(&c, 0, 443);
	CHECK(r && (r->present & NFX_F_SRC_PORT_ROLLUP), "no rolled-up record");
	if (r)
		CHECK_EQ(r->packets, 21 * 10);
	/* Another pair is tracked on its own. */
	f = mkflow("192.0.2.1", "10.0.0.5", "10.0.0.7", 50000, 443);
	nfx_agg_add(a, &f, T0);
	CHECK_EQ(nfx_agg_stats(a)->ports_rolled_up, 21);
	collect_free(&c);
	nfx_agg_free(a);
}

/* A scan: the tracker drops per-port sets once a side is ephemeral. */
static void test_rollup_tracker_bounded(void)
{
	struct nfx_agg *a = agg_new(NULL);
	struct nfx_flow f = mkflow("192.0.2.1", "10.0.0.1", "10.0.0.9", 40000, 0);
	int i;

	for (i = 1; i <= 5000; i++) {
		f.dst_port = (uint16_t)i;
		nfx_agg_add(a, &f, T0);
	}
	CHECK_EQ(nfx_agg_stats(a)->contexts, 10);
	CHECK(nfx_agg_stats(a)->rollup_cur_size <= 2 * NFX_AGG_ROLLUP_THRESHOLD,
	      "current store holds %llu entries",
	      (unsigned long long)nfx_agg_stats(a)->rollup_cur_size);
	CHECK(nfx_agg_stats(a)->rollup_new_size <= 2 * NFX_AGG_ROLLUP_THRESHOLD,
	      "new store holds %llu entries",
	      (unsigned long long)nfx_agg_stats(a)->rollup_new_size);
	CHECK_EQ(nfx_agg_stats(a)->rollup_dropped, 0);
	nfx_agg_free(a);
}

/* 9 ports, then rotations without traffic, then a 10th port. */
static uint64_t rolled_after_rotations(int rotations)
{
	struct nfx_agg *a = agg_new(NULL);
	struct nfx_flow f = mkflow("192.0.2.1", "10.0.0.1", "10.0.0.2", 53, 0);
	struct collect c;
	struct nfx_sink out = collect_sink(&c, 0);
	uint64_t end = T0 + (uint64_t)rotations * 300 * S, rolled;
	int i;

	nfx_agg_tick(a, T0, &out);		/* rotations at T0 + 300 s * k */
	for (i = 0; i < 9; i++) {
		f.dst_port = (uint16_t)(30000 + i);
		nfx_agg_add(a, &f, T0 + S);
	}
	CHECK_EQ(nfx_agg_stats(a)->rollup_cur_size, 10);
	CHECK_EQ(nfx_agg_stats(a)->rollup_new_size, 10);
	run_clock(a, T0, end, &out);
	CHECK_EQ(nfx_agg_stats(a)->rollup_rotations, rotations);
	/* Each rotation moves the sets one generation on, then sweeps them out. */
	CHECK_EQ(nfx_agg_stats(a)->rollup_cur_size, rotations < 2 ? 10 : 0);
	CHECK_EQ(nfx_agg_stats(a)->rollup_new_size, rotations < 1 ? 10 : 0);
	f.dst_port = 30009;
	nfx_agg_add(a, &f, end + S);
	rolled = nfx_agg_stats(a)->ports_rolled_up;
	collect_free(&c);
	nfx_agg_free(a);
	return rolled;
}

static void test_rollup_rotation(void)
{
	CHECK_EQ(rolled_after_rotations(0), 1);
	CHECK_EQ(rolled_after_rotations(1), 1);	/* still in the new generation */
	CHECK_EQ(rolled_after_rotations(2), 0);	/* forgotten */
}

static void test_rollup_disabled(void)
{
	struct nfx_agg_opts o = { .rollup_disabled = 1 };
	struct nfx_agg *a = agg_new(&o);
	struct nfx_flow f = mkflow("192.0.2.1", "10.0.0.1", "10.0.0.2", 53, 0);
	int i;

	for (i = 0; i < 50; i++) {
		f.dst_port = (uint16_t)(30000 + i);
		nfx_agg_add(a, &f, T0);
	}
	CHECK_EQ(nfx_agg_stats(a)->contexts, 50);
	CHECK_EQ(nfx_agg_stats(a)->ports_rolled_up, 0);
	nfx_agg_free(a);
}

/*
 * Recurring flows take a short path that skips the tracker: between two
 * rotations they must still be written to the new generation, or a pair
 * kept busy by the same flows is forgotten after two rotations.
 */
static void test_rollup_recurring_rotation(void)
{
	struct nfx_agg *a = agg_new(NULL);
	struct nfx_flow f = mkflow("192.0.2.1", "10.0.0.1", "10.0.0.2", 53, 0);
	struct collect c;
	struct nfx_sink out = collect_sink(&c, 0);
	uint64_t t = T0;
	int i, r, k;

	nfx_agg_tick(a, t, &out);		/* rotations at T0 + 300 s * k */
	for (r = 0; r < 3; r++) {
		/* the same 9 flows, many times over, then a rotation */
		for (k = 0; k < 5; k++) {
			for (i = 0; i < 9; i++) {
				f.dst_port = (uint16_t)(30000 + i);
				nfx_agg_add(a, &f, t);
			}
		}
		CHECK_EQ(nfx_agg_stats(a)->rollup_new_size, 10);
		t += 300 * S;
		run_clock(a, t - 300 * S, t, &out);
		CHECK_EQ(nfx_agg_stats(a)->rollup_rotations, r + 1);
		CHECK_EQ(nfx_agg_stats(a)->rollup_cur_size, 10);
		CHECK_EQ(nfx_agg_stats(a)->rollup_new_size, 0);
	}
	CHECK_EQ(nfx_agg_stats(a)->ports_rolled_up, 0);
	f.dst_port = 30009;			/* the 10th: the pair is remembered */
	nfx_agg_add(a, &f, t);
	CHECK_EQ(nfx_agg_stats(a)->ports_rolled_up, 1);
	collect_free(&c);
	nfx_agg_free(a);
}

/* A recurring flow follows a decision that another flow changed. */
static void test_rollup_recurring_decision(void)
{
	struct nfx_agg *a = agg_new(NULL);
	struct nfx_flow f = mkflow("192.0.2.1", "10.0.0.1", "10.0.0.2", 53, 30000);
	const struct nfx_flow *r;
	struct collect c;
	struct nfx_sink out = collect_sink(&c, 64);
	int i;

	for (i = 0; i < 4; i++)
		nfx_agg_add(a, &f, T0);		/* recurring, not rolled up */
	for (i = 1; i < 10; i++) {
		f.dst_port = (uint16_t)(30000 + i);
		nfx_agg_add(a, &f, T0);		/* the 10th distinct port rolls up */
	}
	f.dst_port = 30000;
	nfx_agg_add(a, &f, T0);			/* now rolled up too */
	nfx_agg_add(a, &f, T0);
	CHECK_EQ(nfx_agg_stats(a)->ports_rolled_up, 3);
	nfx_agg_flush_all(a, T0, &out);
	r = find_port(&c, 53, 30000);
	CHECK(r != NULL, "no record for the first port");
	if (r)
		CHECK_EQ(r->bytes, 4000);
	r = find_port(&c, 53, 0);
	CHECK(r && (r->present & NFX_F_DST_PORT_ROLLUP), "no rolled-up record");
	if (r)
		CHECK_EQ(r->bytes, 3000);
	collect_free(&c);
	nfx_agg_free(a);
}

/* A flow the full tracker cannot take is counted each time it comes. */
static void test_rollup_recurring_dropped(void)
{
	struct nfx_agg_opts o = { .max_rollup_entries = 4 };
	struct nfx_agg *a = agg_new(&o);
	struct nfx_flow f = mkflow("192.0.2.1", "10.0.0.1", "10.0.0.2", 1000, 2000);
	uint64_t d0, d1, d2;
	int i;

	nfx_agg_add(a, &f, T0);			/* 2 entries */
	f.src_port = 1001;
	nfx_agg_add(a, &f, T0);			/* 1 more: 3 */
	f = mkflow("192.0.2.1", "10.0.0.3", "10.0.0.4", 7, 8);
	nfx_agg_add(a, &f, T0);			/* 1 made, 1 not */
	d0 = nfx_agg_stats(a)->rollup_dropped;
	CHECK(d0 > 0, "the tracker is not full");
	nfx_agg_add(a, &f, T0);
	d1 = nfx_agg_stats(a)->rollup_dropped;
	for (i = 0; i < 5; i++)
		nfx_agg_add(a, &f, T0);
	d2 = nfx_agg_stats(a)->rollup_dropped;
	CHECK(d1 > d0, "a recurring flow not counted again");
	CHECK_EQ(d2 - d1, 5 * (d1 - d0));
	CHECK_EQ(nfx_agg_stats(a)->contexts, 3);
	CHECK_EQ(nfx_agg_stats(a)->flows_merged, 6);
	nfx_agg_free(a);
}

/* Random streams against a plain model of the roll-up, across rotations. */
static void test_rollup_model(void)
{
	static const struct m_cfg cfgs[] = {
		/* small threshold, few pairs: sets fill and empty all the time */
		{ .t = 2, .hosts = 2, .ports = 6, .pool = 24, .recur = 70, .flows = 20000,
		  .rotate_every = 997, .check_every = 251, .seed = 1 },
		{ .t = 3, .hosts = 3, .ports = 12, .pool = 40, .recur = 80, .flows = 30000,
		  .rotate_every = 1499, .check_every = 613, .seed = 2 },
		{ .t = 5, .hosts = 2, .ports = 20, .pool = 64, .recur = 90, .flows = 30000,
		  .rotate_every = 3001, .check_every = 1000, .seed = 3 },
		/* the default threshold, mostly recurring flows */
		{ .t = 10, .hosts = 4, .ports = 40, .pool = 200, .recur = 95, .flows = 40000,
		  .rotate_every = 5003, .check_every = 2000, .seed = 4 },
		{ .t = 10, .hosts = 1, .ports = 16, .pool = 30, .recur = 50, .flows = 20000,
		  .rotate_every = 701, .check_every = 333, .seed = 5 },
	};

	for (unsigned int i = 0; i < sizeof(cfgs) / sizeof(cfgs[0]); i++) {
		int bad = m_run(&cfgs[i]);

		CHECK(bad == 0, "stream %u: %d comparisons differ", i, bad);
	}
}

struct seen {
	struct nfx_agg_exporter e[8];
	int n;
};

static void seen_fn(void *ctx, const struct nfx_agg_exporter *e)
{
	struct seen *s = ctx;

	if (s->n < 8)
		s->e[s->n++] = *e;
}

static const struct nfx_agg_exporter *exporter(const struct nfx_agg *a, struct seen *s,
					       const char *addr, uint8_t type)
{
	struct nfx_addr x;
	int i;

	nfx_addr_parse(&x, addr);
	s->n = 0;
	nfx_agg_foreach_exporter(a, seen_fn, s);
	for (i = 0; i < s->n; i++)
		if (s->e[i].type == type && !memcmp(&s->e[i].addr, &x, sizeof(x)))
			return &s->e[i];
	return NULL;
}

/* Adds one flow with this sequence and flushes everything. */
static void flush_seq(struct nfx_agg *a, const char *exp, uint8_t type, uint64_t seq,
		      const struct nfx_sink *out)
{
	struct nfx_flow f = mkflow(exp, "10.0.0.1", "10.0.0.2", 2000, 80);

	f.type = type;
	f.sequence = seq;
	nfx_agg_add(a, &f, T0);
	f.sequence = seq - 3;			/* the highest in the flush counts */
	nfx_agg_add(a, &f, T0);
	nfx_agg_flush_all(a, T0, out);
}

static void test_sequence_v9(void)
{
	struct nfx_agg *a = agg_new(NULL);
	const struct nfx_agg_exporter *e;
	struct seen s;
	struct collect c;
	struct nfx_sink out = collect_sink(&c, 0);
	static const struct {
		uint64_t seq;
		int64_t delta;
		uint64_t last;
		int reset;
	} steps[] = {
		{ 1000, 0, 1000, 0 },		/* first flush: no delta yet */
		{ 1050, 50, 1050, 0 },
		{ 1000, 0, 1000, 0 },		/* 50 back: reordering, not a reset */
		{ 1060, 10, 1060, 0 },		/* counted from 1050 */
	};
	size_t i;

	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		flush_seq(a, "192.0.2.9", NFX_TYPE_NETFLOW9, steps[i].seq, &out);
		e = exporter(a, &s, "192.0.2.9", NFX_TYPE_NETFLOW9);
		CHECK(e != NULL, "exporter not listed at step %zu", i);
		if (!e)
			break;
		CHECK_EQ(e->delta, steps[i].delta);
		CHECK_EQ(e->last_seq, steps[i].last);
		CHECK_EQ(e->reset, steps[i].reset);
	}
	flush_seq(a, "192.0.2.9", NFX_TYPE_NETFLOW9, 950, &out);
	e = exporter(a, &s, "192.0.2.9", NFX_TYPE_NETFLOW9);
	CHECK(e && e->reset && e->delta == 950 && e->resets == 1, "no reset after 110 back");
	if (e)
		CHECK_EQ(e->delta_total, 50 + 10 + 950);
	flush_seq(a, "192.0.2.9", NFX_TYPE_NETFLOW9, 1000, &out);
	e = exporter(a, &s, "192.0.2.9", NFX_TYPE_NETFLOW9);
	CHECK(e && !e->reset && e->delta == 50, "delta not counted from the reset");
	collect_free(&c);
	nfx_agg_free(a);
}

static void test_sequence_v5_per_exporter(void)
{
	struct nfx_agg *a = agg_new(NULL);
	const struct nfx_agg_exporter *e;
	struct seen s;
	struct collect c;
	struct nfx_sink out = collect_sink(&c, 0);

	flush_seq(a, "192.0.2.5", NFX_TYPE_NETFLOW5, 100000, &out);
	flush_seq(a, "192.0.2.6", NFX_TYPE_NETFLOW5, 7000, &out);
	flush_seq(a, "192.0.2.5", NFX_TYPE_NETFLOW5, 99500, &out);	/* 500 back */
	e = exporter(a, &s, "192.0.2.5", NFX_TYPE_NETFLOW5);
	CHECK(e && !e->reset && e->delta == 0, "500 back is a v5 reset");
	flush_seq(a, "192.0.2.5", NFX_TYPE_NETFLOW5, 98000, &out);	/* 2000 back */
	e = exporter(a, &s, "192.0.2.5", NFX_TYPE_NETFLOW5);
	CHECK(e && e->reset && e->delta == 98000, "2000 back is no v5 reset");
	/* The other exporter was in no flush since: untouched. */
	e = exporter(a, &s, "192.0.2.6", NFX_TYPE_NETFLOW5);
	CHECK(e && e->last_seq == 7000 && e->delta == 0 && !e->resets, "other exporter moved");
	CHECK_EQ(s.n, 2);
	CHECK_EQ(nfx_agg_stats(a)->exporters, 2);
	collect_free(&c);
	nfx_agg_free(a);
}

/* At the bound, flows go on unaggregated (overflow sink) or are counted lost. */
static void test_max_contexts(void)
{
	struct collect c, ov;
	struct nfx_sink out = collect_sink(&c, 16);
	struct nfx_agg_opts o = { .max_contexts = 4, .overflow = collect_sink(&ov, 16) };
	struct nfx_agg *a = agg_new(&o);
	struct nfx_flow f = mkflow("192.0.2.1", "10.0.0.1", "10.0.0.2", 2000, 80);
	int i;

	for (i = 0; i < 6; i++) {
		f.dst_port = (uint16_t)(80 + i);
		nfx_agg_add(a, &f, T0);
	}
	f.dst_port = 80;			/* held already: still merges */
	nfx_agg_add(a, &f, T0);
	CHECK_EQ(nfx_agg_stats(a)->contexts, 4);
	CHECK_EQ(nfx_agg_stats(a)->contexts_dropped, 2);
	CHECK_EQ(nfx_agg_stats(a)->overflow_emitted, 2);
	CHECK_EQ(ov.n, 2);
	CHECK_EQ(nfx_agg_stats(a)->flows_merged, 1);
	nfx_agg_flush_all(a, T0, &out);
	CHECK_EQ(c.bytes + ov.bytes, 7 * 1000);
	CHECK_EQ(c.packets + ov.packets, 7 * 10);
	nfx_agg_free(a);

	o.overflow = (struct nfx_sink){ 0 };
	a = agg_new(&o);
	for (i = 0; i < 6; i++) {
		f.dst_port = (uint16_t)(80 + i);
		nfx_agg_add(a, &f, T0);
	}
	CHECK_EQ(nfx_agg_stats(a)->contexts_dropped, 2);
	CHECK_EQ(nfx_agg_stats(a)->overflow_lost_flows, 2);
	CHECK_EQ(nfx_agg_stats(a)->overflow_lost_bytes, 2000);
	CHECK_EQ(nfx_agg_stats(a)->overflow_lost_packets, 20);
	nfx_agg_free(a);
	collect_free(&c);
	collect_free(&ov);
}

/* The end of a test whose flows all carry 1000 bytes: every byte comes out. */
static void flush_all_and_free(struct nfx_agg *a, uint64_t now_ms, struct collect *c)
{
	struct nfx_sink out = { .emit = collect_emit, .ctx = c };

	nfx_agg_flush_all(a, now_ms, &out);
	CHECK_EQ(c->bytes, nfx_agg_stats(a)->flows_added * 1000);
	collect_free(c);
	nfx_agg_free(a);
}

/* Contexts removed in the middle of the array: the rest stay findable. */
static void test_expiry_keeps_index(void)
{
	struct nfx_agg_opts o = { .flush_interval_ms = 60 * S, .rollup_disabled = 1 };
	struct nfx_agg *a = agg_new(&o);
	struct nfx_flow f = mkflow("192.0.2.1", "10.0.0.1", "10.0.0.2", 2000, 80);
	struct collect c;
	struct nfx_sink out = collect_sink(&c, 0);
	uint64_t t;
	int i;

	nfx_agg_tick(a, T0, &out);
	for (i = 0; i < 2000; i++) {
		f.src_port = (uint16_t)(1000 + i);
		nfx_agg_add(a, &f, T0 + S);
	}
	/* Only the even ones keep sending. */
	for (t = T0 + 10 * S; t <= T0 + 200 * S; t += 10 * S) {
		for (i = 0; i < 2000; i += 2) {
			f.src_port = (uint16_t)(1000 + i);
			nfx_agg_add(a, &f, t);
		}
		nfx_agg_tick(a, t, &out);
	}
	CHECK_EQ(nfx_agg_stats(a)->contexts, 1000);
	CHECK_EQ(nfx_agg_stats(a)->contexts_expired, 1000);
	for (i = 0; i < 2000; i += 2) {
		f.src_port = (uint16_t)(1000 + i);
		nfx_agg_add(a, &f, T0 + 201 * S);
		nfx_agg_add(a, &f, T0 + 201 * S);
	}
	CHECK_EQ(nfx_agg_stats(a)->contexts, 1000);
	flush_all_and_free(a, T0 + 202 * S, &c);
}

/* Flow i of test_index_resizes(): distinct keys over addresses and ports. */
static struct nfx_flow index_flow(uint32_t i)
{
	struct nfx_flow f = mkflow("192.0.2.1", "10.0.0.1", "10.0.0.2", 0, 443);

	nfx_addr_set_v4(&f.src, (const uint8_t[4]){ 10, 1, (uint8_t)(i >> 8), (uint8_t)i });
	f.src_port = (uint16_t)(1024 + (i >> 16));
	return f;
}

/*
 * The index grows with the contexts and shrinks when they expire, and
 * every context stays findable across each rebuild.
 */
static void test_index_resizes(void)
{
	struct nfx_agg_opts o = { .flush_interval_ms = 10 * S, .rollup_disabled = 1 };
	struct nfx_agg *a = agg_new(&o);
	const struct nfx_agg_stats *st;
	struct collect c;
	struct nfx_sink out = collect_sink(&c, 0);
	struct nfx_flow f;
	uint64_t t, start_slots;
	uint32_t i, n = 100000;

	nfx_agg_tick(a, T0, &out);
	start_slots = nfx_agg_stats(a)->index_slots;
	CHECK(start_slots < 2 * n, "index starts at %llu slots", (unsigned long long)start_slots);
	for (i = 0; i < n; i++) {
		f = index_flow(i);
		nfx_agg_add(a, &f, T0);
	}
	st = nfx_agg_stats(a);
	CHECK_EQ(st->contexts, n);
	CHECK(st->index_slots >= 2 * n && st->index_slots <= 4 * n, "%llu slots for %u contexts",
	      (unsigned long long)st->index_slots, n);
	CHECK(st->index_resizes >= 4, "%llu resizes", (unsigned long long)st->index_resizes);
	for (i = 0; i < n; i++) {
		f = index_flow(i);
		nfx_agg_add(a, &f, T0 + S);
	}
	CHECK_EQ(nfx_agg_stats(a)->contexts, n);
	CHECK_EQ(nfx_agg_stats(a)->flows_merged, n);
	/* Only the first 100 keep sending: the rest expire, and the index shrinks. */
	for (t = T0 + 10 * S; t <= T0 + 60 * S; t += 10 * S) {
		for (i = 0; i < 100; i++) {
			f = index_flow(i);
			nfx_agg_add(a, &f, t);
		}
		nfx_agg_tick(a, t, &out);
	}
	st = nfx_agg_stats(a);
	CHECK_EQ(st->contexts, 100);
	CHECK_EQ(st->contexts_expired, n - 100);
	CHECK_EQ(st->index_slots, start_slots);
	for (i = 0; i < 100; i++) {
		f = index_flow(i);
		nfx_agg_add(a, &f, T0 + 61 * S);
	}
	CHECK_EQ(nfx_agg_stats(a)->contexts, 100);
	flush_all_and_free(a, T0 + 62 * S, &c);
}

static uint64_t rnd_state = 88172645463325252ull;

static uint64_t rnd(void)
{
	return check_xorshift(&rnd_state);
}

/* Client/server traffic: ephemeral client ports towards a few service ports. */
static void random_flow(struct nfx_flow *f, unsigned int pairs)
{
	static const uint16_t svc[] = { 443, 80, 53, 22, 123, 8080, 3306, 25 };
	uint32_t p = (uint32_t)(rnd() % pairs);
	uint8_t v4[4] = { 10, (uint8_t)(p >> 16), (uint8_t)(p >> 8), (uint8_t)p };
	uint8_t s4[4] = { 172, 16, (uint8_t)(p % 61), (uint8_t)(p % 7) };
	uint64_t r = rnd();

	*f = mkflow("192.0.2.1", "10.0.0.1", "10.0.0.2", 0, 0);
	nfx_addr_set_v4(&f->exporter, (const uint8_t[4]){ 192, 0, 2, (uint8_t)(p % 4) });
	nfx_addr_set_v4(&f->src, v4);
	nfx_addr_set_v4(&f->dst, s4);
	f->src_port = (uint16_t)(32768 + (r & 0x7fff));
	f->dst_port = svc[(r >> 16) % 8];
	f->proto = (r >> 24) & 1 ? 6 : 17;
	f->bytes = 40 + ((r >> 32) & 0xffff);
	f->packets = 1 + ((r >> 48) & 0xf);
	f->in_if = (uint32_t)((r >> 56) & 3);
	f->sequence = r & 0xffff;
}

/* Every byte and packet in comes out, whatever the ticks and the bound. */
static void test_flush_all_sums(void)
{
	struct collect c;
	struct nfx_sink out = collect_sink(&c, 0);
	struct nfx_agg_opts o = { .max_contexts = 2000, .overflow = out };
	struct nfx_agg *a = agg_new(&o);
	uint64_t bytes = 0, packets = 0, t = T0;
	struct nfx_flow f;
	int i;

	nfx_agg_tick(a, t, &out);
	for (i = 0; i < 200000; i++) {
		random_flow(&f, 50);
		bytes += f.bytes;
		packets += f.packets;
		nfx_agg_add(a, &f, t);
		if (i % 1000 == 999) {
			t += 7 * S;
			nfx_agg_tick(a, t, &out);
		}
	}
	nfx_agg_flush_all(a, t, &out);
	CHECK_EQ(c.bytes, bytes);
	CHECK_EQ(c.packets, packets);
	CHECK(nfx_agg_stats(a)->ports_rolled_up > 0, "no roll-up in the mix");
	CHECK(nfx_agg_stats(a)->contexts_expired > 0, "no expiry in the mix");
	CHECK(nfx_agg_stats(a)->contexts_dropped > 0, "the bound was never reached");
	CHECK(c.records < 200000, "nothing aggregated: %llu records",
	      (unsigned long long)c.records);
	CHECK_EQ(nfx_agg_stats(a)->records_flushed + nfx_agg_stats(a)->overflow_emitted,
		 c.records);
	/* Nothing is held after a flush_all. */
	collect_reset(&c);
	c.records = 0;
	nfx_agg_flush_all(a, t, &out);
	CHECK_EQ(c.records, 0);
	collect_free(&c);
	nfx_agg_free(a);
}

/* The aggregator as a decoder's sink, at the clock set beforehand. */
static void test_sink_callback(void)
{
	struct nfx_agg *a = agg_new(NULL);
	struct nfx_sink in = { .emit = nfx_agg_emit, .ctx = a };
	struct nfx_flow f = mkflow("192.0.2.1", "10.0.0.1", "10.0.0.2", 2000, 80);
	struct collect c;
	struct nfx_sink out = collect_sink(&c, 4);

	nfx_agg_tick(a, T0, &out);
	nfx_agg_set_now(a, T0 + 5 * S);
	in.emit(in.ctx, &f);
	in.emit(in.ctx, &f);
	CHECK_EQ(nfx_agg_stats(a)->contexts, 1);
	CHECK_EQ(nfx_agg_stats(a)->flows_merged, 1);
	nfx_agg_tick(a, T0 + 10 * S, &out);
	CHECK_EQ(c.n, 1);
	CHECK_EQ(c.bytes, 2000);
	collect_free(&c);
	nfx_agg_free(a);
}

static void test_bad_opts(void)
{
	struct nfx_agg_opts o = { .rollup_threshold = 1 };

	CHECK(nfx_agg_new(&o) == NULL, "threshold 1 accepted");
	o.rollup_threshold = 256;
	CHECK(nfx_agg_new(&o) == NULL, "threshold 256 accepted");
}

/* This process's resident set, in bytes (0 if unknown). */
static uint64_t rss_bytes(void)
{
	char line[256];
	uint64_t kb = 0;
	FILE *f = fopen("/proc/self/status", "r");

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "VmRSS:", 6))
			kb = strtoull(line + 6, NULL, 10);
	if (f)
		fclose(f);
	return kb * 1024;
}

/*
 * The figure the daemon checks against aggregator_max_memory (README
 * "Aggregation"): per context 528 bytes of context, 16 of index and
 * 2 x (entry + tag) of roll-up tracker, the entry 64 bytes at threshold
 * 10 and 1048 at 255; what nfx_agg_new() backs at once is the index and
 * the tracker, and that much is resident right after it.
 */
static void test_memory_figure(void)
{
	struct nfx_agg_opts o = { .max_contexts = 65536, .rollup_threshold = 10 };
	struct nfx_agg_mem m10, m255, moff;
	uint64_t fixed;
	int rc;

	rc = nfx_agg_mem(&o, &m10);
	CHECK_EQ(rc, 0);
	CHECK_EQ(m10.touched, 131072ull * (8 + 64 + 1));
	fixed = m10.total - m10.touched - 65536ull * 528;
	CHECK(m10.total > m10.touched + 65536ull * 528 && fixed < (2u << 20),
	      "total %llu, touched %llu: fixed part %llu", (unsigned long long)m10.total,
	      (unsigned long long)m10.touched, (unsigned long long)fixed);
	o.rollup_threshold = 255;
	nfx_agg_mem(&o, &m255);
	CHECK_EQ(m255.touched, 131072ull * (8 + 1048 + 1));
	CHECK_EQ(m255.total - m255.touched, m10.total - m10.touched);
	o.rollup_disabled = 1;
	nfx_agg_mem(&o, &moff);
	CHECK_EQ(moff.touched, 131072ull * 8);
	/* what nfx_agg_new() refuses has no figure */
	o = (struct nfx_agg_opts){ .rollup_threshold = NFX_AGG_ROLLUP_MAX + 1 };
	CHECK_EQ(nfx_agg_mem(&o, &m10), -EINVAL);
	o.rollup_threshold = NFX_AGG_ROLLUP_MIN - 1;
	CHECK_EQ(nfx_agg_mem(&o, &m10), -EINVAL);
}

static void test_memory_backed(void)
{
	struct nfx_agg_opts o = { .max_contexts = 262144, .rollup_threshold = 10 };
	struct nfx_agg_mem m;
	uint64_t before, grew;
	struct nfx_agg *a;

	nfx_agg_mem(&o, &m);
	before = rss_bytes();
	a = agg_new(&o);
	grew = rss_bytes() - before;
	CHECK_EQ(nfx_agg_stats(a)->memory_bytes, m.total);
#ifdef __SANITIZE_ADDRESS__
	(void)grew;	/* heap tables there, backed as they are used */
#else
	CHECK(before && grew + (64u << 10) >= m.touched && grew <= m.touched + (4u << 20),
	      "resident grew %llu bytes, the figure backed at once is %llu",
	      (unsigned long long)grew, (unsigned long long)m.touched);
#endif
	nfx_agg_free(a);
}

int main(void)
{
	RUN_TEST(test_merge_same_key);
	RUN_TEST(test_keys_apart);
	RUN_TEST(test_flush_timing);
	RUN_TEST(test_flush_delay_first);
	RUN_TEST(test_rollup_dst_side);
	RUN_TEST(test_rollup_src_side);
	RUN_TEST(test_rollup_tracker_bounded);
	RUN_TEST(test_rollup_rotation);
	RUN_TEST(test_rollup_disabled);
	RUN_TEST(test_rollup_recurring_rotation);
	RUN_TEST(test_rollup_recurring_decision);
	RUN_TEST(test_rollup_recurring_dropped);
	RUN_TEST(test_rollup_model);
	RUN_TEST(test_sequence_v9);
	RUN_TEST(test_sequence_v5_per_exporter);
	RUN_TEST(test_max_contexts);
	RUN_TEST(test_expiry_keeps_index);
	RUN_TEST(test_index_resizes);
	RUN_TEST(test_flush_all_sums);
	RUN_TEST(test_sink_callback);
	RUN_TEST(test_bad_opts);
	RUN_TEST(test_memory_figure);
	RUN_TEST(test_memory_backed);
	CHECK_EXIT();
}
