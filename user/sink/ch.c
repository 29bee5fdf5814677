// SPDX-License-Identifier: BSD-2-Clause
/*
 * ch.c - the ClickHouse sink (ch.h is the contract; ch_row.c formats the rows).
 *
 * Event loop side: rows are formatted straight into the current batch (one
 * growing buffer); a batch is cut on count, size or age and appended to the
 * hand-over queue under c->lock, then the worker is woken with
 * curl_multi_wakeup().  Nothing there waits for the network or the disk.
 *
 * Worker side: one thread owns the curl multi + easy handle (the easy
 * handle is re-added for every request, so its connection is kept alive),
 * the zlib stream, the in-memory queue of compressed batches and the index
 * of the spool directory.  It never has more than one request in flight
 * and always sends the lowest batch sequence number it holds, memory or
 * spool, so batches reach the server in the order they were cut.
 *
 * Spool files are named SEQ-ROWS.gz (SEQ 16 hex digits) and hold the exact
 * request body; they are written as .tmp and renamed, so a crash leaves no
 * half batch behind under a real name.  They are the daemon's (0640, in a
 * directory of its own that no one else may write to), never opened
 * through a symbolic link, and their errors name the spool and are logged
 * at most every WARN_EVERY_MS.
 */
#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "base/log.h"
#include "sink/ch.h"

#define ROW_MAX		4096	/* worst case: IPv6, two DNS names, four mapped fields escaped */
#define BUF_START	(256u << 10)
#define RESP_MAX	512
#define POISON_TRIES	3	/* a batch the server cannot parse: dropped after */
#define WARN_EVERY_MS	10000

struct batch {
	struct batch *next;
	uint64_t seq;
	uint32_t rows;
	uint32_t attempts;
	char *data;		/* NULL while it lives only in the spool */
	size_t len;
	size_t cap;
	uint64_t first_ms;	/* event loop: time of its first row */
	size_t file_len;	/* spool file size, 0 = no file */
};

struct bq {
	struct batch *head;
	struct batch *tail;
	size_t n;
	size_t bytes;
};

struct nfx_ch {
	/* ---- options ---- */
	char *url;		/* with the INSERT query appended */
	char *spool_dir;
	uint32_t batch_rows;
	uint32_t batch_ms;
	size_t batch_bytes;
	size_t queue_bytes;
	size_t mem_max;
	uint64_t spool_max;
	uint32_t retry_min, retry_max, timeout_ms, close_timeout_ms;
	int level;

	/*
	 * ---- event loop: the producers' side ----
	 * Several workers push into one sink; each takes @producer for one
	 * row (uncontended: a few ns), so the sink needs no caller's lock.
	 */
	pthread_mutex_t producer;
	struct batch *cur;
	uint64_t now_ms;
	uint64_t next_seq;
	uint64_t ev_last_warn;
	const char *ns_src;
	char ns[256];
	char host[512];

	/* ---- shared, under lock ---- */
	pthread_mutex_t lock;
	struct bq handoff;
	int stop;
	uint64_t deadline;		/* monotonic ms, set with stop */
	struct nfx_ch_stats st;
	struct nfx_ch_stats snap;	/* what nfx_ch_stats() returns */

	/* ---- worker ---- */
	pthread_t thread;
	int started;
	CURLM *multi;
	CURL *easy;
	struct curl_slist *headers;
	z_stream z;
	int z_ok;
	struct bq mem;			/* compressed, waiting to be sent */
	struct bq spool;		/* spool files, data NULL */
	struct batch *inflight;
	int down;			/* the last send failed */
	uint64_t next_try;		/* monotonic ms */
	uint32_t backoff;
	uint64_t fails_in_row;
	uint64_t last_down_warn;
	uint64_t last_drop_warn;
	uint64_t drops_unreported;
	uint64_t last_spool_warn;
	uint64_t spool_warns_held;
	int lock_fd;
	char resp[RESP_MAX];
	size_t resp_len;
};

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ------------------------------------------------------------------ */
/* queues                                                               */

static void bq_push(struct bq *q, struct batch *b)
{
	b->next = NULL;
	if (q->tail)
		q->tail->next = b;
	else
		q->head = b;
	q->tail = b;
	q->n++;
}

static struct batch *bq_pop(struct bq *q)
{
	struct batch *b = q->head;

	if (!b)
		return NULL;
	q->head = b->next;
	if (!q->head)
		q->tail = NULL;
	q->n--;
	b->next = NULL;
	return b;
}

/* keeps @q ordered by seq (a retried batch goes back before newer ones) */
static void bq_insert(struct bq *q, struct batch *b)
{
	struct batch **pp = &q->head;

	while (*pp && (*pp)->seq < b->seq)
		pp = &(*pp)->next;
	b->next = *pp;
	*pp = b;
	if (!b->next)
		q->tail = b;
	q->n++;
}

static void batch_free(struct batch *b)
{
	if (b) {
		free(b->data);
		free(b);
	}
}

/* ------------------------------------------------------------------ */
/* event loop side                                                      */

static void ev_warn_drop(struct nfx_ch *c, const char *why, uint32_t rows)
{
	uint64_t now = mono_ms() + WARN_EVERY_MS;

	if (now - c->ev_last_warn < WARN_EVERY_MS)
		return;
	c->ev_last_warn = now;
	pr_warn("clickhouse: %s: %u rows dropped (%" PRIu64 " so far)\n", why, rows,
		c->st.rows_dropped);
}

static void cut(struct nfx_ch *c)
{
	struct batch *b = c->cur;
	int dropped = 0;

	if (!b || !b->rows)
		return;
	c->cur = NULL;
	b->seq = c->next_seq++;
	pthread_mutex_lock(&c->lock);
	if (c->handoff.bytes + b->len > c->queue_bytes) {
		c->st.rows_dropped += b->rows;
		c->st.batches_dropped++;
		dropped = 1;
	} else {
		bq_push(&c->handoff, b);
		c->handoff.bytes += b->len;
		c->st.rows_pushed += b->rows;
		c->st.rows_pending += b->rows;
	}
	pthread_mutex_unlock(&c->lock);
	if (dropped) {
		ev_warn_drop(c, "sender far behind, hand-over queue full", b->rows);
		batch_free(b);
		return;
	}
	curl_multi_wakeup(c->multi);
}

static void count_drop_ev(struct nfx_ch *c, size_t rows, const char *why)
{
	pthread_mutex_lock(&c->lock);
	c->st.rows_dropped += rows;
	pthread_mutex_unlock(&c->lock);
	ev_warn_drop(c, why, (uint32_t)rows);
}

/* Room for @need more bytes in the current batch, cutting it first if full. */
static struct batch *room(struct nfx_ch *c, size_t need)
{
	struct batch *b = c->cur;

	if (b && (b->rows >= c->batch_rows || b->len + need > c->batch_bytes + ROW_MAX))
		cut(c);
	b = c->cur;
	if (!b) {
		b = calloc(1, sizeof(*b));
		if (!b)
			return NULL;
		b->cap = need > BUF_START ? need : BUF_START;
		b->data = malloc(b->cap);
		if (!b->data) {
			free(b);
			return NULL;
		}
		b->first_ms = c->now_ms;
		c->cur = b;
	}
	if (b->cap - b->len < need) {
		size_t cap = b->cap;
		char *p;

		while (cap - b->len < need)
			cap *= 2;
		p = realloc(b->data, cap);
		if (!p)
			return NULL;
		b->data = p;
		b->cap = cap;
	}
	return b;
}

static void after_rows(struct nfx_ch *c, struct batch *b)
{
	if (b->rows >= c->batch_rows || b->len >= c->batch_bytes)
		cut(c);
}

static int push_locked(struct nfx_ch *c, const char *lines, size_t len, size_t nrecords)
{
	struct batch *b;

	if (!len)
		return 0;
	b = room(c, len);
	if (!b) {
		count_drop_ev(c, nrecords, "out of memory");
		return -ENOBUFS;
	}
	memcpy(b->data + b->len, lines, len);
	b->len += len;
	b->rows += (uint32_t)nrecords;
	after_rows(c, b);
	return 0;
}

int nfx_ch_push(struct nfx_ch *c, const char *lines, size_t len, size_t nrecords)
{
	int err;

	pthread_mutex_lock(&c->producer);
	err = push_locked(c, lines, len, nrecords);
	pthread_mutex_unlock(&c->producer);
	return err;
}

static int push_flow_locked(struct nfx_ch *c, const struct nfx_flow *f, uint64_t flush_ms,
			    const char *ns, const char *host, const struct nfx_enriched *x)
{
	char hbuf[512];
	struct batch *b;
	int n;

	if (ns != c->ns_src) {
		if (nfx_ch_escape(c->ns, sizeof(c->ns), ns ? ns : "default"))
			return -ENAMETOOLONG;
		c->ns_src = ns;
	}
	if (host && nfx_ch_escape(hbuf, sizeof(hbuf), host))
		return -ENAMETOOLONG;
	c->now_ms = flush_ms;
	b = room(c, ROW_MAX);
	if (!b) {
		count_drop_ev(c, 1, "out of memory");
		return -ENOBUFS;
	}
	n = nfx_ch_format(b->data + b->len, b->cap - b->len - 1, f, flush_ms, c->ns,
			  host ? hbuf : c->host, x);
	if (n < 0) {
		count_drop_ev(c, 1, "row too long");
		return n;
	}
	b->len += (size_t)n;
	b->data[b->len++] = '\n';
	b->rows++;
	after_rows(c, b);
	return 0;
}

int nfx_ch_push_flow(struct nfx_ch *c, const struct nfx_flow *f, uint64_t flush_ms,
		     const char *ns, const char *host, const struct nfx_enriched *x)
{
	int err;

	pthread_mutex_lock(&c->producer);
	err = push_flow_locked(c, f, flush_ms, ns, host, x);
	pthread_mutex_unlock(&c->producer);
	return err;
}

void nfx_ch_record(void *ctx, const struct nfx_record *r)
{
	nfx_ch_push_flow(ctx, r->flow, r->flush_ms, r->ns, NULL, r->x);
}

void nfx_ch_tick(struct nfx_ch *c, uint64_t now_ms)
{
	struct batch *b;

	pthread_mutex_lock(&c->producer);
	b = c->cur;
	c->now_ms = now_ms;
	if (b && b->rows) {
		if (now_ms < b->first_ms)		/* the clock went back */
			b->first_ms = now_ms;
		if (now_ms - b->first_ms >= c->batch_ms)
			cut(c);
	}
	pthread_mutex_unlock(&c->producer);
}

void nfx_ch_flush(struct nfx_ch *c)
{
	pthread_mutex_lock(&c->producer);
	cut(c);
	pthread_mutex_unlock(&c->producer);
}

void nfx_ch_stats_read(struct nfx_ch *c, struct nfx_ch_stats *out)
{
	pthread_mutex_lock(&c->lock);
	*out = c->st;
	pthread_mutex_unlock(&c->lock);
}

const struct nfx_ch_stats *nfx_ch_stats(struct nfx_ch *c)
{
	pthread_mutex_lock(&c->lock);
	c->snap = c->st;
	pthread_mutex_unlock(&c->lock);
	return &c->snap;
}

/* ------------------------------------------------------------------ */
/* worker: spool                                                        */

static void spool_path(const struct nfx_ch *c, const struct batch *b, char *buf, size_t size,
		       const char *suffix)
{
	snprintf(buf, size, "%s/%016" PRIx64 "-%u.gz%s", c->spool_dir, b->seq, b->rows, suffix);
}

static void worker_warn_drops(struct nfx_ch *c, const char *why)
{
	uint64_t now = mono_ms() + WARN_EVERY_MS;

	if (now - c->last_drop_warn < WARN_EVERY_MS)
		return;
	c->last_drop_warn = now;
	pr_warn("clickhouse: %s: rows dropped, %" PRIu64 " so far (%" PRIu64 " since the last "
		"warning)\n", why, c->st.rows_dropped, c->drops_unreported);
	c->drops_unreported = 0;
}

/* A spool file that cannot be written or read: named, at most every WARN_EVERY_MS. */
static void spool_warn(struct nfx_ch *c, const char *what, const char *file, int err)
{
	uint64_t now = mono_ms() + WARN_EVERY_MS;

	if (now - c->last_spool_warn < WARN_EVERY_MS) {
		c->spool_warns_held++;
		return;
	}
	c->last_spool_warn = now;
	pr_warn("clickhouse spool %s: %s %s: %s (%" PRIu64 " similar errors since the last "
		"warning)\n", c->spool_dir, what, file, strerror(-err), c->spool_warns_held);
	c->spool_warns_held = 0;
}

/* @b is lost: counted, logged, its spool file (if any) removed. */
static void drop_batch(struct nfx_ch *c, struct batch *b, const char *why)
{
	if (b->file_len) {
		char path[4200];

		spool_path(c, b, path, sizeof(path), "");
		unlink(path);
	}
	pthread_mutex_lock(&c->lock);
	c->st.rows_dropped += b->rows;
	c->st.batches_dropped++;
	c->st.rows_pending -= b->rows;
	if (b->file_len) {
		c->st.bytes_spooled -= b->file_len;
		c->st.batches_spooled--;
	}
	pthread_mutex_unlock(&c->lock);
	c->drops_unreported += b->rows;
	worker_warn_drops(c, why);
	batch_free(b);
}

static int write_all(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * @b (compressed, in memory, no file yet) into the spool, making room by
 * deleting the oldest batches; or dropped when it is the oldest itself or
 * cannot be written.
 */
static void spool_put(struct nfx_ch *c, struct batch *b)
{
	char tmp[4200], path[4200];
	int fd, err;

	if (!c->spool_dir) {
		drop_batch(c, b, "no spool directory, memory bound reached");
		return;
	}
	while (c->st.bytes_spooled + b->len > c->spool_max) {
		struct batch *old = c->spool.head;

		if (!old || b->seq < old->seq) {
			drop_batch(c, b, "spool full");
			return;
		}
		bq_pop(&c->spool);
		drop_batch(c, old, "spool full, oldest batch deleted");
	}
	spool_path(c, b, tmp, sizeof(tmp), ".tmp");
	spool_path(c, b, path, sizeof(path), "");
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0640);
	if (fd < 0) {
		err = -errno;
	} else {
		err = write_all(fd, b->data, b->len);
		if (close(fd) && !err)
			err = -errno;
		if (!err && rename(tmp, path))
			err = -errno;
		if (err)
			unlink(tmp);
	}
	if (err) {
		spool_warn(c, "cannot write", path + strlen(c->spool_dir) + 1, err);
		drop_batch(c, b, "spool write failed");
		return;
	}
	b->file_len = b->len;
	free(b->data);
	b->data = NULL;
	pthread_mutex_lock(&c->lock);
	c->st.bytes_spooled += b->file_len;
	c->st.bytes_spooled_total += b->file_len;
	c->st.batches_spooled++;
	pthread_mutex_unlock(&c->lock);
	bq_insert(&c->spool, b);
}

/* The body of a spooled batch, read back; -errno (the batch is then lost). */
static int spool_load(struct nfx_ch *c, struct batch *b)
{
	char path[4200];
	size_t got = 0;
	int fd, err = 0;

	spool_path(c, b, path, sizeof(path), "");
	b->data = malloc(b->file_len ? b->file_len : 1);
	if (!b->data)
		return -ENOMEM;
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while (got < b->file_len) {
		ssize_t n = read(fd, b->data + got, b->file_len - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			err = n < 0 ? -errno : -EIO;
			break;
		}
		got += (size_t)n;
	}
	close(fd);
	b->len = got;
	return err;
}

/* Setup fails naming the spool: "clickhouse spool DIR: why". */
static int spool_fail(const struct nfx_ch *c, int err, const char *why)
{
	pr_warn("clickhouse spool %s: %s\n", c->spool_dir, why ? why : strerror(-err));
	return err;
}

/*
 * Takes the directory: a real one that no one else may write to (batches
 * planted there would be sent), locked against a second collector; then
 * leftovers of a crash, batches of an earlier run.
 */
static int spool_open(struct nfx_ch *c)
{
	char path[4200];
	struct dirent *de;
	struct stat st;
	DIR *d;

	if (mkdir(c->spool_dir, 0750) && errno != EEXIST)
		return spool_fail(c, -errno, NULL);
	if (lstat(c->spool_dir, &st))
		return spool_fail(c, -errno, NULL);
	if (S_ISLNK(st.st_mode))
		return spool_fail(c, -ELOOP, "a symbolic link: not followed");
	if (!S_ISDIR(st.st_mode))
		return spool_fail(c, -ENOTDIR, NULL);
	if (st.st_mode & 0002)
		return spool_fail(c, -EPERM, "every user may write to it: refused");
	snprintf(path, sizeof(path), "%s/.lock", c->spool_dir);
	c->lock_fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0640);
	if (c->lock_fd < 0)
		return spool_fail(c, -errno, NULL);
	if (flock(c->lock_fd, LOCK_EX | LOCK_NB))
		return errno == EWOULDBLOCK ? spool_fail(c, -EBUSY, "in use by another collector")
					    : spool_fail(c, -errno, NULL);
	d = opendir(c->spool_dir);
	if (!d)
		return spool_fail(c, -errno, NULL);
	while ((de = readdir(d))) {
		unsigned long long seq;
		unsigned int rows;
		struct batch *b;
		struct stat sb;
		int end = 0;

		if (sscanf(de->d_name, "%16llx-%u.gz%n", &seq, &rows, &end) != 2 || !end)
			continue;
		snprintf(path, sizeof(path), "%s/%s", c->spool_dir, de->d_name);
		if (de->d_name[end]) {
			if (!strcmp(de->d_name + end, ".tmp"))
				unlink(path);	/* a write cut short by a crash */
			continue;
		}
		if (lstat(path, &sb) || !S_ISREG(sb.st_mode))
			continue;
		b = calloc(1, sizeof(*b));
		if (!b) {
			closedir(d);
			return -ENOMEM;
		}
		b->seq = seq;
		b->rows = rows;
		b->file_len = (size_t)sb.st_size;
		bq_insert(&c->spool, b);
		c->st.bytes_spooled += b->file_len;
		c->st.batches_spooled++;
		c->st.rows_pending += rows;
		if (seq >= c->next_seq)
			c->next_seq = seq + 1;
	}
	closedir(d);
	if (c->spool.n)
		pr_info("clickhouse: %zu batches (%" PRIu64 " bytes) left in %s, sending them first\n",
			c->spool.n, c->st.bytes_spooled, c->spool_dir);
	return 0;
}

/* ------------------------------------------------------------------ */
/* worker: sending                                                      */

static int compress_batch(struct nfx_ch *c, struct batch *b)
{
	uLong bound;
	char *out;
	int rc;

	if (deflateReset(&c->z) != Z_OK)
		return -EIO;
	bound = deflateBound(&c->z, (uLong)b->len) + 32;
	out = malloc(bound);
	if (!out)
		return -ENOMEM;
	c->z.next_in = (Bytef *)b->data;
	c->z.avail_in = (uInt)b->len;
	c->z.next_out = (Bytef *)out;
	c->z.avail_out = (uInt)bound;
	rc = deflate(&c->z, Z_FINISH);
	if (rc != Z_STREAM_END) {
		free(out);
		return -EIO;
	}
	free(b->data);
	b->data = out;
	b->len = bound - c->z.avail_out;
	b->cap = bound;
	return 0;
}

static size_t on_body(char *p, size_t size, size_t n, void *ctx)
{
	struct nfx_ch *c = ctx;
	size_t len = size * n, room = sizeof(c->resp) - 1 - c->resp_len;

	memcpy(c->resp + c->resp_len, p, len < room ? len : room);
	c->resp_len += len < room ? len : room;
	return len;
}

/* The lowest sequence number held, from memory or the spool. */
static struct batch *take_next(struct nfx_ch *c)
{
	struct batch *m = c->mem.head, *s = c->spool.head;

	if (m && (!s || m->seq < s->seq)) {
		c->mem.bytes -= m->len;
		return bq_pop(&c->mem);
	}
	return s ? bq_pop(&c->spool) : NULL;
}

static void start_next(struct nfx_ch *c)
{
	char path[4200];
	struct batch *b;
	int err;

	while ((b = take_next(c))) {
		if (b->data)
			break;
		err = spool_load(c, b);
		if (!err)
			break;
		spool_path(c, b, path, sizeof(path), "");
		spool_warn(c, "cannot read", path + strlen(c->spool_dir) + 1, err);
		free(b->data);
		b->data = NULL;
		drop_batch(c, b, "spool file unreadable");
	}
	if (!b)
		return;
	if (b->attempts++) {
		pthread_mutex_lock(&c->lock);
		c->st.retries++;
		pthread_mutex_unlock(&c->lock);
	}
	c->resp_len = 0;
	curl_easy_setopt(c->easy, CURLOPT_POSTFIELDS, b->data);
	curl_easy_setopt(c->easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)b->len);
	if (curl_multi_add_handle(c->multi, c->easy) != CURLM_OK) {
		/* cannot happen with one handle; treat as a failed send */
		c->inflight = NULL;
		bq_insert(b->file_len ? &c->spool : &c->mem, b);
		if (!b->file_len)
			c->mem.bytes += b->len;
		return;
	}
	c->inflight = b;
}

/* ClickHouse "Code: N" of a value that will never parse: retrying cannot help. */
static int poison(long status, const char *resp)
{
	static const int codes[] = { 6, 26, 27, 38, 41, 69, 72 };
	const char *p = strstr(resp, "Code: ");

	if (status >= 400 && status < 500 && status != 408 && status != 429)
		return 1;
	if (!p)
		return 0;
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		if (atoi(p + 6) == codes[i])
			return 1;
	return 0;
}

static void sent_ok(struct nfx_ch *c, struct batch *b)
{
	if (c->down)
		pr_info("clickhouse: server accepts batches again after %" PRIu64
			" failed sends; %zu spooled batches to drain\n", c->fails_in_row,
			c->spool.n);
	c->down = 0;
	c->fails_in_row = 0;
	c->backoff = c->retry_min;
	if (b->file_len) {
		char path[4200];

		spool_path(c, b, path, sizeof(path), "");
		unlink(path);
	}
	pthread_mutex_lock(&c->lock);
	c->st.rows_sent += b->rows;
	c->st.batches_sent++;
	c->st.bytes_sent += b->len;
	c->st.rows_pending -= b->rows;
	c->st.server_down = 0;
	if (b->file_len) {
		c->st.bytes_spooled -= b->file_len;
		c->st.batches_spooled--;
	}
	pthread_mutex_unlock(&c->lock);
	batch_free(b);
}

static void sent_failed(struct nfx_ch *c, struct batch *b, const char *why, long status)
{
	uint64_t now = mono_ms();
	char msg[RESP_MAX + 64];
	size_t n;

	c->resp[c->resp_len] = 0;
	for (n = 0; c->resp[n]; n++)
		if (c->resp[n] == '\n' || c->resp[n] == '\r')
			c->resp[n] = ' ';
	snprintf(msg, sizeof(msg), "%s%s%.300s", why, c->resp_len ? ": " : "", c->resp);
	pthread_mutex_lock(&c->lock);
	c->st.send_errors++;
	c->st.server_down = 1;
	pthread_mutex_unlock(&c->lock);
	c->fails_in_row++;
	if (!c->down || now - c->last_down_warn >= 30000) {
		pr_warn("clickhouse: batch %" PRIu64 " (%u rows) not taken: %s; retrying in %u ms%s%s"
			" (%" PRIu64 " failed sends in a row)\n", b->seq, b->rows, msg, c->backoff,
			c->spool_dir ? ", spooling to " : "", c->spool_dir ? c->spool_dir : "",
			c->fails_in_row);
		c->last_down_warn = now;
	}
	c->down = 1;
	c->next_try = now + c->backoff;
	c->backoff = c->backoff * 2 > c->retry_max ? c->retry_max : c->backoff * 2;
	if (b->attempts >= POISON_TRIES && poison(status, c->resp)) {
		pr_warn("clickhouse: batch %" PRIu64 " rejected %u times as malformed (%s); "
			"dropping it\n", b->seq, b->attempts, msg);
		drop_batch(c, b, "batch rejected by the server");
		c->next_try = now;
		return;
	}
	if (b->file_len) {		/* from the spool: back there, same file */
		free(b->data);
		b->data = NULL;
		bq_insert(&c->spool, b);
	} else if (c->spool_dir) {
		spool_put(c, b);
	} else {
		bq_insert(&c->mem, b);
		c->mem.bytes += b->len;
	}
}

static void check_done(struct nfx_ch *c)
{
	struct CURLMsg *m;
	int left, running;

	curl_multi_perform(c->multi, &running);
	while ((m = curl_multi_info_read(c->multi, &left))) {
		struct batch *b = c->inflight;
		CURLcode rc = m->data.result;
		long status = 0;

		if (m->msg != CURLMSG_DONE || !b)
			continue;
		curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE, &status);
		curl_multi_remove_handle(c->multi, c->easy);
		c->inflight = NULL;
		if (rc == CURLE_OK && status == 200) {
			sent_ok(c, b);
		} else {
			char why[128];

			if (rc != CURLE_OK)
				snprintf(why, sizeof(why), "%s", curl_easy_strerror(rc));
			else
				snprintf(why, sizeof(why), "HTTP %ld", status);
			sent_failed(c, b, why, status);
		}
	}
}

/* Bound on memory: spill to the spool (oldest first) or drop. */
static void mem_bound(struct nfx_ch *c)
{
	while (c->mem.bytes > c->mem_max && c->mem.head) {
		struct batch *b = bq_pop(&c->mem);

		c->mem.bytes -= b->len;
		spool_put(c, b);
	}
}

/* A freshly compressed batch: spooled while the server fails, else held. */
static void accept_batch(struct nfx_ch *c, struct batch *b)
{
	if (c->down && c->spool_dir) {
		spool_put(c, b);
		return;
	}
	bq_push(&c->mem, b);
	c->mem.bytes += b->len;
	mem_bound(c);
}

static void take_handoff(struct nfx_ch *c, int *stop, uint64_t *deadline)
{
	struct bq got;
	struct batch *b;

	pthread_mutex_lock(&c->lock);
	got = c->handoff;
	memset(&c->handoff, 0, sizeof(c->handoff));
	*stop = c->stop;
	*deadline = c->deadline;
	pthread_mutex_unlock(&c->lock);
	while ((b = bq_pop(&got))) {
		int err = compress_batch(c, b);

		if (err) {
			pr_warn("clickhouse: cannot compress a batch: %s\n", strerror(-err));
			drop_batch(c, b, "compression failed");
			continue;
		}
		accept_batch(c, b);
	}
}

/* Shutdown with the time up or the server failing: keep the rest on disk. */
static void park_everything(struct nfx_ch *c)
{
	struct batch *b;

	if (c->inflight) {
		curl_multi_remove_handle(c->multi, c->easy);
		b = c->inflight;
		c->inflight = NULL;
		if (b->file_len) {
			free(b->data);
			b->data = NULL;
			bq_insert(&c->spool, b);
		} else {
			spool_put(c, b);
		}
	}
	while ((b = bq_pop(&c->mem))) {
		c->mem.bytes -= b->len;
		spool_put(c, b);
	}
	if (c->spool.n)
		pr_warn("clickhouse: %zu batches (%" PRIu64 " bytes) left in %s for the next run\n",
			c->spool.n, c->st.bytes_spooled, c->spool_dir);
}

static void *worker(void *arg)
{
	struct nfx_ch *c = arg;

	for (;;) {
		uint64_t now, deadline;
		int stop, timeout = 1000;

		take_handoff(c, &stop, &deadline);
		now = mono_ms();
		if (stop && (now >= deadline || (c->down && !c->inflight))) {
			park_everything(c);
			break;
		}
		if (!c->inflight && (now >= c->next_try || stop))
			start_next(c);
		if (stop && !c->inflight && !c->mem.n && !c->spool.n)
			break;
		if (c->inflight)
			timeout = 50;
		else if ((c->mem.n || c->spool.n) && c->next_try > now)
			timeout = (int)(c->next_try - now < 1000 ? c->next_try - now : 1000);
		if (stop && timeout > 50)
			timeout = 50;
		curl_multi_poll(c->multi, NULL, 0, timeout, NULL);
		if (c->inflight)
			check_done(c);
	}
	return NULL;
}

/* ------------------------------------------------------------------ */
/* setup                                                                */

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static int curl_init_rc;

static void curl_init(void)
{
	curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static int table_ok(const char *s)
{
	if (!*s || strlen(s) > 200)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '_' || *s == '.'))
			return 0;
	return 1;
}

static char *make_url(const char *base, const char *table)
{
	size_t n = strlen(base);
	const char *sep = !strchr(base, '?') ? "?" : (base[n - 1] == '?' || base[n - 1] == '&') ?
			  "" : "&";
	char *url;

	if (asprintf(&url, "%s%squery=INSERT%%20INTO%%20%s%%20FORMAT%%20JSONEachRow", base, sep,
		     table) < 0)
		return NULL;
	return url;
}

static int setup_curl(struct nfx_ch *c)
{
	pthread_once(&curl_once, curl_init);
	if (curl_init_rc)
		return -EIO;
	c->multi = curl_multi_init();
	c->easy = curl_easy_init();
	if (!c->multi || !c->easy)
		return -ENOMEM;
	c->headers = curl_slist_append(NULL, "Content-Encoding: gzip");
	if (c->headers)
		c->headers = curl_slist_append(c->headers, "Content-Type: application/x-ndjson");
	if (c->headers)
		c->headers = curl_slist_append(c->headers, "Expect:");	/* no 100-continue wait */
	if (!c->headers)
		return -ENOMEM;
	curl_easy_setopt(c->easy, CURLOPT_URL, c->url);
	curl_easy_setopt(c->easy, CURLOPT_POST, 1L);
	curl_easy_setopt(c->easy, CURLOPT_HTTPHEADER, c->headers);
	curl_easy_setopt(c->easy, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c->easy, CURLOPT_WRITEDATA, c);
	curl_easy_setopt(c->easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c->easy, CURLOPT_TIMEOUT_MS, (long)c->timeout_ms);
	curl_easy_setopt(c->easy, CURLOPT_CONNECTTIMEOUT_MS,
			 (long)(c->timeout_ms < 5000 ? c->timeout_ms : 5000));
	curl_easy_setopt(c->easy, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(c->easy, CURLOPT_USERAGENT, "nfxdp");
	return 0;
}

void nfx_ch_free(struct nfx_ch *c)
{
	struct batch *b;

	if (!c)
		return;
	if (c->started) {
		cut(c);
		pthread_mutex_lock(&c->lock);
		c->stop = 1;
		c->deadline = mono_ms() + c->close_timeout_ms;
		pthread_mutex_unlock(&c->lock);
		curl_multi_wakeup(c->multi);
		pthread_join(c->thread, NULL);
	}
	if (c->cur)
		batch_free(c->cur);
	while ((b = bq_pop(&c->handoff)))
		batch_free(b);
	while ((b = bq_pop(&c->mem)))
		batch_free(b);
	while ((b = bq_pop(&c->spool)))
		batch_free(b);
	if (c->st.rows_sent || c->st.rows_dropped || c->st.batches_spooled)
		pr_info("clickhouse: rows sent=%" PRIu64 " batches=%" PRIu64 " retries=%" PRIu64
			" send_errors=%" PRIu64 " dropped=%" PRIu64 " spooled_now=%" PRIu64
			" bytes\n", c->st.rows_sent, c->st.batches_sent, c->st.retries,
			c->st.send_errors, c->st.rows_dropped, c->st.bytes_spooled);
	if (c->easy)
		curl_easy_cleanup(c->easy);
	if (c->multi)
		curl_multi_cleanup(c->multi);
	curl_slist_free_all(c->headers);
	if (c->z_ok)
		deflateEnd(&c->z);
	if (c->lock_fd >= 0)
		close(c->lock_fd);
	pthread_mutex_destroy(&c->lock);
	pthread_mutex_destroy(&c->producer);
	free(c->url);
	free(c->spool_dir);
	free(c);
}

struct nfx_ch *nfx_ch_new(const struct nfx_ch_opts *o)
{
	const char *table = o->table && *o->table ? o->table : "flows";
	char host[256] = "";
	struct nfx_ch *c;
	int err;

	if (!o->url || (strncmp(o->url, "http://", 7) && strncmp(o->url, "https://", 8))) {
		pr_warn("clickhouse URL '%s': expected http[s]://HOST[:PORT]/[?database=DB]\n",
			o->url ? o->url : "");
		errno = EINVAL;
		return NULL;
	}
	if (!table_ok(table) || (o->gzip_level && (o->gzip_level < 1 || o->gzip_level > 9))) {
		pr_warn("clickhouse table '%s' or gzip level %d: expected a name of letters, "
			"digits and _ and a level 1-9\n", table, o->gzip_level);
		errno = EINVAL;
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		pr_warn("clickhouse %s: %s\n", o->url, strerror(ENOMEM));
		errno = ENOMEM;
		return NULL;
	}
	pthread_mutex_init(&c->lock, NULL);
	pthread_mutex_init(&c->producer, NULL);
	c->lock_fd = -1;
	c->batch_rows = o->batch_rows ? o->batch_rows : 50000;
	c->batch_ms = o->batch_ms ? o->batch_ms : 1000;
	c->batch_bytes = o->batch_bytes ? o->batch_bytes : 32u << 20;
	c->queue_bytes = o->queue_bytes ? o->queue_bytes : 128u << 20;
	c->mem_max = o->mem_max_bytes ? o->mem_max_bytes : 64u << 20;
	c->spool_max = o->spool_max_bytes ? o->spool_max_bytes : 1ull << 30;
	c->retry_min = o->retry_min_ms ? o->retry_min_ms : 200;
	c->retry_max = o->retry_max_ms ? o->retry_max_ms : 30000;
	if (c->retry_max < c->retry_min)
		c->retry_max = c->retry_min;
	c->timeout_ms = o->timeout_ms ? o->timeout_ms : 30000;
	c->close_timeout_ms = o->close_timeout_ms ? o->close_timeout_ms : 5000;
	c->level = o->gzip_level ? o->gzip_level : 1;
	c->backoff = c->retry_min;
	if (o->host)
		snprintf(host, sizeof(host), "%s", o->host);
	else
		gethostname(host, sizeof(host) - 1);
	err = nfx_ch_escape(c->host, sizeof(c->host), host);
	if (!err)
		err = nfx_ch_escape(c->ns, sizeof(c->ns), "default");
	if (err)
		goto fail;
	err = -ENOMEM;
	c->url = make_url(o->url, table);
	if (!c->url)
		goto fail;
	if (o->spool_dir && *o->spool_dir) {
		c->spool_dir = strdup(o->spool_dir);
		if (!c->spool_dir)
			goto fail;
		err = spool_open(c);
		if (err)
			goto fail_logged;	/* named the spool */
	}
	err = -ENOMEM;
	if (deflateInit2(&c->z, c->level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		goto fail;
	c->z_ok = 1;
	err = setup_curl(c);
	if (err)
		goto fail;
	{
		/* signals stay with the event loop (its signalfd), never the worker */
		sigset_t all, old;

		sigfillset(&all);
		pthread_sigmask(SIG_BLOCK, &all, &old);
		err = -pthread_create(&c->thread, NULL, worker, c);
		pthread_sigmask(SIG_SETMASK, &old, NULL);
	}
	if (err)
		goto fail;
	c->started = 1;
	return c;
fail:
	pr_warn("clickhouse %s: %s\n", o->url, strerror(-err));
fail_logged:
	nfx_ch_free(c);
	errno = -err;
	return NULL;
}
