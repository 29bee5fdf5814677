// SPDX-License-Identifier: BSD-2-Clause
/*
 * stats_file.c - the daemon counter file: the daemon rewrites it every
 * second (Prometheus text, the same page /metrics serves), `nfxdp stats
 * --daemon` prints it as a table or as JSON: {"file": {"series": value}}.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "control/stats_file.h"
#include "base/log.h"

const char *nfx_runtime_dir(void)
{
	static char dir[PATH_MAX];
	const char *env = getenv("RUNTIME_DIRECTORY");
	size_t n;

	if (!env || env[0] != '/')
		return NFX_STATS_DIR;
	n = strcspn(env, ":");
	if (n >= sizeof(dir))
		return NFX_STATS_DIR;
	memcpy(dir, env, n);
	dir[n] = 0;
	return dir;
}

/* ---- the daemon's side ---- */

void nfx_stats_file_path(char *buf, size_t len, const char *opt, const char *ifname,
			 uint16_t udp_port)
{
	buf[0] = 0;
	if (opt && !strcmp(opt, "none"))
		return;
	if (opt) {
		snprintf(buf, len, "%s", opt);
		return;
	}
	/* one file per daemon: per interface, or per first UDP port */
	if (mkdir(nfx_runtime_dir(), 0755) && errno != EEXIST)
		return;
	if (ifname)
		snprintf(buf, len, "%s/%s.prom", nfx_runtime_dir(), ifname);
	else
		snprintf(buf, len, "%s/udp-%u.prom", nfx_runtime_dir(), udp_port);
}

/*
 * Written next to the old one and renamed over it: a reader never sees half
 * a page.  The temporary file is always a new one (a link or a file someone
 * put there is removed first, never written through), readable by the
 * daemon's group only; rename() replaces a link at @path, never follows it.
 */
int nfx_stats_file_write(const char *path, const char *text, size_t len)
{
	char tmp[PATH_MAX + 8];
	int fd, err = 0;
	ssize_t n;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0640);
	if (fd < 0)
		return -errno;
	n = write(fd, text, len);
	if (n != (ssize_t)len)
		err = n < 0 ? -errno : -ENOSPC;	/* a short page is never renamed into place */
	if (close(fd) && !err)
		err = -errno;
	if (!err && rename(tmp, path))
		err = -errno;
	if (err) {
		unlink(tmp);
		errno = -err;	/* callers print errno */
	}
	return err;
}

/* ---- the reader's side ---- */

/* Prints one series line; quotes and backslashes of labels escaped for JSON. */
static void json_series(const char *line, const char *value, int first)
{
	printf("%s\"", first ? "" : ",");
	for (const char *p = line; p < value - 1; p++) {
		if (*p == '"' || *p == '\\')
			putchar('\\');
		putchar(*p);
	}
	printf("\":%s", value);
}

static int print_file(const char *path, int json, int first_file)
{
	char line[1024];
	int first = 1;
	FILE *f = fopen(path, "r");

	if (!f)
		return -errno;
	if (json)
		printf("%s\"%s\":{", first_file ? "" : ",", path);
	else
		printf("daemon counters (%s):\n", path);
	while (fgets(line, sizeof(line), f)) {
		char *value;

		line[strcspn(line, "\n")] = 0;
		if (line[0] == '#' || !line[0])
			continue;
		value = strrchr(line, ' ');
		if (!value)
			continue;
		value++;
		if (json) {
			json_series(line, value, first);
			first = 0;
		} else {
			printf("  %-72.*s %s\n", (int)(value - line - 1), line, value);
		}
	}
	if (json)
		printf("}");
	fclose(f);
	return 0;
}

int nfx_daemon_stats_print(const char *path, int json)
{
	struct dirent *e;
	int found = 0;
	DIR *d;

	if (json)
		printf("{");
	if (path) {
		found = !print_file(path, json, 1);
		goto out;
	}
	d = opendir(nfx_runtime_dir());
	while (d && (e = readdir(d))) {
		size_t n = strlen(e->d_name);
		char full[512];

		if (n < 6 || strcmp(e->d_name + n - 5, ".prom"))
			continue;
		snprintf(full, sizeof(full), "%s/%s", nfx_runtime_dir(), e->d_name);
		if (!print_file(full, json, !found))
			found++;
	}
	if (d)
		closedir(d);
out:
	if (json)
		printf("}\n");
	if (!found)
		pr_warn("no daemon counters in %s: is 'nfxdp run' running (and not with "
			"--stats-file none)?\n", path ? path : nfx_runtime_dir());
	return found ? 0 : -ENOENT;
}
