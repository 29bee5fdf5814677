// SPDX-License-Identifier: BSD-2-Clause
/*
 * cmd_reload.c - `nfxdp reload --pid PID RUN-OPTIONS`, what the systemd
 * unit's ExecReload runs.  A daemon that runs the code on disk reloads its
 * configuration in place (SIGHUP).  One whose binary or a library of it was
 * replaced (a package upgrade) is taken over live by `nfxdp run RUN-OPTIONS
 * --takeover`, started from here: ExecReload runs in the service's cgroup
 * with the service's capabilities, which the running daemon has dropped
 * and a successor needs.  Before the old one goes, the successor asks us
 * (over a socket pair) to name it the service's main process: with
 * NotifyAccess=exec systemd hears the main and the control process only.
 * We wait until the old one has left (exit 0) or the successor has failed
 * (exit 1: the old one keeps collecting, and says why).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/log.h"
#include "cmd/cmd.h"
#include "control/notify.h"

#define RELOAD_WAIT_MS	60000	/* the successor's set-up and the old one's flush */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: nfxdp reload --pid PID [--handover] RUN-OPTIONS...\n\n"
		"Make the nfxdp running as PID take up what is on disk, without losing a\n"
		"datagram: its configuration (SIGHUP) or, when its binary or one of its\n"
		"libraries was replaced since it started, the new code, through a live\n"
		"hand-over to `nfxdp run RUN-OPTIONS --takeover` (RUN-OPTIONS: those PID\n"
		"was started with). Waits until the old daemon has left. The systemd unit's\n"
		"ExecReload: `systemctl reload nfxdp@IF` after a package upgrade.\n\n"
		"      --pid PID         the running daemon (systemd: $MAINPID)\n"
		"      --handover        hand over even when nothing on disk changed\n"
		"  -h, --help            this text\n\n"
		"exit status: 0 reloaded or handed over, 1 not (the old daemon collects on)\n");
}

static int same_file(const char *a, const char *b)
{
	struct stat sa, sb;

	return !stat(a, &sa) && !stat(b, &sb) && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/*
 * Why @pid runs code that is no longer on disk, or NULL: its executable is
 * another file than ours, or an executable mapping of it was deleted (a
 * library upgraded under it).  What cannot be read counts as changed: a
 * hand-over loses nothing.
 */
static const char *code_replaced(pid_t pid, char *why, size_t size)
{
	char path[64], line[512];
	FILE *maps;

	snprintf(path, sizeof(path), "/proc/%ld/exe", (long)pid);
	if (!same_file(path, "/proc/self/exe")) {
		snprintf(why, size, "its binary is not this one");
		return why;
	}
	snprintf(path, sizeof(path), "/proc/%ld/maps", (long)pid);
	maps = fopen(path, "re");
	if (!maps) {
		snprintf(why, size, "cannot read %s: %s", path, strerror(errno));
		return why;
	}
	why[0] = 0;
	while (!why[0] && fgets(line, sizeof(line), maps)) {
		char perms[8], *file = strchr(line, '/');
		size_t n = strlen(line);

		if (sscanf(line, "%*s %7s", perms) != 1 || !strchr(perms, 'x') || !file)
			continue;
		if (n > 11 && !strcmp(line + n - 11, " (deleted)\n") && strncmp(file, "/memfd:", 7)) {
			line[n - 11] = 0;
			snprintf(why, size, "%s was replaced", file);
		}
	}
	fclose(maps);
	return why[0] ? why : NULL;
}

/*
 * `nfxdp [-v...] run RUN-OPTIONS --takeover`, this binary, as our child,
 * with @sock (its end of our socket pair) named in NFX_NOTIFY_FD_ENV.
 */
static pid_t start_successor(int nopts, char **opts, int sock)
{
	char **argv = calloc((size_t)nopts + 8, sizeof(*argv));
	char env[16];
	pid_t pid;
	int n = 0, err;

	if (!argv)
		return -ENOMEM;
	snprintf(env, sizeof(env), "%d", sock);
	argv[n++] = "nfxdp";
	for (int v = NFX_LOG_INFO; v < nfx_log_level && v < NFX_LOG_DEBUG + 2; v++)
		argv[n++] = "-v";
	argv[n++] = "run";
	for (int i = 0; i < nopts; i++)
		argv[n++] = opts[i];
	argv[n++] = "--takeover";
	pid = fork();
	err = pid < 0 ? -errno : 0;
	if (pid == 0) {
		if (fcntl(sock, F_SETFD, 0) || setenv(NFX_NOTIFY_FD_ENV, env, 1))
			_exit(127);
		execv("/proc/self/exe", argv);
		fprintf(stderr, "nfxdp reload: cannot start the successor: %s\n", strerror(errno));
		_exit(127);
	}
	free(argv);
	return err ? err : pid;
}

static int pidfd_of(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

/*
 * 0 once @old is gone and @succ lives on; -1 when @succ exited first or in
 * time.  Meanwhile @succ's request on @sock is answered.
 */
static int wait_handover(pid_t old, pid_t succ, int sock)
{
	int ofd = pidfd_of(old), status, rc = -1;
	struct pollfd p[2] = { { .fd = sock, .events = POLLIN }, { .fd = ofd, .events = POLLIN } };

	/* a negative fd is not polled: no pidfd (kill() then), the request answered */
	for (int waited = 0; waited < RELOAD_WAIT_MS; waited += 50) {
		if (poll(p, 2, 50) < 0 && errno != EINTR)
			break;
		if (p[0].fd >= 0 && p[0].revents) {
			int err = nfx_notify_serve_takeover(sock, succ);

			if (err && err != -ECONNRESET)	/* (it exited without asking) */
				pr_warn("reload: the successor's request: %s\n", strerror(-err));
			p[0].fd = -1;	/* one request, or none: a closed socket reads 0 */
		}
		if (waitpid(succ, &status, WNOHANG) == succ) {
			pr_warn("reload: the successor %s %d: %ld keeps collecting (its log says why)\n",
				WIFEXITED(status) ? "exited with status" : "was killed by signal",
				WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status), (long)old);
			goto out;
		}
		if (ofd >= 0 ? p[1].revents != 0 : (kill(old, 0) && errno == ESRCH)) {
			pr_info("reload: %ld handed over to %ld and left\n", (long)old, (long)succ);
			rc = 0;
			goto out;
		}
	}
	pr_warn("reload: no hand-over from %ld to %ld within %d s: stopping the successor\n",
		(long)old, (long)succ, RELOAD_WAIT_MS / 1000);
	kill(succ, SIGTERM);
	waitpid(succ, &status, 0);
out:
	if (ofd >= 0)
		close(ofd);
	return rc;
}

int nfx_cmd_reload(int argc, char **argv)
{
	char why[PATH_MAX + 32];
	const char *changed;
	int i = 1, force = 0, sv[2], err;
	pid_t old = 0, succ;
	char *end;

	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "--pid") && i + 1 < argc) {
			long v = strtol(argv[++i], &end, 10);

			old = *end || v <= 1 || v > 0x7fffffff ? -1 : (pid_t)v;
		} else if (!strcmp(argv[i], "--handover")) {
			force = 1;
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			return 0;
		} else {
			break;		/* the first of RUN-OPTIONS */
		}
	}
	if (old <= 0) {
		fprintf(stderr, "nfxdp reload: --pid PID (the running daemon) is required\n");
		usage(stderr);
		return 2;
	}
	if (kill(old, 0) && errno == ESRCH) {
		pr_warn("reload: no process %ld\n", (long)old);
		return 1;
	}
	changed = force ? "--handover" : code_replaced(old, why, sizeof(why));
	if (!changed) {
		if (kill(old, SIGHUP)) {
			pr_warn("reload: cannot signal %ld: %s\n", (long)old, strerror(errno));
			return 1;
		}
		pr_info("reload: %ld reloads its configuration (SIGHUP)\n", (long)old);
		return 0;
	}
	if (force)
		pr_info("reload: handing %ld over live (--handover)\n", (long)old);
	else
		pr_info("reload: %ld runs code no longer on disk (%s): handing over live\n",
			(long)old, changed);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv)) {
		pr_warn("reload: socketpair: %s\n", strerror(errno));
		return 1;
	}
	succ = start_successor(argc - i, argv + i, sv[1]);
	close(sv[1]);
	if (succ < 0) {
		pr_warn("reload: cannot start the successor: %s\n", strerror((int)-succ));
		close(sv[0]);
		return 1;
	}
	err = wait_handover(old, succ, sv[0]);
	close(sv[0]);
	return err ? 1 : 0;
}
