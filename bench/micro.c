// SPDX-License-Identifier: BSD-2-Clause
/*
 * micro.c - decode-only microbenchmarks, no I/O.
 *
 * Messages come from nfgen's builders (same flow population, same
 * templates as the end-to-end runs), are built once and decoded over and
 * over by libnfx's decoders into a minimal sink that only counts.  Also:
 * NDJSON formatting of decoded flows, the NDJSON writer into /dev/null,
 * aggregator inserts, and decode+format as the raw pipeline does it.
 *
 *   micro [--seconds S] [--repeat N] [--json] [BENCH...]
 *       records/s per core, median of N runs of S seconds each
 *   micro --count N BENCH
 *       exactly N records through BENCH, for
 *       valgrind --tool=callgrind --toggle-collect='bench_*' (bench/run.sh
 *       divides the instructions by N: instructions per record)
 *
 * BENCH: v5 v9 ipfix ndjson ndjson_write agg v5_ndjson sflow (default: all).
 * sflow: sFlow v5 datagrams of 6 compact flow samples, each an extended
 * switch record and a raw header record (Ethernet, IPv4, TCP/UDP/ICMP, cut
 * at 128 bytes, as a switch sends them); a record is a flow sample.
 */
#define NFGEN_NO_MAIN
#pragma GCC diagnostic ignored "-Wunused-function"
#include "nfgen.c"

#include "agg/agg.h"
#include "decode/decode.h"
#include "sink/ndjson.h"

#define POOL		256
#define NFLOWS		(1u << 16)

struct counter {
	uint64_t n;
	uint64_t sum;
};

static void count_emit(void *ctx, const struct nfx_flow *f)
{
	struct counter *c = ctx;

	c->n++;
	c->sum += f->bytes;
}

struct msgs {
	uint8_t *buf[POOL];
	uint16_t len[POOL];
	uint8_t tmpl[PKT_MAX];
	uint16_t tmpl_len;
	unsigned int rpp;
};

static struct flow *g_flows;
static struct nfx_flow *g_decoded;	/* NFLOWS decoded v5 + v9 + ipfix flows */
static unsigned int g_ndecoded;

static void build_msgs(struct msgs *m, enum proto p)
{
	struct opts o = { .proto = p, .hosts = 4096, .flows = 65536, .ephemeral = 50,
			  .mtu_payload = 1472 };
	struct exporter e = { .domain = 1 };

	o.rpp = p == P_V5 ? 30 : (o.mtu_payload - (p == P_V9 ? 24 : 20)) / rec_len(p == P_IPFIX);
	m->rpp = o.rpp;
	for (unsigned int i = 0; i < POOL; i++) {
		struct pkt pk = { 0 };

		m->buf[i] = malloc(PKT_MAX);
		m->len[i] = (uint16_t)(p == P_V5 ? v5_build(m->buf[i], g_flows, &o, &pk) :
				       p == P_V9 ? v9_build(m->buf[i], g_flows, &o, &pk) :
				       ipfix_build(m->buf[i], g_flows, &o, 1700000000000ull, &pk));
		e.seq += p == P_V9 ? 1 : o.rpp;
		patch(m->buf[i], &o, &e, 1700000000);
	}
	if (p != P_V5) {
		exporter_tmpl(&e, &o);
		patch(e.tmpl, &o, &e, 1700000000);
		memcpy(m->tmpl, e.tmpl, e.tmpl_len);
		m->tmpl_len = e.tmpl_len;
	}
}

static struct msgs g_msgs[3];
static struct msgs g_sflow;
static struct nfx_src g_src;

/* ---- sFlow datagrams ---- */

/*
 * sFlow datagrams as nfgen sends them (sflow_build(): 1400-byte datagrams of
 * compact flow samples, each an extended switch record and a 128-byte raw
 * Ethernet header, 20 % IPv6), one agent with the datagram sequence advancing.
 */
static void build_sflow(struct msgs *m)
{
	struct opts o = { .proto = P_SFLOW, .hosts = 4096, .flows = 65536, .ephemeral = 50,
			  .mtu_payload = 1472, .sampling = 1000, .subagents = 1, .v6 = 20,
			  .sflow_switch = 1, .dgram_max = 1400 };
	unsigned int samples = 0;

	for (unsigned int i = 0; i < POOL; i++) {
		struct pkt pk = { 0 };

		m->buf[i] = malloc(PKT_MAX);
		if (!m->buf[i])
			abort();
		m->len[i] = (uint16_t)sflow_build(m->buf[i], g_flows, &o, &pk);
		put32(m->buf[i] + 8, 0x0ae8000a);	/* agent 10.232.0.10 */
		put32(m->buf[i] + 16, i + 1);		/* datagram sequence */
		samples += pk.nrec;
	}
	m->rpp = samples / POOL;	/* flow samples per datagram, for the per-record figures */
}

static struct nfx_decoder *new_decoder(enum proto p)
{
	struct nfx_decoder *d = nfx_decoder_new(NULL);
	struct counter c = { 0 };
	struct nfx_sink s = { count_emit, &c };

	if (!d)
		abort();
	if (p != P_V5)
		nfx_decode(d, &g_src, g_msgs[p].tmpl, g_msgs[p].tmpl_len, &s);
	return d;
}

/* ---- the benchmarks: each runs until @want records, returns records ---- */

static __attribute__((noinline)) uint64_t bench_decode(struct nfx_decoder *d, enum proto p,
							uint64_t want, struct counter *c)
{
	struct nfx_sink s = { count_emit, c };
	const struct msgs *m = &g_msgs[p];
	unsigned int i = 0;

	while (c->n < want) {
		nfx_decode(d, &g_src, m->buf[i], m->len[i], &s);
		if (++i == POOL)
			i = 0;
	}
	return c->n;
}

/* As bench_decode(), over the sFlow datagrams: records are flow samples. */
static __attribute__((noinline)) uint64_t bench_sflow(struct nfx_decoder *d, uint64_t want,
						       struct counter *c)
{
	struct nfx_sink s = { count_emit, c };
	unsigned int i = 0;

	while (c->n < want) {
		nfx_decode(d, &g_src, g_sflow.buf[i], g_sflow.len[i], &s);
		if (++i == POOL)
			i = 0;
	}
	return c->n;
}

static char g_fmtbuf[4096];

static __attribute__((noinline)) uint64_t bench_ndjson(uint64_t want, uint64_t *bytes)
{
	uint64_t n = 0;
	unsigned int i = 0;

	while (n < want) {
		int len = nfx_ndjson_format(g_fmtbuf, sizeof(g_fmtbuf), &g_decoded[i],
					    1700000000123ull, "default", "bench-host", 0);

		*bytes += (uint64_t)len;
		n++;
		if (++i == g_ndecoded)
			i = 0;
	}
	return n;
}

static __attribute__((noinline)) uint64_t bench_ndjson_write(struct nfx_ndjson *w, uint64_t want)
{
	uint64_t n = 0;
	unsigned int i = 0;

	while (n < want) {
		nfx_ndjson_write(w, &g_decoded[i]);
		n++;
		if (++i == g_ndecoded)
			i = 0;
	}
	nfx_ndjson_flush(w);
	return n;
}

static __attribute__((noinline)) uint64_t bench_agg(struct nfx_agg *a, uint64_t want)
{
	uint64_t n = 0;
	unsigned int i = 0;

	while (n < want) {
		nfx_agg_add(a, &g_decoded[i], 1700000000000ull);
		n++;
		if (++i == g_ndecoded)
			i = 0;
	}
	return n;
}

static void ndjson_sink(void *ctx, const struct nfx_flow *f)
{
	nfx_ndjson_write(ctx, f);
}

static __attribute__((noinline)) uint64_t bench_v5_ndjson(struct nfx_decoder *d,
							   struct nfx_ndjson *w, uint64_t want)
{
	struct nfx_sink s = { ndjson_sink, w };
	const struct msgs *m = &g_msgs[P_V5];
	uint64_t n = 0;
	unsigned int i = 0;

	while (n < want) {
		int r = nfx_decode(d, &g_src, m->buf[i], m->len[i], &s);

		n += r > 0 ? (uint64_t)r : 0;
		if (++i == POOL)
			i = 0;
	}
	nfx_ndjson_flush(w);
	return n;
}

static void collect(void *ctx, const struct nfx_flow *f)
{
	(void)ctx;
	if (g_ndecoded < NFLOWS)
		g_decoded[g_ndecoded++] = *f;
}

static void setup(void)
{
	struct opts o = { .hosts = 4096, .flows = 65536, .ephemeral = 50 };
	struct nfx_sink s = { collect, NULL };

	rng_state = 0x9e3779b97f4a7c15ull;
	g_flows = calloc(o.flows, sizeof(*g_flows));
	g_decoded = calloc(NFLOWS, sizeof(*g_decoded));
	if (!g_flows || !g_decoded)
		abort();
	make_flows(g_flows, &o);
	nfx_addr_set_v4(&g_src.addr, (const uint8_t[]){ 10, 232, 0, 10 });
	g_src.port = 40000;
	g_src.dst_port = 2055;
	g_src.allow_checked = 1;
	g_src.now_ms = 1700000000500ull;
	for (int p = P_V5; p <= P_IPFIX; p++)
		build_msgs(&g_msgs[p], (enum proto)p);
	build_sflow(&g_sflow);
	/* a third of each kind, so the formatter sees what each decoder makes */
	for (int p = P_V5; p <= P_IPFIX; p++) {
		struct nfx_decoder *d = new_decoder((enum proto)p);
		unsigned int stop_at = (unsigned int)(NFLOWS / 3 * (p + 1));

		for (unsigned int i = 0; g_ndecoded < stop_at && g_ndecoded < NFLOWS; i = (i + 1) % POOL)
			nfx_decode(d, &g_src, g_msgs[p].buf[i], g_msgs[p].len[i], &s);
		nfx_decoder_free(d);
	}
}

static const char *const names[] = { "v5", "v9", "ipfix", "ndjson", "ndjson_write", "agg",
				     "v5_ndjson", "sflow" };
#define NBENCH (sizeof(names) / sizeof(names[0]))

/* One run of bench @b for @want records; returns records, *secs the time. */
static uint64_t run_one(unsigned int b, uint64_t want, double *secs, uint64_t *aux)
{
	struct nfx_decoder *d = NULL;
	struct nfx_ndjson *w = NULL;
	struct nfx_agg *a = NULL;
	struct counter c = { 0 };
	uint64_t n = 0;
	double t0;

	if (b <= 2 || b == 6 || b == 7)
		d = new_decoder(b <= 2 ? (enum proto)b : P_V5);
	if (b == 4 || b == 6) {
		struct nfx_ndjson_opts no = { .path = "/dev/null", .host = "bench-host" };

		w = nfx_ndjson_open(&no);
		if (!w)
			abort();
		nfx_ndjson_set_now(w, 1700000000123ull);
	}
	if (b == 5) {
		a = nfx_agg_new(NULL);
		if (!a)
			abort();
	}
	t0 = now_s();
	switch (b) {
	case 0: case 1: case 2: n = bench_decode(d, (enum proto)b, want, &c); break;
	case 3: n = bench_ndjson(want, aux); break;
	case 4: n = bench_ndjson_write(w, want); break;
	case 5: n = bench_agg(a, want); break;
	case 6: n = bench_v5_ndjson(d, w, want); break;
	case 7: n = bench_sflow(d, want, &c); break;
	}
	*secs = now_s() - t0;
	if (b <= 2 || b == 7)
		*aux += c.sum;
	nfx_decoder_free(d);
	nfx_ndjson_close(w);
	nfx_agg_free(a);
	return n;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	double seconds = 1.0;
	int repeat = 5, json = 0, first = 1;
	uint64_t count = 0, aux = 0;
	int want[NBENCH] = { 0 }, any = 0;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--seconds") && i + 1 < argc)
			seconds = atof(argv[++i]);
		else if (!strcmp(argv[i], "--repeat") && i + 1 < argc)
			repeat = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--count") && i + 1 < argc)
			count = strtoull(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--json"))
			json = 1;
		else {
			unsigned int b;

			for (b = 0; b < NBENCH && strcmp(argv[i], names[b]); b++)
				;
			if (b == NBENCH) {
				fprintf(stderr, "usage: micro [--seconds S] [--repeat N] [--count N] "
					"[--json] [v5|v9|ipfix|ndjson|ndjson_write|agg|v5_ndjson|sflow]...\n");
				return 2;
			}
			want[b] = any = 1;
		}
	}
	if (repeat < 1 || repeat > 101 || seconds <= 0 || seconds > 60)
		return 2;
	setup();
	if (count) {
		/* fixed work for callgrind: one run per selected bench */
		for (unsigned int b = 0; b < NBENCH; b++) {
			double s;

			if (any && !want[b])
				continue;
			printf("%s %llu\n", names[b], (unsigned long long)run_one(b, count, &s, &aux));
		}
		return aux == 42;	/* keeps aux alive */
	}
	if (json)
		printf("{");
	for (unsigned int b = 0; b < NBENCH; b++) {
		double rates[101], s;
		uint64_t calib = 200000, n;

		if (any && !want[b])
			continue;
		/* calibrate: records for about @seconds */
		n = run_one(b, calib, &s, &aux);
		calib = s > 0 ? (uint64_t)(n / s * seconds) : calib * 10;
		if (calib < 1000)
			calib = 1000;
		for (int r = 0; r < repeat; r++) {
			n = run_one(b, calib, &s, &aux);
			rates[r] = n / s;
		}
		qsort(rates, (size_t)repeat, sizeof(double), cmp_d);
		if (json)
			printf("%s\"%s\":{\"median\":%.0f,\"min\":%.0f,\"max\":%.0f}", first ? "" : ",",
			       names[b], rates[repeat / 2], rates[0], rates[repeat - 1]);
		else
			printf("%-13s %12.0f records/s (median of %d; min %.0f max %.0f)\n", names[b],
			       rates[repeat / 2], repeat, rates[0], rates[repeat - 1]);
		first = 0;
		fflush(stdout);
	}
	if (json)
		printf("}\n");
	return aux == 42;
}
