// SPDX-License-Identifier: BSD-2-Clause
/*
 * ch_driver.c - the ClickHouse sink alone, and the NDJSON file writer it is
 * compared with, driven straight from decoded flows (no sockets, no decode
 * in the timed part).  Used by bench/clickhouse.sh.
 *
 * The flows are nfgen's: its builders make v5, v9 and IPFIX messages from
 * the same flow population as the end-to-end runs, libnfx decodes them once
 * (a third of each kind, 65 536 flows), and the timed loop hands those
 * decoded flows to the output over and over, as `nfxdp run --raw` does.
 *
 *   ch_driver ndjson FILE N
 *       N records through nfx_ndjson_write() into FILE (page cache, no
 *       fsync): records/s and CPU per record (one thread).
 *   ch_driver ch URL TABLE N [WINDOW]
 *       N rows through nfx_ch_push_flow() (default batching: 50 000 rows or
 *       1 s) into TABLE at URL, nfx_ch_tick() every 100 ms as the event loop
 *       does.  At most WINDOW rows (default 150 000, three batches) are held
 *       unacknowledged: the driver waits (sleeping, not spinning) when it is
 *       that far ahead, so what is measured is the rate the worker and the
 *       server sustain, not how fast the hand-over queue fills.  rows/s =
 *       N / the time from the first push until `SELECT count()` on TABLE
 *       (polled every 50 ms, less what it held before) has all N rows.  CPU:
 *       the event loop = this thread's CPU clock around the push/tick calls
 *       only; the worker = the process's CPU (getrusage) less this thread's,
 *       once every row is acknowledged (the count() polling runs on this
 *       thread and is in neither figure).
 *
 * One JSON object on stdout.
 */
#define NFGEN_NO_MAIN
#pragma GCC diagnostic ignored "-Wunused-function"
#include "nfgen.c"

#include <curl/curl.h>
#include <sys/resource.h>

#include "decode/decode.h"
#include "sink/ndjson.h"
#include "sink/ch.h"

#define POOL		256
#define NFLOWS		(1u << 16)

static struct nfx_flow *g_flows;
static unsigned int g_nflows;

static void collect(void *ctx, const struct nfx_flow *f)
{
	(void)ctx;
	if (g_nflows < NFLOWS)
		g_flows[g_nflows++] = *f;
}

/* nfgen's population, a third decoded from each protocol's messages */
static void make_decoded(void)
{
	struct opts o = { .hosts = 4096, .flows = 65536, .ephemeral = 50, .mtu_payload = 1472 };
	struct nfx_src src = { .port = 40000, .dst_port = 2055, .allow_checked = 1,
			       .now_ms = 1700000000500ull };
	struct nfx_sink s = { collect, NULL };
	struct flow *fl;
	uint8_t *buf = malloc(PKT_MAX);

	rng_state = 0x9e3779b97f4a7c15ull;
	fl = calloc(o.flows, sizeof(*fl));
	g_flows = calloc(NFLOWS, sizeof(*g_flows));
	if (!fl || !g_flows || !buf)
		abort();
	make_flows(fl, &o);
	nfx_addr_set_v4(&src.addr, (const uint8_t[]){ 10, 232, 0, 10 });
	for (int p = P_V5; p <= P_IPFIX; p++) {
		struct nfx_decoder *d = nfx_decoder_new(NULL);
		struct exporter e = { .domain = 1 };
		unsigned int stop_at = NFLOWS / 3 * (unsigned int)(p + 1);

		if (!d)
			abort();
		o.proto = (enum proto)p;
		o.rpp = p == P_V5 ? 30 : (o.mtu_payload - (p == P_V9 ? 24 : 20)) / rec_len(p == P_IPFIX);
		if (p != P_V5) {
			exporter_tmpl(&e, &o);
			patch(e.tmpl, &o, &e, 1700000000);
			nfx_decode(d, &src, e.tmpl, e.tmpl_len, &s);
		}
		if (p == P_IPFIX)
			stop_at = NFLOWS;
		while (g_nflows < stop_at) {
			struct pkt pk = { 0 };
			size_t len = p == P_V5 ? v5_build(buf, fl, &o, &pk) :
				     p == P_V9 ? v9_build(buf, fl, &o, &pk) :
				     ipfix_build(buf, fl, &o, 1700000000000ull, &pk);

			e.seq += p == P_V9 ? 1 : o.rpp;
			patch(buf, &o, &e, 1700000000);
			nfx_decode(d, &src, buf, len, &s);
		}
		nfx_decoder_free(d);
	}
	free(fl);
	free(buf);
}

static double thread_cpu(void)
{
	struct timespec t;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static double rusage_s(int who)
{
	struct rusage r;

	getrusage(who, &r);
	return (double)(r.ru_utime.tv_sec + r.ru_stime.tv_sec) +
	       (double)(r.ru_utime.tv_usec + r.ru_stime.tv_usec) / 1e6;
}

static uint64_t wall_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_REALTIME, &t);
	return (uint64_t)t.tv_sec * 1000 + (uint64_t)t.tv_nsec / 1000000;
}

static int run_ndjson(const char *path, uint64_t n)
{
	struct nfx_ndjson_opts no = { .path = path, .host = "bench" };
	struct nfx_ndjson *w = nfx_ndjson_open(&no);
	double t0, c0, t1, c1;
	uint64_t dropped;
	unsigned int i = 0;

	if (!w) {
		fprintf(stderr, "ch_driver: %s: %s\n", path, strerror(errno));
		return 1;
	}
	t0 = now_s();
	c0 = thread_cpu();
	for (uint64_t k = 0; k < n; k++) {
		if ((k & 8191) == 0) {
			/* what one event-loop round does: a time stamp, a flush */
			nfx_ndjson_flush(w);
			nfx_ndjson_set_now(w, wall_ms());
		}
		nfx_ndjson_write(w, &g_flows[i]);
		if (++i == g_nflows)
			i = 0;
	}
	dropped = nfx_ndjson_stats(w)->dropped;
	nfx_ndjson_close(w);
	t1 = now_s();
	c1 = thread_cpu();
	printf("{\"mode\":\"ndjson\",\"rows\":%llu,\"dropped\":%llu,\"seconds\":%.4f,"
	       "\"rows_per_s\":%.0f,\"cpu_s\":%.4f,\"cpu_us_per_row\":%.4f}\n",
	       (unsigned long long)n, (unsigned long long)dropped, t1 - t0, n / (t1 - t0),
	       c1 - c0, (c1 - c0) / n * 1e6);
	return 0;
}

/* ---- SELECT count() over HTTP ---- */

struct body {
	char buf[256];
	size_t len;
};

static size_t on_body(char *p, size_t sz, size_t nm, void *ud)
{
	struct body *b = ud;
	size_t n = sz * nm;

	if (b->len + n < sizeof(b->buf)) {
		memcpy(b->buf + b->len, p, n);
		b->len += n;
		b->buf[b->len] = 0;
	}
	return n;
}

/* rows in @table, or -1 */
static int64_t ch_count(CURL *h, const char *table)
{
	char q[300];
	struct body b = { .len = 0 };

	snprintf(q, sizeof(q), "SELECT count() FROM %s", table);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, q);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
	if (curl_easy_perform(h) != CURLE_OK)
		return -1;
	return b.len ? strtoll(b.buf, NULL, 10) : -1;
}

static int run_ch(const char *url, const char *table, uint64_t n, uint64_t window)
{
	struct nfx_ch_opts co = { .url = url, .table = table, .host = "bench" };
	struct nfx_ch_stats st;
	struct nfx_ch *c;
	CURL *h = curl_easy_init();
	int64_t base, cnt = 0;
	double t0, t_pushed = 0, t_acked = 0, t_all = 0, ev_cpu = 0, poll_at, self0, main0;
	double self1 = 0, main1 = 0, deadline;
	uint64_t k = 0, tick_at, waits = 0;
	unsigned int i = 0;

	if (!h)
		return 1;
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 5000L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	base = ch_count(h, table);
	if (base < 0) {
		fprintf(stderr, "ch_driver: SELECT count() FROM %s at %s failed\n", table, url);
		return 1;
	}
	c = nfx_ch_new(&co);
	if (!c) {
		fprintf(stderr, "ch_driver: nfx_ch_new: %s\n", strerror(errno));
		return 1;
	}
	self0 = rusage_s(RUSAGE_SELF);
	main0 = rusage_s(RUSAGE_THREAD);
	t0 = now_s();
	poll_at = t0 + 0.05;
	deadline = t0 + 600;
	tick_at = wall_ms() + 100;
	while (k < n) {
		double c0, t;
		uint64_t burst = n - k < 1024 ? n - k : 1024, now;

		nfx_ch_stats_read(c, &st);
		if (st.rows_pushed - st.rows_sent - st.rows_dropped > window) {
			/* the worker is a window behind: wait, as a loop on an idle socket would */
			usleep(1000);
			waits++;
		} else {
			c0 = thread_cpu();
			now = wall_ms();
			for (uint64_t j = 0; j < burst; j++) {
				nfx_ch_push_flow(c, &g_flows[i], now, NULL, NULL, NULL);
				if (++i == g_nflows)
					i = 0;
			}
			k += burst;
			if (now >= tick_at) {
				nfx_ch_tick(c, now);
				tick_at = now + 100;
			}
			ev_cpu += thread_cpu() - c0;
		}
		t = now_s();
		if (t >= poll_at) {
			cnt = ch_count(h, table);
			poll_at = t + 0.05;
		}
		if (t > deadline)
			break;
	}
	{
		double c0 = thread_cpu();

		nfx_ch_flush(c);	/* the last, partial batch: cut now, not at 1 s */
		ev_cpu += thread_cpu() - c0;
	}
	t_pushed = now_s() - t0;
	for (;;) {
		double t = now_s();

		nfx_ch_stats_read(c, &st);
		if (!t_acked && st.rows_sent + st.rows_dropped >= n) {
			t_acked = t - t0;
			self1 = rusage_s(RUSAGE_SELF);
			main1 = rusage_s(RUSAGE_THREAD);
		}
		if (t >= poll_at || t_acked) {
			cnt = ch_count(h, table);
			poll_at = t + 0.05;
			if (cnt >= 0 && (uint64_t)(cnt - base) >= st.rows_sent && t_acked) {
				t_all = now_s() - t0;
				break;
			}
		}
		if (t > deadline)
			break;
		usleep(t_acked ? 5000 : 2000);
	}
	if (!t_acked) {
		self1 = rusage_s(RUSAGE_SELF);
		main1 = rusage_s(RUSAGE_THREAD);
	}
	{
		double worker = (self1 - self0) - (main1 - main0);
		uint64_t rows = cnt > base ? (uint64_t)(cnt - base) : 0;

		printf("{\"mode\":\"clickhouse\",\"rows\":%llu,\"rows_in_table\":%llu,"
		       "\"rows_sent\":%llu,\"rows_dropped\":%llu,\"batches\":%llu,"
		       "\"bytes_sent\":%llu,\"retries\":%llu,\"send_errors\":%llu,"
		       "\"push_s\":%.4f,\"acked_s\":%.4f,\"all_in_table_s\":%.4f,"
		       "\"rows_per_s\":%.0f,\"window_waits\":%llu,"
		       "\"cpu_event_loop_s\":%.4f,\"cpu_worker_s\":%.4f,"
		       "\"cpu_us_per_row\":%.4f,\"cpu_event_loop_us_per_row\":%.4f,"
		       "\"cpu_worker_us_per_row\":%.4f}\n",
		       (unsigned long long)n, (unsigned long long)rows,
		       (unsigned long long)st.rows_sent, (unsigned long long)st.rows_dropped,
		       (unsigned long long)st.batches_sent, (unsigned long long)st.bytes_sent,
		       (unsigned long long)st.retries, (unsigned long long)st.send_errors,
		       t_pushed, t_acked, t_all, t_all > 0 ? rows / t_all : 0,
		       (unsigned long long)waits, ev_cpu, worker, (ev_cpu + worker) / n * 1e6,
		       ev_cpu / n * 1e6, worker / n * 1e6);
	}
	nfx_ch_free(c);
	curl_easy_cleanup(h);
	return t_all > 0 && st.rows_dropped == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "ndjson")) {
		make_decoded();
		return run_ndjson(argv[2], strtoull(argv[3], NULL, 10));
	}
	if ((argc == 5 || argc == 6) && !strcmp(argv[1], "ch")) {
		uint64_t n = strtoull(argv[4], NULL, 10);

		make_decoded();
		return run_ch(argv[2], argv[3], n,
			      argc == 6 ? strtoull(argv[5], NULL, 10) : 150000);
	}
	fprintf(stderr, "usage: ch_driver ndjson FILE N\n"
			"       ch_driver ch URL TABLE N [WINDOW]\n");
	return 2;
}
