// SPDX-License-Identifier: BSD-2-Clause
/*
 * test_sink_ch.c - the ClickHouse sink against a fake HTTP server (a
 * socket thread in this test answering 200, 500, or not at all): batching
 * by count and by time, one kept-alive connection, retries of identical
 * bytes, the spool (write, bound, drain order, leftovers of an earlier
 * run, lock), pushes that never block on a hanging server, the counters,
 * and the flat row format against the schema's columns.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <json-c/json.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <dirent.h>
#include <zlib.h>

#include "sink/ch_schema.h"
#include "check.h"
#include "sink/ch.h"
#include "sink/ndjson.h"

/* ---- fake server ---- */

enum { ANSWER_200, ANSWER_500, ANSWER_HANG };

#define MAX_REQ 4096

struct req {
	char *body;		/* as received (gzip) */
	size_t len;
	char target[512];
	int gzip_header;
};

struct fake {
	int lfd;
	uint16_t port;
	pthread_t thread;
	atomic_int mode;
	atomic_int stop;
	atomic_int nconn;
	atomic_int nreq;		/* requests answered or held */
	pthread_mutex_t lock;
	struct req reqs[MAX_REQ];
	int nreqs;			/* requests answered 200 or 500, recorded */
};

static uint64_t mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* one byte at a time is slow; read what is there into buf */
static ssize_t read_some(struct fake *s, int fd, char *buf, size_t size)
{
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int n = poll(&p, 1, 50);

		if (s->stop)
			return -1;
		if (n <= 0)
			continue;
		return read(fd, buf, size);
	}
}

static void serve_conn(struct fake *s, int fd)
{
	size_t cap = 1 << 20, have = 0;
	char *buf = malloc(cap);

	while (buf && !s->stop) {
		char *eoh, *cl;
		size_t hlen, blen, want;
		ssize_t n;
		int mode;

		while (!(eoh = memmem(buf, have, "\r\n\r\n", 4))) {
			if (have == cap)
				goto out;
			n = read_some(s, fd, buf + have, cap - have);
			if (n <= 0)
				goto out;
			have += (size_t)n;
		}
		hlen = (size_t)(eoh - buf) + 4;
		buf[hlen - 1] = 0;
		cl = strcasestr(buf, "\r\nContent-Length:");
		blen = cl ? strtoul(cl + 17, NULL, 10) : 0;
		want = hlen + blen;
		if (want > cap) {
			char *p = realloc(buf, want);

			if (!p)
				goto out;
			buf = p;
			cap = want;
		}
		while (have < want) {
			n = read_some(s, fd, buf + have, cap - have);
			if (n <= 0)
				goto out;
			have += (size_t)n;
		}
		s->nreq++;
		while ((mode = s->mode) == ANSWER_HANG && !s->stop)
			usleep(5000);
		if (s->stop)
			goto out;
		pthread_mutex_lock(&s->lock);
		if (s->nreqs < MAX_REQ) {
			struct req *r = &s->reqs[s->nreqs++];
			char *sp = strchr(buf, ' ');

			r->body = malloc(blen ? blen : 1);
			memcpy(r->body, buf + hlen, blen);
			r->len = blen;
			if (sp)
				snprintf(r->target, sizeof(r->target), "%.*s",
					 (int)strcspn(sp + 1, " "), sp + 1);
			r->gzip_header = strcasestr(buf, "\r\nContent-Encoding: gzip") != NULL;
		}
		pthread_mutex_unlock(&s->lock);
		if (mode == ANSWER_200) {
			static const char ok[] = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n"
						 "Connection: keep-alive\r\n\r\n";
			if (write(fd, ok, sizeof(ok) - 1) < 0)
				goto out;
		} else {
			static const char msg[] = "Code: 252, e.displayText() = test\n";
			char bad[256];
			int n = snprintf(bad, sizeof(bad), "HTTP/1.1 500 Internal Server Error\r\n"
					 "Content-Length: %zu\r\n\r\n%s", sizeof(msg) - 1, msg);

			if (write(fd, bad, (size_t)n) < 0)
				goto out;
		}
		memmove(buf, buf + want, have - want);
		have -= want;
	}
out:
	free(buf);
	close(fd);
}

static void *fake_main(void *arg)
{
	struct fake *s = arg;

	while (!s->stop) {
		struct pollfd p = { .fd = s->lfd, .events = POLLIN };
		int fd;

		if (poll(&p, 1, 50) <= 0)
			continue;
		fd = accept(s->lfd, NULL, NULL);
		if (fd < 0)
			continue;
		s->nconn++;
		serve_conn(s, fd);	/* the sink uses one connection at a time */
	}
	return NULL;
}

static struct fake *fake_start(int mode)
{
	struct fake *s = calloc(1, sizeof(*s));
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);

	pthread_mutex_init(&s->lock, NULL);
	s->mode = mode;
	s->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (bind(s->lfd, (struct sockaddr *)&a, sizeof(a)) || listen(s->lfd, 8) ||
	    getsockname(s->lfd, (struct sockaddr *)&a, &len)) {
		perror("fake server");
		exit(1);
	}
	s->port = ntohs(a.sin_port);
	pthread_create(&s->thread, NULL, fake_main, s);
	return s;
}

static void fake_stop(struct fake *s)
{
	s->stop = 1;
	pthread_join(s->thread, NULL);
	close(s->lfd);
	for (int i = 0; i < s->nreqs; i++)
		free(s->reqs[i].body);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

static int fake_nreqs(struct fake *s)
{
	int n;

	pthread_mutex_lock(&s->lock);
	n = s->nreqs;
	pthread_mutex_unlock(&s->lock);
	return n;
}

/* gunzip request @i into a new string */
static char *body_text(struct fake *s, int i, size_t *outlen)
{
	size_t cap = 1 << 16, len = 0;
	char *out = malloc(cap);
	z_stream z = { 0 };
	int rc;

	pthread_mutex_lock(&s->lock);
	inflateInit2(&z, 15 + 16);
	z.next_in = (Bytef *)s->reqs[i].body;
	z.avail_in = (uInt)s->reqs[i].len;
	do {
		if (cap - len < 4096) {
			cap *= 2;
			out = realloc(out, cap);
		}
		z.next_out = (Bytef *)out + len;
		z.avail_out = (uInt)(cap - len - 1);
		rc = inflate(&z, Z_NO_FLUSH);
		len = cap - 1 - z.avail_out;
	} while (rc == Z_OK);
	inflateEnd(&z);
	pthread_mutex_unlock(&s->lock);
	out[len] = 0;
	if (outlen)
		*outlen = len;
	if (rc != Z_STREAM_END) {
		free(out);
		return NULL;
	}
	return out;
}

static int count_lines(const char *t)
{
	int n = 0;

	for (; t && *t; t++)
		n += *t == '\n';
	return n;
}

/* the "i" of the first row of request @i, -1 if none */
static long first_index(struct fake *s, int i)
{
	char *t = i >= 0 && i < fake_nreqs(s) ? body_text(s, i, NULL) : NULL;
	long v = -1;

	if (t && !strncmp(t, "{\"i\":", 5))
		v = strtol(t + 5, NULL, 10);
	free(t);
	return v;
}

static int wait_for(struct fake *s, int nreqs, int ms)
{
	for (int i = 0; i < ms / 5; i++) {
		if (fake_nreqs(s) >= nreqs)
			return 1;
		usleep(5000);
	}
	return fake_nreqs(s) >= nreqs;
}

static int wait_stat(struct nfx_ch *c, size_t off, uint64_t want, int ms)
{
	struct nfx_ch_stats st;

	for (int i = 0; i <= ms / 5; i++) {
		nfx_ch_stats_read(c, &st);
		if (*(uint64_t *)((char *)&st + off) >= want)
			return 1;
		usleep(5000);
	}
	return 0;
}

#define WAIT_STAT(c, field, want, ms) wait_stat(c, offsetof(struct nfx_ch_stats, field), want, ms)

static void push_rows(struct nfx_ch *c, long first, long n)
{
	char line[64];

	for (long i = first; i < first + n; i++) {
		int len = snprintf(line, sizeof(line), "{\"i\":%ld}\n", i);

		nfx_ch_push(c, line, (size_t)len, 1);
	}
}

static char url[128];

static struct nfx_ch *sink(struct fake *s, struct nfx_ch_opts o)
{
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/?database=default", s->port);
	o.url = url;
	if (!o.retry_min_ms)
		o.retry_min_ms = 20;
	if (!o.retry_max_ms)
		o.retry_max_ms = 80;
	if (!o.batch_ms)
		o.batch_ms = 100000;	/* count cuts only unless a test says so */
	return nfx_ch_new(&o);
}

static char tmpdir[64];

static void rm_rf(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char p[512];

	if (!d)
		return;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
		unlink(p);
	}
	closedir(d);
	rmdir(dir);
}

static int spool_files(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	if (!d)
		return -1;
	while ((de = readdir(d)))
		n += strstr(de->d_name, ".gz") && !strstr(de->d_name, ".tmp");
	closedir(d);
	return n;
}

/* ---- tests ---- */

static void test_batch_by_count(void)
{
	struct fake *s = fake_start(ANSWER_200);
	struct nfx_ch *c = sink(s, (struct nfx_ch_opts){ .batch_rows = 100, .table = "t1" });
	char *t;

	CHECK(c, "nfx_ch_new: %s", strerror(errno));
	if (!c)
		return;
	push_rows(c, 0, 250);
	CHECK(wait_for(s, 2, 3000), "2 batches expected, got %d", fake_nreqs(s));
	usleep(100000);
	CHECK_EQ(fake_nreqs(s), 2);		/* the 50 rows wait for a cut */
	t = body_text(s, 0, NULL);
	CHECK(t && count_lines(t) == 100, "first batch: %d lines", count_lines(t));
	CHECK(t && !strncmp(t, "{\"i\":0}\n{\"i\":1}\n", 16), "first rows: %.20s", t ? t : "-");
	free(t);
	CHECK(s->reqs[0].gzip_header, "no Content-Encoding: gzip");
	CHECK(strstr(s->reqs[0].target, "database=default&query=INSERT%20INTO%20t1%20FORMAT"
				       "%20JSONEachRow") != NULL, "target %s", s->reqs[0].target);
	nfx_ch_flush(c);
	CHECK(wait_for(s, 3, 3000), "the cut batch was not sent");
	t = body_text(s, 2, NULL);
	CHECK_EQ(count_lines(t), 50);
	free(t);
	CHECK(WAIT_STAT(c, rows_sent, 250, 2000), "rows_sent");
	CHECK_EQ(nfx_ch_stats(c)->batches_sent, 3);
	CHECK_EQ(nfx_ch_stats(c)->rows_pushed, 250);
	CHECK_EQ(nfx_ch_stats(c)->retries, 0);
	CHECK_EQ(nfx_ch_stats(c)->rows_pending, 0);
	CHECK(nfx_ch_stats(c)->bytes_sent > 0 && nfx_ch_stats(c)->bytes_sent < 250 * 10,
	      "bytes_sent %llu", (unsigned long long)nfx_ch_stats(c)->bytes_sent);
	CHECK_EQ(s->nconn, 1);			/* kept alive */
	nfx_ch_free(c);
	fake_stop(s);
}

static void test_batch_by_time(void)
{
	struct fake *s = fake_start(ANSWER_200);
	struct nfx_ch *c = sink(s, (struct nfx_ch_opts){ .batch_rows = 1000, .batch_ms = 500 });
	char *t;

	if (!c)
		return;
	nfx_ch_tick(c, 10000);
	push_rows(c, 0, 10);
	nfx_ch_tick(c, 10300);
	usleep(100000);
	CHECK_EQ(fake_nreqs(s), 0);
	nfx_ch_tick(c, 10500);
	CHECK(wait_for(s, 1, 3000), "not cut at batch_ms");
	t = body_text(s, 0, NULL);
	CHECK_EQ(count_lines(t), 10);
	free(t);
	/* an empty batch is never sent */
	nfx_ch_tick(c, 20000);
	usleep(50000);
	CHECK_EQ(fake_nreqs(s), 1);
	nfx_ch_free(c);
	fake_stop(s);
}

static void test_retry_identical(void)
{
	struct fake *s = fake_start(ANSWER_500);
	struct nfx_ch *c = sink(s, (struct nfx_ch_opts){ .batch_rows = 50 });
	const struct nfx_ch_stats *st;

	if (!c)
		return;
	push_rows(c, 0, 50);
	CHECK(wait_for(s, 3, 3000), "3 attempts expected, got %d", fake_nreqs(s));
	s->mode = ANSWER_200;
	CHECK(WAIT_STAT(c, rows_sent, 50, 3000), "never sent");
	st = nfx_ch_stats(c);
	CHECK(st->send_errors >= 3, "send_errors %llu", (unsigned long long)st->send_errors);
	CHECK_EQ(st->retries, st->send_errors);
	CHECK_EQ(st->batches_sent, 1);
	CHECK_EQ(st->rows_dropped, 0);
	pthread_mutex_lock(&s->lock);
	for (int i = 1; i < s->nreqs; i++)
		CHECK(s->reqs[i].len == s->reqs[0].len &&
		      !memcmp(s->reqs[i].body, s->reqs[0].body, s->reqs[0].len),
		      "attempt %d differs from the first", i);
	pthread_mutex_unlock(&s->lock);
	nfx_ch_free(c);
	fake_stop(s);
}

static void test_spool_and_drain_order(void)
{
	struct fake *s = fake_start(ANSWER_500);
	struct nfx_ch *c, *c2;
	int n;

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/nfx-chspool.XXXXXX");
	if (!mkdtemp(tmpdir))
		return;
	c = sink(s, (struct nfx_ch_opts){ .batch_rows = 20, .spool_dir = tmpdir });
	CHECK(c, "nfx_ch_new: %s", strerror(errno));
	if (!c)
		return;
	/* a second collector on the same spool is refused */
	c2 = sink(s, (struct nfx_ch_opts){ .spool_dir = tmpdir });
	CHECK(!c2 && errno == EBUSY, "second sink on the spool: %p %s", (void *)c2,
	      strerror(errno));
	nfx_ch_free(c2);
	for (int b = 0; b < 5; b++) {
		push_rows(c, b * 20, 20);
		usleep(30000);
	}
	CHECK(WAIT_STAT(c, batches_spooled, 5, 3000), "spooled %llu batches",
	      (unsigned long long)nfx_ch_stats(c)->batches_spooled);
	CHECK_EQ(spool_files(tmpdir), 5);
	CHECK(nfx_ch_stats(c)->bytes_spooled > 0, "bytes_spooled 0");
	CHECK_EQ(nfx_ch_stats(c)->bytes_spooled_total, nfx_ch_stats(c)->bytes_spooled);
	CHECK_EQ(nfx_ch_stats(c)->server_down, 1);
	CHECK_EQ(nfx_ch_stats(c)->rows_pending, 100);
	n = fake_nreqs(s);
	s->mode = ANSWER_200;
	CHECK(WAIT_STAT(c, rows_sent, 100, 5000), "drained %llu rows",
	      (unsigned long long)nfx_ch_stats(c)->rows_sent);
	CHECK_EQ(spool_files(tmpdir), 0);
	CHECK_EQ(nfx_ch_stats(c)->bytes_spooled, 0);
	CHECK_EQ(nfx_ch_stats(c)->batches_sent, 5);
	CHECK_EQ(nfx_ch_stats(c)->server_down, 0);
	/* the last 5 requests are the accepted ones: batches 0..4, in order */
	for (int i = 0; i < 5; i++)
		CHECK(first_index(s, fake_nreqs(s) - 5 + i) == i * 20, "accepted %d starts at %ld",
		      i, first_index(s, fake_nreqs(s) - 5 + i));
	(void)n;
	nfx_ch_free(c);
	fake_stop(s);
	rm_rf(tmpdir);
}

static void test_spool_bound_drops_oldest(void)
{
	struct fake *s = fake_start(ANSWER_500);
	struct nfx_ch *c;
	uint64_t one;

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/nfx-chspool.XXXXXX");
	if (!mkdtemp(tmpdir))
		return;
	/* measure one batch's compressed size (batches of 100 similar rows) */
	c = sink(s, (struct nfx_ch_opts){ .batch_rows = 100, .spool_dir = tmpdir });
	if (!c)
		return;
	push_rows(c, 0, 100);
	CHECK(WAIT_STAT(c, batches_spooled, 1, 3000), "first batch not spooled");
	one = nfx_ch_stats(c)->bytes_spooled;
	nfx_ch_free(c);
	rm_rf(tmpdir);
	mkdir(tmpdir, 0700);

	/* no retry while the 8 batches are cut: the first failure decides */
	c = sink(s, (struct nfx_ch_opts){ .batch_rows = 100, .spool_dir = tmpdir,
					   .spool_max_bytes = one * 3 + one / 2,
					   .retry_min_ms = 400, .retry_max_ms = 400 });
	if (!c)
		return;
	for (int b = 0; b < 8; b++) {
		push_rows(c, 1000 + b * 100, 100);
		usleep(20000);
	}
	CHECK(WAIT_STAT(c, rows_dropped, 500, 3000), "rows_dropped %llu",
	      (unsigned long long)nfx_ch_stats(c)->rows_dropped);
	CHECK(nfx_ch_stats(c)->bytes_spooled <= one * 3 + one / 2, "spool over its bound");
	CHECK(spool_files(tmpdir) >= 2 && spool_files(tmpdir) <= 3, "%d files",
	      spool_files(tmpdir));
	s->mode = ANSWER_200;
	CHECK(WAIT_STAT(c, rows_sent, 300, 5000), "rows_sent %llu",
	      (unsigned long long)nfx_ch_stats(c)->rows_sent);
	/* what arrived is the newest: batches 5, 6, 7 (1500..1799), in order */
	for (int i = 0; i < 3; i++)
		CHECK(first_index(s, fake_nreqs(s) - 3 + i) == 1500 + i * 100,
		      "accepted %d starts at %ld", i, first_index(s, fake_nreqs(s) - 3 + i));
	CHECK_EQ(nfx_ch_stats(c)->rows_dropped + nfx_ch_stats(c)->rows_sent, 800);
	CHECK_EQ(nfx_ch_stats(c)->batches_dropped, 5);
	nfx_ch_free(c);
	fake_stop(s);
	rm_rf(tmpdir);
}

static void test_never_blocks_and_restart(void)
{
	struct fake *s = fake_start(ANSWER_HANG);
	uint64_t worst = 0, t0, t;
	struct nfx_ch *c;
	long pushed = 0;

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/nfx-chspool.XXXXXX");
	if (!mkdtemp(tmpdir))
		return;
	c = sink(s, (struct nfx_ch_opts){ .batch_rows = 1000, .spool_dir = tmpdir,
					   .timeout_ms = 60000, .close_timeout_ms = 300,
					   .mem_max_bytes = 64 << 10 });
	if (!c)
		return;
	/* the server takes the first request and never answers */
	for (int round = 0; round < 200; round++) {
		t0 = mono_us();
		push_rows(c, pushed, 1000);
		t = mono_us() - t0;
		if (t > worst)
			worst = t;
		pushed += 1000;
	}
	printf("# 200000 rows pushed to a hanging server, slowest 1000-row push %llu us\n",
	       (unsigned long long)worst);
	CHECK(worst < 100000, "a push took %llu us", (unsigned long long)worst);
	CHECK(wait_for(s, 0, 10) && s->nreq >= 1, "server saw no request");
	/* memory bound reached: the rest went to the spool */
	CHECK(WAIT_STAT(c, batches_spooled, 100, 5000), "spooled %llu",
	      (unsigned long long)nfx_ch_stats(c)->batches_spooled);
	t0 = mono_us();
	nfx_ch_free(c);
	t = mono_us() - t0;
	CHECK(t < 3000000, "nfx_ch_free took %llu us", (unsigned long long)t);
	CHECK_EQ(spool_files(tmpdir), 200);	/* the hung one too */

	/* next run: leftovers first, in order, then new rows */
	s->mode = ANSWER_200;
	c = sink(s, (struct nfx_ch_opts){ .batch_rows = 1000, .spool_dir = tmpdir });
	CHECK(c, "reopen: %s", strerror(errno));
	if (!c)
		return;
	CHECK_EQ(nfx_ch_stats(c)->batches_spooled, 200);
	push_rows(c, pushed, 1000);
	CHECK(WAIT_STAT(c, rows_sent, 201000, 20000), "rows_sent %llu",
	      (unsigned long long)nfx_ch_stats(c)->rows_sent);
	{
		long prev = -1;
		int ordered = 1, n = fake_nreqs(s);

		for (int i = 0; i < n; i++) {
			long f = first_index(s, i);

			if (f < 0)
				continue;
			if (f <= prev && f != 0)	/* the hung batch 0 may come twice */
				ordered = 0;
			prev = f;
		}
		CHECK(ordered, "batches out of order");
		CHECK_EQ(first_index(s, n - 1), 200000);
	}
	CHECK_EQ(nfx_ch_stats(c)->rows_dropped, 0);
	CHECK_EQ(spool_files(tmpdir), 0);
	nfx_ch_free(c);
	fake_stop(s);
	rm_rf(tmpdir);
}

static void test_no_spool_memory_bound(void)
{
	struct fake *s = fake_start(ANSWER_500);
	struct nfx_ch *c = sink(s, (struct nfx_ch_opts){ .batch_rows = 100,
							 .mem_max_bytes = 4096,
							 .close_timeout_ms = 200 });

	if (!c)
		return;
	for (int b = 0; b < 50; b++)
		push_rows(c, b * 100, 100);
	CHECK(WAIT_STAT(c, rows_dropped, 100, 3000), "nothing dropped at the memory bound");
	CHECK(nfx_ch_stats(c)->rows_pending <= 5000, "pending");
	nfx_ch_free(c);
	fake_stop(s);
}

static void test_bad_options(void)
{
	struct nfx_ch_opts o = { .url = "ftp://x" };

	CHECK(!nfx_ch_new(&o) && errno == EINVAL, "ftp url accepted");
	o.url = "http://127.0.0.1:1/";
	o.table = "flows; DROP TABLE x";
	CHECK(!nfx_ch_new(&o) && errno == EINVAL, "bad table accepted");
}

/* Every key of a formatted row is a column, with a value of its type. */
/* Every key of row @o names a column of the table; @return the key count. */
static int keys_are_columns(struct json_object *o)
{
	int keys = 0;

	json_object_object_foreach(o, key, val) {
		size_t i;

		(void)val;
		keys++;
		for (i = 0; i < nfx_ch_ncolumns; i++)
			if (!strcmp(nfx_ch_columns[i].name, key))
				break;
		CHECK(i < nfx_ch_ncolumns, "key %s is not a column", key);
	}
	return keys;
}

static void test_row_format(void)
{
	struct nfx_flow f = { 0 };
	uint8_t a[4] = { 10, 0, 0, 1 }, b[4] = { 192, 168, 7, 200 }, e[4] = { 172, 16, 0, 9 };
	char buf[2048];
	struct json_object *o, *v;
	int n, keys = 0;

	f.type = NFX_TYPE_NETFLOW9;
	f.ip_version = 4;
	f.proto = 6;
	f.bytes = 1234567890123ull;
	f.packets = 42;
	f.start_ms = 1700000000123ull;
	f.end_ms = 1700000005999ull;
	f.src_port = 443;
	f.dst_port = 51000;
	f.in_if = 7;
	f.out_if = 9;
	f.tcp_flags = 0x12;
	f.tos = 4;
	f.vlan = 100;
	f.src_mask = 24;
	f.dst_mask = 16;
	f.present = NFX_F_START | NFX_F_END | NFX_F_TOS | NFX_F_VLAN | NFX_F_NEXT_HOP |
		    NFX_F_DST_PORT_ROLLUP | NFX_F_SRC_AS;
	f.src_as = 65001;
	nfx_addr_set_v4(&f.src, a);
	nfx_addr_set_v4(&f.dst, b);
	nfx_addr_set_v4(&f.exporter, e);
	nfx_addr_set_v4(&f.next_hop, e);
	n = nfx_ch_format(buf, sizeof(buf), &f, 1700000010000ull, "ns\\\"x", "h1", NULL);
	CHECK(n > 0, "format: %d", n);
	if (n <= 0)
		return;
	buf[n] = 0;
	o = json_tokener_parse(buf);
	CHECK(o, "not JSON: %s", buf);
	if (!o)
		return;
	keys = keys_are_columns(o);
	CHECK(keys >= 26, "%d keys", keys);
#define STR(k, want)                                                                  \
	CHECK(json_object_object_get_ex(o, k, &v) && !strcmp(json_object_get_string(v), want), \
	      "%s = %s, want %s", k, v ? json_object_get_string(v) : "-", want)
#define NUM(k, want)                                                                  \
	CHECK(json_object_object_get_ex(o, k, &v) && (uint64_t)json_object_get_int64(v) == (want), \
	      "%s = %s", k, v ? json_object_get_string(v) : "-")
	NUM("time", 1700000010ull);
	NUM("flush_timestamp", 1700000010000ull);
	NUM("start", 1700000000ull);
	NUM("end", 1700000005ull);
	NUM("bytes", 1234567890123ull);
	NUM("in_if", 7);
	NUM("out_if", 9);
	NUM("tos", 4);
	NUM("vlan", 100);
	NUM("src_as", 65001);
	STR("type", "netflow9");
	STR("ip_protocol", "TCP");
	STR("namespace", "ns\"x");	/* given escaped, as the sink keeps it */
	STR("host", "h1");
	STR("exporter", "172.16.0.9");
	STR("src_ip", "10.0.0.1");
	STR("src_port", "443");
	STR("dst_port", "*");
	STR("src_mask", "10.0.0.0/24");
	STR("dst_mask", "192.168.0.0/16");
	STR("next_hop", "172.16.0.9");
	STR("ether_type", "IPv4");
	CHECK(json_object_object_get_ex(o, "tcp_flags", &v) && json_object_array_length(v) == 2,
	      "tcp_flags");
	CHECK(!json_object_object_get_ex(o, "bgp_next_hop", NULL), "absent field written");
	CHECK(!json_object_object_get_ex(o, "nat_src_ip", NULL) &&
	      !json_object_object_get_ex(o, "firewall_event", NULL), "absent NAT fields written");
	json_object_put(o);
	/* post-NAT endpoints and events: columns of their own, each key a column */
	nfx_addr_set_v4(&f.nat_src, e);
	nfx_addr_set_v4(&f.nat_dst, b);
	f.nat_src_port = 61000;
	f.nat_dst_port = 8443;
	f.nat_event = 2;
	f.fw_event = 3;
	f.present2 = NFX_F2_NAT_SRC | NFX_F2_NAT_DST | NFX_F2_NAT_SRC_PORT | NFX_F2_NAT_DST_PORT |
		     NFX_F2_NAT_EVENT | NFX_F2_FW_EVENT;
	strcpy(f.in_if_name, "Gi0/1");
	f.present2 |= NFX_F2_IN_IF_NAME;
	nfx_flow_set_mpls(&f, 0, 24007u << 4);
	nfx_flow_set_mpls(&f, 1, 999u << 4 | 1);
	n = nfx_ch_format(buf, sizeof(buf), &f, 1700000010000ull, "d", "h", NULL);
	CHECK(n > 0, "format: %d", n);
	buf[n > 0 ? n : 0] = 0;
	o = json_tokener_parse(buf);
	CHECK(o, "not JSON: %s", buf);
	if (!o)
		return;
	keys_are_columns(o);
	STR("nat_src_ip", "172.16.0.9");
	STR("nat_dst_ip", "192.168.7.200");
	NUM("nat_src_port", 61000);
	NUM("nat_dst_port", 8443);
	NUM("nat_event", 2);
	NUM("firewall_event", 3);
	NUM("mpls_top_label", 24007);
	STR("in_if_name", "Gi0/1");
	CHECK(json_object_object_get_ex(o, "mpls_labels", &v) && json_object_array_length(v) == 2 &&
	      json_object_get_int(json_object_array_get_idx(v, 1)) == 999, "mpls_labels");
	json_object_put(o);
	f.mpls_depth = 0;
	f.present2 = 0;
	/* a DateTime out of 32 bits is clamped, not rejected by the server */
	f.start_ms = UINT64_MAX;
	n = nfx_ch_format(buf, sizeof(buf), &f, 1700000010000ull, "d", "h", NULL);
	buf[n > 0 ? n : 0] = 0;
	CHECK(strstr(buf, "\"start\":4294967295,") != NULL, "not clamped: %s", buf);
	CHECK(nfx_ch_format(buf, 100, &f, 1, "d", "h", NULL) == -ENOSPC, "no ENOSPC");
}

/*
 * One enriched record through both formatters: the ClickHouse row carries
 * the same reverse DNS names and mapped fields as the NDJSON line (the
 * enrichment stage attaches them before the fan-out; neither sink looks
 * anything up itself).
 */
static void test_row_same_enrichment_as_ndjson(void)
{
	static const uint8_t a[4] = { 10, 0, 0, 1 }, b[4] = { 10, 0, 0, 2 };
	struct nfx_fieldmap maps[3] = {
		{ .field = 82, .type = NFX_MAP_STRING, .key = "interface_name" },
		{ .field = 95, .type = NFX_MAP_INTEGER, .key = "app_id" },
		{ .field = 225, .type = NFX_MAP_IP, .key = "nat_src" },
	};
	const struct nfx_enriched x = { .src_name = "db1.example.", .dst_name = "web-1.example.",
					.maps = maps, .nmaps = 3 };
	static const uint8_t nat[4] = { 192, 0, 2, 7 }, app[2] = { 0x01, 0x02 };
	struct json_object *row, *line, *keys, *vals, *v;
	char rbuf[4096], lbuf[4096];
	struct nfx_flow f = { 0 };
	struct nfx_ndjson *w;
	char path[] = "/tmp/nfxtest-chrow.XXXXXX";	/* a real path: the writer follows no link */
	FILE *tmp = fdopen(mkstemp(path), "w+");
	int n;

	f.type = NFX_TYPE_IPFIX;
	f.ip_version = 4;
	nfx_addr_set_v4(&f.src, a);
	nfx_addr_set_v4(&f.dst, b);
	nfx_flow_add_extra(&f, 0, (const uint8_t *)"eth0", 4);
	nfx_flow_add_extra(&f, 1, app, 2);
	nfx_flow_add_extra(&f, 2, nat, 4);
	n = nfx_ch_format(rbuf, sizeof(rbuf), &f, 1700000010000ull, "d", "h", &x);
	CHECK(n > 0, "format: %d", n);
	rbuf[n > 0 ? n : 0] = 0;
	w = nfx_ndjson_open(&(struct nfx_ndjson_opts){ .path = path, .host = "h" });
	unlink(path);
	CHECK(w != NULL, "ndjson open");
	if (!w)
		return;
	nfx_ndjson_write_record(w, &(struct nfx_record){ .flow = &f, .ns = "d",
							 .flush_ms = 1700000010000ull, .x = &x });
	nfx_ndjson_close(w);
	rewind(tmp);
	lbuf[fread(lbuf, 1, sizeof(lbuf) - 1, tmp)] = 0;
	fclose(tmp);
	row = json_tokener_parse(rbuf);
	line = json_tokener_parse(lbuf);
	CHECK(row && line, "not JSON: %s / %s", rbuf, lbuf);
	if (!row || !line)
		goto out;
	json_object_object_foreach(row, key, val) {
		size_t i;

		(void)val;
		for (i = 0; i < nfx_ch_ncolumns; i++)
			if (!strcmp(nfx_ch_columns[i].name, key))
				break;
		CHECK(i < nfx_ch_ncolumns, "key %s is not a column", key);
	}
	CHECK(json_object_object_get_ex(row, "src_reverse_dns_hostname", &v) &&
	      !strcmp(json_object_get_string(v), "db1.example."), "row src name");
	CHECK(json_object_object_get_ex(row, "dst_reverse_dns_hostname", &v) &&
	      !strcmp(json_object_get_string(v), "web-1.example."), "row dst name");
	CHECK(json_object_object_get_ex(line, "source", &v) &&
	      json_object_object_get_ex(v, "reverse_dns_hostname", &v) &&
	      !strcmp(json_object_get_string(v), "db1.example."), "line src name");
	CHECK(json_object_object_get_ex(line, "destination", &v) &&
	      json_object_object_get_ex(v, "reverse_dns_hostname", &v) &&
	      !strcmp(json_object_get_string(v), "web-1.example."), "line dst name");
	CHECK(json_object_object_get_ex(row, "additional_keys", &keys) &&
	      json_object_object_get_ex(row, "additional_values", &vals) &&
	      json_object_array_length(keys) == 3 && json_object_array_length(vals) == 3,
	      "row mapped fields: %s", rbuf);
	for (size_t i = 0; keys && vals && i < json_object_array_length(keys); i++) {
		const char *k = json_object_get_string(json_object_array_get_idx(keys, i));
		const char *rv = json_object_get_string(json_object_array_get_idx(vals, i));

		CHECK(json_object_object_get_ex(line, k, &v) &&
		      !strcmp(json_object_get_string(v), rv),
		      "%s: row %s, line %s", k, rv, v ? json_object_get_string(v) : "-");
	}
	CHECK(json_object_object_get_ex(line, "app_id", &v) &&
	      json_object_is_type(v, json_type_int) && json_object_get_int(v) == 258,
	      "app_id is a number in the line");
out:
	json_object_put(row);
	json_object_put(line);
}

static void test_schema_ddl(void)
{
	char *txt = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&txt, &len);

	CHECK_EQ(nfx_ch_schema_print(m, &(struct nfx_ch_schema_opts){ .table = "fl",
								     .cluster = "c2" }), 0);
	fclose(m);
	CHECK(strstr(txt, "CREATE TABLE IF NOT EXISTS fl_local") != NULL, "no local table");
	CHECK(strstr(txt, "ReplicatedMergeTree('/clickhouse/tables/{shard}/fl_local', "
			  "'{replica}')") != NULL, "no replicated engine");
	CHECK(strstr(txt, "ENGINE = Distributed(c2, currentDatabase(), fl_local,") != NULL,
	      "no distributed table");
	CHECK(strstr(txt, "PARTITION BY toYYYYMMDD(time)") && strstr(txt, "ORDER BY (exporter, time)"),
	      "partition/order");
	for (size_t i = 0; i < nfx_ch_ncolumns; i++) {
		char col[64];

		snprintf(col, sizeof(col), "`%s` %s", nfx_ch_columns[i].name, nfx_ch_columns[i].type);
		CHECK(strstr(txt, col) != NULL, "column %s missing", col);
	}
	free(txt);
	m = open_memstream(&txt, &len);
	CHECK_EQ(nfx_ch_schema_print(m, &(struct nfx_ch_schema_opts){ .table = "x;y" }), -EINVAL);
	fclose(m);
	free(txt);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	RUN_TEST(test_row_format);
	RUN_TEST(test_row_same_enrichment_as_ndjson);
	RUN_TEST(test_schema_ddl);
	RUN_TEST(test_bad_options);
	RUN_TEST(test_batch_by_count);
	RUN_TEST(test_batch_by_time);
	RUN_TEST(test_retry_identical);
	RUN_TEST(test_spool_and_drain_order);
	RUN_TEST(test_spool_bound_drops_oldest);
	RUN_TEST(test_never_blocks_and_restart);
	RUN_TEST(test_no_spool_memory_bound);
	CHECK_EXIT();
}
