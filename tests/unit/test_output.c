// SPDX-License-Identifier: BSD-2-Clause
/* test_output.c - the NDJSON writer over its file sink: rotation, gzip, reopen, backlog. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
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
		CHECK_EQ(st->records + st->dropped, 20000);
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

int main(void)
{
	snprintf(dir, sizeof(dir), "/tmp/nfxtest-out.XXXXXX");
	if (!mkdtemp(dir))
		return 1;
	RUN_TEST(test_rotate_by_size);
	RUN_TEST(test_gzip_rotation);
	RUN_TEST(test_reopen_after_move);
	RUN_TEST(test_backed_up_sink);
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd))
		return 1;
	CHECK_EXIT();
}
