// SPDX-License-Identifier: BSD-2-Clause
/*
 * test_output.c - the NDJSON writer over its file sink: rotation, gzip,
 * reopen, backlog; a full disk (the file size limit stands in for it: a
 * write past it is cut short, then fails with EFBIG) for plain and gzip
 * files, given up at close, at reopen and by one of two writers; symbolic
 * links and the mode of new files.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "check.h"
#include "sink/outfile.h"
#include "sink/ndjson.h"

static char dir[64];

static struct nfx_flow some_flow(uint64_t bytes)
{
	struct nfx_flow f = { 0 };

	f.type = NFX_TYPE_IPFIX;
	f.ip_version = 4;
	nfx_addr_parse(&f.src, "10.0.0.1");
	nfx_addr_parse(&f.dst, "10.0.0.2");
	nfx_addr_parse(&f.exporter, "127.0.0.1");
	f.bytes = bytes;
	return f;
}

/* Files in dir whose name starts with prefix; their total line count in *lines. */
static int count_files(const char *prefix, long *lines, int gz)
{
	struct dirent *e;
	DIR *d = opendir(dir);
	int n = 0;

	*lines = 0;
	while (d && (e = readdir(d))) {
		char path[512], buf[8192];
		int r;

		if (strncmp(e->d_name, prefix, strlen(prefix)))
			continue;
		n++;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		gzFile g = gzopen(path, "rb");	/* reads plain files as they are */

		while (g && (r = gzread(g, buf, sizeof(buf))) > 0)
			for (int i = 0; i < r; i++)
				*lines += buf[i] == '\n';
		if (g)
			gzclose(g);
		(void)gz;
	}
	if (d)
		closedir(d);
	return n;
}

static void write_n(struct nfx_ndjson *w, int n)
{
	for (int i = 0; i < n; i++) {
		struct nfx_flow f = some_flow((uint64_t)i);

		nfx_ndjson_write(w, &f);
		if (i % 100 == 99)
			nfx_ndjson_flush(w);
	}
}

static void test_rotate_by_size(void)
{
	char path[128];
	long lines;
	struct nfx_ndjson *w;

	snprintf(path, sizeof(path), "%s/size.ndjson", dir);
	w = nfx_ndjson_open(&(struct nfx_ndjson_opts){ .path = path, .host = "h",
						       .rotate_bytes = 20000 });
	CHECK(w, "open");
	if (!w)
		return;
	write_n(w, 1000);
	CHECK(nfx_ndjson_stats(w)->rotations >= 5, "rotations %llu",
	      (unsigned long long)nfx_ndjson_stats(w)->rotations);
	nfx_ndjson_close(w);
	CHECK(count_files("size.ndjson", &lines, 0) >= 6, "live file plus rotated ones");
	CHECK_EQ(lines, 1000);
}

static void test_gzip_rotation(void)
{
	char path[128];
	long lines;
	struct nfx_ndjson *w;

	snprintf(path, sizeof(path), "%s/z.ndjson.gz", dir);
	w = nfx_ndjson_open(&(struct nfx_ndjson_opts){ .path = path, .host = "h", .gzip = 1,
						       .rotate_bytes = 4000 });
	CHECK(w, "open");
	if (!w)
		return;
	write_n(w, 3000);
	nfx_ndjson_close(w);
	CHECK(count_files("z.ndjson", &lines, 1) >= 2, "rotated gzip files");
	CHECK_EQ(lines, 3000);
}

static void test_reopen_after_move(void)
{
	char path[128], moved[160];
	long lines;
	struct nfx_ndjson *w;

	snprintf(path, sizeof(path), "%s/hup.ndjson", dir);
	snprintf(moved, sizeof(moved), "%s/hup.ndjson.1", dir);
	w = nfx_ndjson_open(&(struct nfx_ndjson_opts){ .path = path, .host = "h" });
	if (!w)
		return;
	write_n(w, 10);
	nfx_ndjson_flush(w);
	CHECK(rename(path, moved) == 0, "logrotate moves the file");
	CHECK(nfx_ndjson_reopen(w) == 0, "reopen");
	write_n(w, 7);
	nfx_ndjson_close(w);
	count_files("hup.ndjson.1", &lines, 0);
	CHECK_EQ(lines, 10);
	CHECK(access(path, F_OK) == 0, "new file created");
	count_files("hup.ndjson", &lines, 0);
	CHECK_EQ(lines, 17);
}

/*
 * The writer converts a flush time once for the records that share it:
 * each line must still carry its own, whatever the order, the value 0
 * and times too long to keep as text.
 */
static void test_flush_time_text(void)
{
	static const uint64_t ms[] = { 1700000000123ull, 1700000000123ull, 0, 1700000000124ull,
				       UINT64_MAX, 123456789012345678ull, 1700000000124ull, 7 };
	static const struct nfx_enriched none;
	char path[128], want[64], line[4096];
	struct nfx_ndjson *w;
	size_t i = 0;
	FILE *in;

	snprintf(path, sizeof(path), "%s/flush.ndjson", dir);
	w = nfx_ndjson_open(&(struct nfx_ndjson_opts){ .path = path, .host = "h" });
	if (!w)
		return;
	for (i = 0; i < sizeof(ms) / sizeof(ms[0]); i++) {
		struct nfx_flow f = some_flow(i);
		struct nfx_record r = { .flow = &f, .flush_ms = ms[i], .x = &none };

		nfx_ndjson_write_record(w, &r);
	}
	nfx_ndjson_close(w);
	in = fopen(path, "r");
	CHECK(in != NULL, "cannot read %s", path);
	for (i = 0; in && fgets(line, sizeof(line), in); i++) {
		snprintf(want, sizeof(want), "{\"flush_timestamp\":%llu,", (unsigned long long)ms[i]);
		CHECK(!strncmp(line, want, strlen(want)), "line %zu: %.60s, want %s", i, line, want);
	}
	CHECK_EQ(i, sizeof(ms) / sizeof(ms[0]));
	if (in)
		fclose(in);
}

/* A pipe nobody reads: the writer must neither block nor lose silently. */
static void test_backed_up_sink(void)
{
	int p[2], saved;
	struct nfx_ndjson *w;
	const struct nfx_ndjson_stats *st;

	if (pipe(p))
		return;
	saved = dup(STDOUT_FILENO);
	dup2(p[1], STDOUT_FILENO);
	w = nfx_ndjson_open(&(struct nfx_ndjson_opts){ .path = "-", .host = "h", .nonblock = 1 });
	if (w) {
		write_n(w, 20000);
		st = nfx_ndjson_stats(w);
		CHECK(st->dropped > 0, "records dropped while the sink is full are counted");
		CHECK_EQ(st->records + st->dropped + st->pending, 20000);
		/* close gives the sink 5 s; read nothing, then count */
		fcntl(p[0], F_SETFL, O_NONBLOCK);
		char buf[65536];
		long got = 0, r;

		while ((r = read(p[0], buf, sizeof(buf))) > 0)
			got += r;
		CHECK(got > 0, "what fitted was written");
		nfx_ndjson_close(w);
	}
	dup2(saved, STDOUT_FILENO);
	fcntl(STDOUT_FILENO, F_SETFL, fcntl(STDOUT_FILENO, F_GETFL) & ~O_NONBLOCK);
	close(saved);
	close(p[0]);
	close(p[1]);
}

/* ---- a full disk ---- */

static rlim_t fsize_saved;

/* Writes past @limit bytes of a file are cut short, then fail (EFBIG): a disk that is full. */
static void disk_full_at(rlim_t limit)
{
	struct rlimit rl;

	getrlimit(RLIMIT_FSIZE, &rl);
	fsize_saved = rl.rlim_cur;
	rl.rlim_cur = limit;
	CHECK(setrlimit(RLIMIT_FSIZE, &rl) == 0, "setrlimit: %s", strerror(errno));
}

static void disk_freed(void)
{
	struct rlimit rl;

	getrlimit(RLIMIT_FSIZE, &rl);
	rl.rlim_cur = fsize_saved;
	setrlimit(RLIMIT_FSIZE, &rl);
}

struct file_check {
	long lines;		/* whole lines */
	long bad;		/* lines that are not one whole record */
	long tail;		/* bytes after the last newline: a torn record */
	int stream_ok;		/* gzip: read to its end without an error */
};

/* Reads a plain or gzip file (gzread reads both, and concatenated members). */
static struct file_check check_file(const char *path)
{
	static char data[16 << 20];
	struct file_check c = { 0 };
	gzFile g = gzopen(path, "rb");
	size_t len = 0;
	int r, errnum = 0;
	char *p, *nl;

	if (!g)
		return c;
	while (len < sizeof(data) && (r = gzread(g, data + len, (unsigned)(sizeof(data) - len))) > 0)
		len += (size_t)r;
	gzerror(g, &errnum);
	c.stream_ok = errnum == Z_OK || errnum == Z_STREAM_END;
	gzclose(g);
	for (p = data; (nl = memchr(p, '\n', (size_t)(data + len - p))); p = nl + 1) {
		c.lines++;
		c.bad += strncmp(p, "{\"flush_timestamp\":", 19) || nl[-1] != '}' ||
			 memchr(p + 1, '{', 1) != NULL;
		/* a record glued to a torn one has two heads */
		for (char *q = p + 1; q < nl; q++)
			if (!strncmp(q, "{\"flush_timestamp\"", 18)) {
				c.bad++;
				break;
			}
	}
	c.tail = data + len - p;
	return c;
}

static void full_disk_case(const char *name, int gzip, rlim_t limit, int close_full)
{
	char path[128];
	struct nfx_ndjson *w;
	const struct nfx_ndjson_stats *st;
	struct file_check c;
	uint64_t written;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	w = nfx_ndjson_open(&(struct nfx_ndjson_opts){ .path = path, .host = "h", .gzip = gzip,
						       .nonblock = 1 });
	CHECK(w, "open");
	if (!w)
		return;
	disk_full_at(limit);
	write_n(w, 5000);		/* ~1.7 MB: more than the buffer holds */
	nfx_ndjson_flush(w);
	st = nfx_ndjson_stats(w);
	CHECK(st->write_errors > 0, "the disk never filled");
	CHECK(st->dropped > 0, "a full buffer drops records");
	CHECK(st->pending > 0, "records wait in the buffer");
	CHECK_EQ(st->records + st->dropped + st->pending, 5000);
	if (!close_full) {
		disk_freed();
		CHECK_EQ(nfx_ndjson_flush(w), 0);
		st = nfx_ndjson_stats(w);
		CHECK_EQ(st->pending, 0);
		CHECK_EQ(st->records + st->dropped, 5000);
	}
	written = st->records;
	nfx_ndjson_close(w);	/* still full: what the file holds of a record is cut off */
	disk_freed();
	c = check_file(path);
	CHECK(c.stream_ok, "%s: the gzip stream is broken", name);
	CHECK_EQ(c.bad, 0);
	CHECK_EQ(c.tail, 0);
	CHECK_EQ(c.lines, written);
}

static void test_full_disk_plain(void)
{
	full_disk_case("full.ndjson", 0, 100000, 0);
}

static void test_full_disk_plain_closed_full(void)
{
	full_disk_case("fullc.ndjson", 0, 100001, 1);
}

static void test_full_disk_gzip(void)
{
	full_disk_case("full.ndjson.gz", 1, 2000, 0);
}

static void test_full_disk_gzip_closed_full(void)
{
	full_disk_case("fullc.ndjson.gz", 1, 2011, 1);
}

/*
 * SIGHUP while the disk is full: the old file keeps whole records (gzip:
 * its member ended after the last whole chunk), the held one goes to the
 * new file from its start.
 */
static void reopen_full_case(const char *name, int gzip)
{
	char path[128], moved[160];
	struct nfx_ndjson *w;
	struct file_check a, b;
	uint64_t written;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	snprintf(moved, sizeof(moved), "%s/%s.1", dir, name);
	w = nfx_ndjson_open(&(struct nfx_ndjson_opts){ .path = path, .host = "h", .gzip = gzip,
						       .nonblock = 1 });
	if (!w)
		return;
	disk_full_at(gzip ? 1500 : 50003);
	write_n(w, 1000);
	nfx_ndjson_flush(w);
	CHECK(nfx_ndjson_stats(w)->pending > 0, "records wait");
	CHECK(rename(path, moved) == 0, "logrotate moves the file");
	CHECK_EQ(nfx_ndjson_reopen(w), 0);
	disk_freed();
	write_n(w, 500);
	CHECK_EQ(nfx_ndjson_flush(w), 0);
	written = nfx_ndjson_stats(w)->records;
	CHECK_EQ(written + nfx_ndjson_stats(w)->dropped, 1500);
	nfx_ndjson_close(w);
	a = check_file(moved);
	b = check_file(path);
	CHECK(a.stream_ok && b.stream_ok, "gzip streams: old %d, new %d", a.stream_ok, b.stream_ok);
	CHECK(a.bad + b.bad + a.tail + b.tail == 0, "torn records: %ld %ld, tails %ld %ld", a.bad,
	      b.bad, a.tail, b.tail);
	CHECK_EQ(a.lines + b.lines, written);
	CHECK(a.lines > 0 && b.lines > 500, "old file %ld lines, new %ld", a.lines, b.lines);
}

static void test_reopen_full_plain(void)
{
	reopen_full_case("hupfull.ndjson", 0);
}

static void test_reopen_full_gzip(void)
{
	reopen_full_case("hupfull.ndjson.gz", 1);
}

/*
 * Two writers on one gzip file; the one whose chunk is half written goes
 * away while the disk is full: that chunk is cut off, the member ends, and
 * the other writer's records start a new member in the same file.
 */
static void test_gzip_member_restart(void)
{
	char path[128];
	struct nfx_ndjson *w, *c;
	struct file_check f;
	uint64_t written;

	snprintf(path, sizeof(path), "%s/two.ndjson.gz", dir);
	w = nfx_ndjson_open(&(struct nfx_ndjson_opts){ .path = path, .host = "h", .gzip = 1,
						       .nonblock = 1 });
	if (!w)
		return;
	c = nfx_ndjson_clone(w);
	CHECK(c, "clone");
	if (!c) {
		nfx_ndjson_close(w);
		return;
	}
	write_n(w, 300);
	nfx_ndjson_flush(w);
	disk_full_at(nfx_ndjson_stats(w)->bytes + 1500);
	write_n(c, 300);
	nfx_ndjson_flush(c);
	CHECK(nfx_ndjson_stats(c)->pending > 0, "the clone's chunk is held");
	write_n(w, 100);
	CHECK(nfx_ndjson_stats(w)->pending == 100, "the other writer waits: %llu",
	      (unsigned long long)nfx_ndjson_stats(w)->pending);
	written = nfx_ndjson_stats(c)->records;
	nfx_ndjson_close(c);
	disk_freed();
	write_n(w, 200);
	CHECK_EQ(nfx_ndjson_flush(w), 0);
	written += nfx_ndjson_stats(w)->records;
	CHECK_EQ(nfx_ndjson_stats(w)->records, 600);
	nfx_ndjson_close(w);
	f = check_file(path);
	CHECK(f.stream_ok, "the gzip stream is broken");
	CHECK_EQ(f.bad + f.tail, 0);
	CHECK_EQ(f.lines, written);
}

/* ---- symbolic links and modes ---- */

static void test_symlink_refused(void)
{
	char target[128], link_path[128], buf[16];
	struct nfx_ndjson *w;
	int fd;

	snprintf(target, sizeof(target), "%s/victim", dir);
	snprintf(link_path, sizeof(link_path), "%s/link.ndjson", dir);
	fd = open(target, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	CHECK(fd >= 0 && write(fd, "keep\n", 5) == 5, "victim");
	close(fd);
	CHECK(symlink(target, link_path) == 0, "symlink");
	for (int gz = 0; gz < 2; gz++) {
		w = nfx_ndjson_open(&(struct nfx_ndjson_opts){ .path = link_path, .host = "h",
							       .gzip = gz });
		CHECK(!w && errno == ELOOP, "gzip %d: opened through a link (%s)", gz, strerror(errno));
		nfx_ndjson_close(w);
	}
	fd = open(target, O_RDONLY);
	CHECK(fd >= 0 && read(fd, buf, sizeof(buf)) == 5, "the link's target was written to");
	close(fd);
}

static mode_t mode_of(const char *path)
{
	struct stat st;

	return stat(path, &st) ? 07777 : st.st_mode & 07777;
}

static void test_new_file_mode(void)
{
	char path[128];
	struct nfx_ndjson *w;
	mode_t old = umask(022);

	snprintf(path, sizeof(path), "%s/mode.ndjson", dir);
	w = nfx_ndjson_open(&(struct nfx_ndjson_opts){ .path = path, .host = "h" });
	nfx_ndjson_close(w);
	CHECK(mode_of(path) == 0640, "default mode %o", (unsigned)mode_of(path));
	/* an existing file keeps its mode */
	chmod(path, 0604);
	w = nfx_ndjson_open(&(struct nfx_ndjson_opts){ .path = path, .host = "h", .mode = 0600 });
	nfx_ndjson_close(w);
	CHECK(mode_of(path) == 0604, "existing file's mode changed to %o", (unsigned)mode_of(path));
	/* the configured mode, whatever the umask */
	unlink(path);
	umask(077);
	w = nfx_ndjson_open(&(struct nfx_ndjson_opts){ .path = path, .host = "h", .mode = 0660,
						       .rotate_bytes = 1000 });
	write_n(w, 20);		/* rotated files are created the same way */
	nfx_ndjson_close(w);
	CHECK(mode_of(path) == 0660, "mode 0660 under umask 077: %o", (unsigned)mode_of(path));
	umask(old);
}

int main(void)
{
	snprintf(dir, sizeof(dir), "/tmp/nfxtest-out.XXXXXX");
	if (!mkdtemp(dir))
		return 1;
	RUN_TEST(test_rotate_by_size);
	RUN_TEST(test_flush_time_text);
	RUN_TEST(test_gzip_rotation);
	RUN_TEST(test_reopen_after_move);
	RUN_TEST(test_backed_up_sink);
	signal(SIGXFSZ, SIG_IGN);	/* a write past the size limit fails instead */
	RUN_TEST(test_full_disk_plain);
	RUN_TEST(test_full_disk_plain_closed_full);
	RUN_TEST(test_full_disk_gzip);
	RUN_TEST(test_full_disk_gzip_closed_full);
	RUN_TEST(test_reopen_full_plain);
	RUN_TEST(test_reopen_full_gzip);
	RUN_TEST(test_gzip_member_restart);
	RUN_TEST(test_symlink_refused);
	RUN_TEST(test_new_file_mode);
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd))
		return 1;
	CHECK_EXIT();
}
