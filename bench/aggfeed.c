// SPDX-License-Identifier: BSD-2-Clause
/*
 * aggfeed.c - the aggregator as the daemon runs it, without the network:
 * nfgen's own v5 packet pool (2048 packets of 30 records, 65 536 flows over
 * 4096 hosts, 8 exporters sending batches of 32 packets in turn) decoded
 * and handed to nfx_agg_add() with the daemon's default table sizes
 * (aggregator_max_contexts 1 048 576), the clock running at 1 M records/s
 * and nfx_agg_tick() called every simulated second.  Steady state: the
 * pool is fed once before measuring, so every context exists (~58 000).
 *
 *   aggfeed [--seconds S] [--repeat N] [agg|decode]
 *       records per CPU-second, median of N runs of S seconds of CPU
 *       time ("decode": the decoder
 *       alone into a counting sink, to take out of the "agg" figure)
 *   aggfeed --count N [agg|decode]
 *       exactly N records inside bench_feed(), for
 *       valgrind --tool=callgrind --toggle-collect='bench_*'
 */
#define NFGEN_NO_MAIN
#pragma GCC diagnostic ignored "-Wunused-function"
#include "nfgen.c"

#include "agg/agg.h"
#include "decode/decode.h"

#define NEXP		8
#define T0_MS		1700000000000ull

static struct pkt *g_pool;
static struct opts g_o;
static struct exporter g_ex[NEXP];
static struct nfx_src g_src[NEXP];

struct feed {
	struct nfx_decoder *d;
	struct nfx_agg *a;		/* NULL: decode only */
	uint64_t records;		/* fed so far: the clock */
	uint64_t sum;
	unsigned int cur, pi, nb;	/* exporter, pool index, packets left in batch */
	uint64_t next_tick_ms;
};

static void count_emit(void *ctx, const struct nfx_flow *f)
{
	struct feed *fd = ctx;

	fd->sum += f->bytes;
}

static void agg_sink(void *ctx, const struct nfx_flow *f)
{
	struct feed *fd = ctx;

	nfx_agg_add(fd->a, f, T0_MS + fd->records / 1000);
}

static void setup(void)
{
	struct flow *flows;

	g_o = (struct opts){ .proto = P_V5, .exporters = NEXP, .hosts = 4096, .flows = 65536,
			     .ephemeral = 50, .pool = 2048, .batch = 32, .rpp = 30,
			     .mtu_payload = 1472, .seed = 1 };
	rng_state = g_o.seed * 0x9e3779b97f4a7c15ull + 1;
	flows = calloc(g_o.flows, sizeof(*flows));
	g_pool = calloc(g_o.pool, sizeof(*g_pool));
	if (!flows || !g_pool)
		abort();
	make_flows(flows, &g_o);
	for (unsigned int i = 0; i < g_o.pool; i++) {
		g_pool[i].buf = malloc(PKT_MAX);
		if (!g_pool[i].buf)
			abort();
		g_pool[i].nrec = (uint16_t)g_o.rpp;
		g_pool[i].len = (uint16_t)v5_build(g_pool[i].buf, flows, &g_o, &g_pool[i]);
	}
	for (unsigned int i = 0; i < NEXP; i++) {
		nfx_addr_set_v4(&g_src[i].addr, (const uint8_t[]){ 10, 232, 0, (uint8_t)(10 + i) });
		g_src[i].port = 40000;
		g_src[i].dst_port = 2055;
		g_src[i].allow_checked = 1;
	}
	free(flows);
}

/* One packet, as nfgen would send it next. */
static inline void feed_one(struct feed *fd, const struct nfx_sink *s)
{
	struct pkt *pk = &g_pool[fd->pi];
	struct exporter *e = &g_ex[fd->cur];
	uint64_t now = T0_MS + fd->records / 1000;

	if (fd->a && now >= fd->next_tick_ms) {
		struct nfx_sink out = { count_emit, fd };

		nfx_agg_tick(fd->a, now, &out);
		fd->next_tick_ms = now + 1000;
	}
	patch(pk->buf, &g_o, e, (time_t)(now / 1000));
	e->seq += pk->nrec;
	g_src[fd->cur].now_ms = now;
	fd->records += (uint64_t)nfx_decode(fd->d, &g_src[fd->cur], pk->buf, pk->len, s);
	if (++fd->pi == g_o.pool)
		fd->pi = 0;
	if (++fd->nb == g_o.batch) {
		fd->nb = 0;
		if (++fd->cur == NEXP)
			fd->cur = 0;
	}
}

static __attribute__((noinline)) uint64_t bench_feed(struct feed *fd, uint64_t want)
{
	struct nfx_sink s = fd->a ? (struct nfx_sink){ agg_sink, fd }
				  : (struct nfx_sink){ count_emit, fd };
	uint64_t start = fd->records;

	while (fd->records - start < want)
		feed_one(fd, &s);
	return fd->records - start;
}

static void feed_init(struct feed *fd, int with_agg)
{
	struct nfx_agg_opts ao = { .max_contexts = 1u << 20 };	/* the daemon's default */
	struct nfx_sink s;

	memset(fd, 0, sizeof(*fd));
	fd->d = nfx_decoder_new(NULL);
	if (!fd->d)
		abort();
	if (with_agg) {
		fd->a = nfx_agg_new(&ao);
		if (!fd->a)
			abort();
	}
	/* warm up: the whole pool once, so every context exists */
	s = fd->a ? (struct nfx_sink){ agg_sink, fd } : (struct nfx_sink){ count_emit, fd };
	for (unsigned int i = 0; i < g_o.pool; i++)
		feed_one(fd, &s);
}

static double now_sec(void)
{
	struct timespec ts;

	/* CPU time: the figure holds when the machine is shared */
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	double seconds = 1.0, rates[101];
	int repeat = 5, with_agg = 1;
	uint64_t count = 0, n;
	struct feed fd;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--seconds") && i + 1 < argc)
			seconds = atof(argv[++i]);
		else if (!strcmp(argv[i], "--repeat") && i + 1 < argc)
			repeat = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--count") && i + 1 < argc)
			count = strtoull(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "decode"))
			with_agg = 0;
		else if (!strcmp(argv[i], "agg"))
			with_agg = 1;
		else {
			fprintf(stderr, "usage: aggfeed [--seconds S] [--repeat N] [--count N] "
				"[agg|decode]\n");
			return 2;
		}
	}
	if (repeat < 1 || repeat > 101 || seconds <= 0 || seconds > 60)
		return 2;
	setup();
	feed_init(&fd, with_agg);
	if (count) {
		n = bench_feed(&fd, count);
		printf("%s %llu records, %llu contexts\n", with_agg ? "agg" : "decode",
		       (unsigned long long)n,
		       fd.a ? (unsigned long long)nfx_agg_stats(fd.a)->contexts : 0ull);
	} else {
		double t0 = now_sec(), s;
		uint64_t calib;

		n = bench_feed(&fd, 200000);
		s = now_sec() - t0;
		calib = (uint64_t)(n / s * seconds);
		for (int r = 0; r < repeat; r++) {
			t0 = now_sec();
			n = bench_feed(&fd, calib);
			rates[r] = n / (now_sec() - t0);
		}
		qsort(rates, (size_t)repeat, sizeof(double), cmp_d);
		printf("%-6s %12.0f records/CPU-s (median of %d; min %.0f max %.0f), %llu contexts\n",
		       with_agg ? "agg" : "decode", rates[repeat / 2], repeat, rates[0],
		       rates[repeat - 1],
		       fd.a ? (unsigned long long)nfx_agg_stats(fd.a)->contexts : 0ull);
	}
	nfx_agg_free(fd.a);
	nfx_decoder_free(fd.d);
	return fd.sum == 42;
}
