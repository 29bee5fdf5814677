// SPDX-License-Identifier: BSD-2-Clause
/*
 * agginsert.c - nfx_agg_add() alone: no decoder, no clock ticks, one
 * aggregator per run fed --flows flows at a single time, with the port
 * roll-up and without it.  The flows are made on the fly into one record,
 * as a decoder would hand them over, in a production-like mix (see
 * bench_flow()); the generator's own cost is measured first and taken out.
 * Times are this thread's CPU time, so the figures hold on a shared machine.
 * (It was test_agg's test_bench_insert, which timed and asserted nothing.)
 *
 *   agginsert [--flows N] [--pairs N] [--max-contexts N] [--repeat N]
 *       M flows per CPU-second, median of N runs, then the aggregator's
 *       state after the last run (contexts, merges, roll-ups).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agg/agg.h"

#define T0_MS	1700000000000ull	/* an epoch time in ms */
#define MAX_REPEAT	101

struct opts {
	unsigned long flows;		/* per run */
	uint32_t pairs;			/* client/server address pairs */
	uint32_t max_contexts;		/* 0: the aggregator's default */
	int repeat;
};

static uint64_t rnd_state;

static uint64_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state;
}

static double cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Skewed pick in [0, n): a few heavy hitters, a long tail. */
static uint32_t skewed(uint64_t r, uint32_t n)
{
	double u = (double)(r & 0xfffff) / 0x100000;

	return (uint32_t)(n * u * u * u);
}

/* The fields bench_flow() leaves alone: a v9 TCP record of one second. */
static struct nfx_flow base_flow(void)
{
	struct nfx_flow f = { 0 };

	f.type = NFX_TYPE_NETFLOW9;
	f.ip_version = 4;
	f.present = NFX_F_SRC_ADDR | NFX_F_DST_ADDR | NFX_F_PROTO | NFX_F_SRC_PORT |
		    NFX_F_DST_PORT | NFX_F_START | NFX_F_END | NFX_F_IN_IF | NFX_F_TOS;
	nfx_addr_parse(&f.exporter, "192.0.2.1");
	nfx_addr_parse(&f.src, "10.0.0.1");
	nfx_addr_parse(&f.dst, "10.1.0.1");
	f.proto = 6;
	f.bytes = 1000;
	f.packets = 10;
	f.start_ms = T0_MS;
	f.end_ms = T0_MS + 1000;
	f.in_if = 1;
	return f;
}

/*
 * The next flow of the mix: @pairs client/server address pairs picked with
 * a heavy skew, each pair with its own service port (443 for 3 in 8),
 * protocol and input interface, behind one of 4 exporters; 90% of the
 * flows go client to server from a random ephemeral port, 10% come back.
 */
static void bench_flow(struct nfx_flow *f, uint32_t pairs)
{
	static const uint16_t svc[] = { 443, 443, 443, 80, 53, 22, 123, 8080 };
	uint64_t r = rnd();
	uint32_t p = skewed(r, pairs), cl = p * 2654435761u, sv = p % 509;
	uint16_t eph = (uint16_t)(32768 + ((r >> 20) & 0x7fff));
	uint16_t port = svc[p & 7];
	int rev = ((r >> 36) & 15) < 2;
	struct nfx_addr *c = rev ? &f->dst : &f->src, *s = rev ? &f->src : &f->dst;

	memcpy(c->b + 12, &cl, 4);
	c->b[12] = 10;
	s->b[12] = 172;
	s->b[13] = 16;
	s->b[14] = (uint8_t)(sv >> 8);
	s->b[15] = (uint8_t)sv;
	f->exporter.b[15] = (uint8_t)(1 + (p & 3));
	f->src_port = rev ? port : eph;
	f->dst_port = rev ? eph : port;
	f->proto = port == 53 || port == 123 ? 17 : 6;
	f->in_if = (p >> 3) & 7;
	f->bytes = 40 + ((r >> 40) & 0xffff);
	f->packets = 1 + ((r >> 56) & 0xf);
	f->sequence++;
}

/* CPU seconds of making @o->flows flows without inserting them. */
static double generator_cost(const struct opts *o)
{
	struct nfx_flow f = base_flow();
	volatile uint64_t sink = 0;
	double t0 = cpu_now();

	rnd_state = 88172645463325252ull;
	for (unsigned long i = 0; i < o->flows; i++) {
		bench_flow(&f, o->pairs);
		sink += f.src_port;
	}
	return cpu_now() - t0;
}

/* One run into a new aggregator: its insert rate; @last keeps its state. */
static double run_once(const struct opts *o, int rollup_disabled, double gen_s,
		       struct nfx_agg_stats *last)
{
	struct nfx_agg_opts ao = { .rollup_disabled = rollup_disabled,
				   .max_contexts = o->max_contexts };
	struct nfx_agg *a = nfx_agg_new(&ao);
	struct nfx_flow f = base_flow();
	double t0;

	if (!a) {
		perror("nfx_agg_new");
		exit(1);
	}
	rnd_state = 88172645463325252ull;
	t0 = cpu_now();
	for (unsigned long i = 0; i < o->flows; i++) {
		bench_flow(&f, o->pairs);
		nfx_agg_add(a, &f, T0_MS);
	}
	t0 = cpu_now() - t0 - gen_s;
	*last = *nfx_agg_stats(a);
	nfx_agg_free(a);
	return o->flows / t0 / 1e6;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void bench(const struct opts *o, int rollup_disabled, double gen_s)
{
	double rates[MAX_REPEAT];
	struct nfx_agg_stats st = { 0 };

	for (int r = 0; r < o->repeat; r++)
		rates[r] = run_once(o, rollup_disabled, gen_s, &st);
	qsort(rates, (size_t)o->repeat, sizeof(rates[0]), cmp_d);
	printf("agg insert %s: %.2f M flows/CPU-s (median of %d; min %.2f max %.2f), %lu flows, "
	       "%llu contexts, %llu not held, %.1f%% merged, %llu rolled up, %llu tracker entries\n",
	       rollup_disabled ? "without roll-up" : "with roll-up", rates[o->repeat / 2],
	       o->repeat, rates[0], rates[o->repeat - 1], o->flows,
	       (unsigned long long)st.contexts, (unsigned long long)st.contexts_dropped,
	       100.0 * st.flows_merged / o->flows, (unsigned long long)st.ports_rolled_up,
	       (unsigned long long)st.rollup_cur_size);
}

int main(int argc, char **argv)
{
	struct opts o = { .flows = 5000000, .pairs = 5000, .repeat = 1 };
	double gen_s;

	for (int i = 1; i < argc; i++) {
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(argv[i], "--flows") && v)
			o.flows = strtoul(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--pairs") && v)
			o.pairs = (uint32_t)strtoul(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--max-contexts") && v)
			o.max_contexts = (uint32_t)strtoul(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--repeat") && v)
			o.repeat = atoi(argv[++i]);
		else {
			fprintf(stderr, "usage: agginsert [--flows N] [--pairs N] "
				"[--max-contexts N] [--repeat N]\n");
			return 2;
		}
	}
	if (!o.flows || !o.pairs || o.repeat < 1 || o.repeat > MAX_REPEAT) {
		fprintf(stderr, "agginsert: --flows and --pairs > 0, --repeat 1..%d\n",
			MAX_REPEAT);
		return 2;
	}
	gen_s = generator_cost(&o);
	bench(&o, 0, gen_s);
	bench(&o, 1, gen_s);
	return 0;
}
