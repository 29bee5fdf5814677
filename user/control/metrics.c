// SPDX-License-Identifier: BSD-2-Clause
/*
 * metrics.c - the /metrics endpoint.  Off by default and on loopback by
 * default: counters say which exporters talk to this host, which is not
 * for everyone to read.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"
#include "control/metrics.h"

static void prom_append(struct nfx_prom *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void prom_append(struct nfx_prom *p, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		size_t room = p->cap - p->len;

		va_start(ap, fmt);
		n = vsnprintf(p->buf ? p->buf + p->len : NULL, room, fmt, ap);
		va_end(ap);
		if (n < 0) {
			p->oom = 1;
			return;
		}
		if ((size_t)n < room) {
			p->len += (size_t)n;
			return;
		}
		size_t cap = p->cap ? p->cap * 2 : 16384;
		char *nb;

		while (cap - p->len <= (size_t)n)
			cap *= 2;
		nb = realloc(p->buf, cap);
		if (!nb) {
			p->oom = 1;
			return;
		}
		p->buf = nb;
		p->cap = cap;
	}
}

void nfx_prom_reset(struct nfx_prom *p)
{
	p->len = 0;
	p->oom = 0;
	if (p->buf)
		p->buf[0] = 0;
}

void nfx_prom_free(struct nfx_prom *p)
{
	free(p->buf);
	memset(p, 0, sizeof(*p));
}

const char *nfx_prom_escape(char *out, size_t size, const char *value)
{
	size_t n = 0;

	for (; *value && n + 3 < size; value++) {
		char c = *value;

		if (c == '\\' || c == '"' || c == '\n') {
			out[n++] = '\\';
			c = c == '\n' ? 'n' : c;
		}
		out[n++] = c;
	}
	if (size)
		out[n < size ? n : size - 1] = 0;
	return out;
}

void nfx_prom_family(struct nfx_prom *p, const char *name, const char *type,
		     const char *help)
{
	prom_append(p, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

void nfx_prom_sample(struct nfx_prom *p, const char *name, const char *labels,
		     uint64_t value)
{
	if (labels)
		prom_append(p, "%s{%s} %llu\n", name, labels, (unsigned long long)value);
	else
		prom_append(p, "%s %llu\n", name, (unsigned long long)value);
}

/*
 * libmicrohttpd's own messages (a refused connection, a client that
 * vanished) come at the rate clients make them: at most LOG_BURST lines
 * per LOG_WINDOW_MS, the others counted and their number said with the
 * next line that gets through, and at exit.
 */
#define LOG_BURST	3u
#define LOG_WINDOW_MS	60000u

struct nfx_metrics {
	struct MHD_Daemon *mhd;
	pthread_mutex_t lock;
	char *page;
	size_t page_len;
	uint16_t port;
	char addr[INET6_ADDRSTRLEN + 8];	/* "127.0.0.1:9155", "[::1]:9155" */
	pthread_mutex_t log_lock;
	uint64_t log_window;		/* start of the current window, ms */
	unsigned int log_lines;		/* lines logged in it */
	uint64_t log_hidden;		/* lines not logged since the last one */
};

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Whether a line may be logged now; *@hidden: how many were not before it. */
static int log_allowed(struct nfx_metrics *m, uint64_t *hidden)
{
	uint64_t now = mono_ms();
	int ok;

	pthread_mutex_lock(&m->log_lock);
	if (now - m->log_window >= LOG_WINDOW_MS) {
		m->log_window = now;
		m->log_lines = 0;
	}
	ok = m->log_lines < LOG_BURST;
	if (ok) {
		m->log_lines++;
		*hidden = m->log_hidden;
		m->log_hidden = 0;
	} else {
		m->log_hidden++;
	}
	pthread_mutex_unlock(&m->log_lock);
	return ok;
}

/* MHD_OPTION_EXTERNAL_LOGGER: one "nfxdp: metrics: ..." line, printable only. */
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	struct nfx_metrics *m = cls;
	uint64_t hidden = 0;
	char line[256];
	size_t n;

	if (!log_allowed(m, &hidden))
		return;
	vsnprintf(line, sizeof(line), fmt, ap);
	n = strlen(line);
	while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)line[i] < 0x20 || (unsigned char)line[i] == 0x7f)
			line[i] = '?';
	if (hidden)
		pr_warn("metrics: %s (%" PRIu64 " more such messages not logged)\n", line, hidden);
	else
		pr_warn("metrics: %s\n", line);
}

static enum MHD_Result serve(void *cls, struct MHD_Connection *conn, const char *url,
			     const char *method, const char *version, const char *upload,
			     size_t *upload_size, void **state)
{
	struct nfx_metrics *m = cls;
	struct MHD_Response *resp;
	enum MHD_Result ret;
	unsigned int status = MHD_HTTP_OK;

	if (strcmp(method, "GET") && strcmp(method, "HEAD"))
		return MHD_NO;
	pthread_mutex_lock(&m->lock);
	if (!strcmp(url, "/metrics")) {
		resp = MHD_create_response_from_buffer(m->page_len, m->page ? m->page : (char *)"",
						       MHD_RESPMEM_MUST_COPY);
	} else {
		static const char msg[] = "nfxdp: try /metrics\n";

		status = MHD_HTTP_NOT_FOUND;
		resp = MHD_create_response_from_buffer(sizeof(msg) - 1, (void *)msg,
						       MHD_RESPMEM_PERSISTENT);
	}
	pthread_mutex_unlock(&m->lock);
	if (!resp)
		return MHD_NO;
	MHD_add_response_header(resp, "Content-Type", "text/plain; version=0.0.4; charset=utf-8");
	ret = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* "PORT", "ADDR:PORT" or "[V6]:PORT" into a socket address. */
static int parse_listen(const char *listen, struct sockaddr_storage *ss)
{
	char host[INET6_ADDRSTRLEN + 2] = "127.0.0.1";
	const char *colon = strrchr(listen, ':');
	const char *portstr = colon ? colon + 1 : listen;
	char *end;
	long port = strtol(portstr, &end, 10);

	if (*end || port < 0 || port > 65535 || end == portstr)
		return -EINVAL;
	if (colon) {
		size_t n = (size_t)(colon - listen);

		if (n >= sizeof(host))
			return -EINVAL;
		memcpy(host, listen, n);
		host[n] = 0;
	}
	memset(ss, 0, sizeof(*ss));
	if (host[0] == '[') {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
		size_t n = strlen(host);

		if (n < 3 || host[n - 1] != ']')
			return -EINVAL;
		host[n - 1] = 0;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		return inet_pton(AF_INET6, host + 1, &s6->sin6_addr) == 1 ? 0 : -EINVAL;
	}
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

	s4->sin_family = AF_INET;
	s4->sin_port = htons((uint16_t)port);
	return inet_pton(AF_INET, host, &s4->sin_addr) == 1 ? 0 : -EINVAL;
}

/* The address actually bound, as a URL wants it: v6 in brackets. */
static void bound_addr(struct nfx_metrics *m, const struct sockaddr_storage *asked)
{
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(m->mhd,
							       MHD_DAEMON_INFO_LISTEN_FD);
	struct sockaddr_storage ss = *asked;
	socklen_t len = sizeof(ss);
	char host[INET6_ADDRSTRLEN] = "?";

	if (info)
		getsockname(info->listen_fd, (struct sockaddr *)&ss, &len);
	if (ss.ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)&ss;

		inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof(host));
		m->port = ntohs(s6->sin6_port);
		snprintf(m->addr, sizeof(m->addr), "[%s]:%u", host, m->port);
	} else {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)&ss;

		inet_ntop(AF_INET, &s4->sin_addr, host, sizeof(host));
		m->port = ntohs(s4->sin_port);
		snprintf(m->addr, sizeof(m->addr), "%s:%u", host, m->port);
	}
}

static void free_metrics(struct nfx_metrics *m)
{
	pthread_mutex_destroy(&m->log_lock);
	pthread_mutex_destroy(&m->lock);
	free(m->page);
	free(m);
}

/*
 * A listening socket handed over by the daemon we succeed serves when it is
 * bound where @asked says (port 0: any port); else it is not ours to use.
 */
static int usable_listener(int fd, const struct sockaddr_storage *asked)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (fd < 0 || getsockname(fd, (struct sockaddr *)&ss, &len) || ss.ss_family != asked->ss_family)
		return 0;
	if (ss.ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const void *)asked, *b = (const void *)&ss;

		return !memcmp(&a->sin6_addr, &b->sin6_addr, sizeof(a->sin6_addr)) &&
		       (!a->sin6_port || a->sin6_port == b->sin6_port);
	}
	const struct sockaddr_in *a = (const void *)asked, *b = (const void *)&ss;

	return a->sin_addr.s_addr == b->sin_addr.s_addr && (!a->sin_port || a->sin_port == b->sin_port);
}

/*
 * On @fd when it is >= 0, else on a socket of its own bound to @ss: a listen
 * socket of -1 is libmicrohttpd's own default, "none given".
 */
static struct MHD_Daemon *start_mhd(struct nfx_metrics *m, const struct sockaddr_storage *ss,
				    int fd)
{
	/* ITC: stopping wakes the thread without shutdown(), which would also
	 * end a listening socket that a successor shares */
	unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG | MHD_USE_ITC;

	if (ss->ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	/* the logger first, as libmicrohttpd asks: it may log while starting;
	 * a request bigger than the memory limit (headers) is refused */
	return MHD_start_daemon(flags, 0, NULL, NULL, serve, m,
				MHD_OPTION_EXTERNAL_LOGGER, mhd_log, m,
				MHD_OPTION_LISTEN_SOCKET, (MHD_socket)fd,
				MHD_OPTION_SOCK_ADDR, (const struct sockaddr *)ss,
				MHD_OPTION_CONNECTION_LIMIT, 16u,
				MHD_OPTION_PER_IP_CONNECTION_LIMIT, 8u,
				MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)8192,
				MHD_OPTION_CONNECTION_TIMEOUT, 10u, MHD_OPTION_END);
}

struct nfx_metrics *nfx_metrics_new(const char *listen, int fd)
{
	struct sockaddr_storage ss;
	struct nfx_metrics *m = NULL;
	int err = parse_listen(listen, &ss);

	if (err)
		goto err_close;
	if (fd >= 0 && !usable_listener(fd, &ss)) {
		close(fd);
		fd = -1;
	}
	err = -ENOMEM;
	m = calloc(1, sizeof(*m));
	if (!m)
		goto err_close;
	pthread_mutex_init(&m->lock, NULL);
	pthread_mutex_init(&m->log_lock, NULL);
	m->mhd = start_mhd(m, &ss, fd);
	if (!m->mhd) {
		err = errno ? -errno : -EADDRINUSE;
		free_metrics(m);
		goto err_close;
	}
	bound_addr(m, &ss);
	return m;

err_close:
	if (fd >= 0)
		close(fd);
	errno = -err;
	return NULL;
}

int nfx_metrics_listen_fd(const struct nfx_metrics *m)
{
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(m->mhd, MHD_DAEMON_INFO_LISTEN_FD);

	return info ? info->listen_fd : -1;
}

void nfx_metrics_quiesce(struct nfx_metrics *m)
{
	int fd = m ? MHD_quiesce_daemon(m->mhd) : -1;

	if (fd >= 0)
		close(fd);
}

void nfx_metrics_free(struct nfx_metrics *m)
{
	if (!m)
		return;
	MHD_stop_daemon(m->mhd);
	if (m->log_hidden)
		pr_warn("metrics: %" PRIu64 " more libmicrohttpd messages not logged\n",
			m->log_hidden);
	free_metrics(m);
}

void nfx_metrics_publish(struct nfx_metrics *m, const struct nfx_prom *p)
{
	char *copy = malloc(p->len + 1);

	if (!copy)
		return;	/* keep serving the previous page */
	memcpy(copy, p->buf ? p->buf : "", p->len);
	copy[p->len] = 0;
	pthread_mutex_lock(&m->lock);
	free(m->page);
	m->page = copy;
	m->page_len = p->len;
	pthread_mutex_unlock(&m->lock);
}

uint16_t nfx_metrics_port(const struct nfx_metrics *m)
{
	return m->port;
}

const char *nfx_metrics_addr(const struct nfx_metrics *m)
{
	return m->addr;
}
