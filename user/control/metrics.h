/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * metrics.h - Prometheus text exposition of the collector's counters,
 * served by libmicrohttpd on its own thread.  The event loop builds the
 * page from its counters (once a second) and publishes it; scrapes read
 * the last published copy, so no counter is ever read while it changes.
 * libmicrohttpd's own messages go to nfxdp's log, rate-limited.
 */
#ifndef NFX_METRICS_H
#define NFX_METRICS_H

#include <stddef.h>
#include <stdint.h>

/* A growing text buffer for one exposition page. */
struct nfx_prom {
	char *buf;
	size_t len;
	size_t cap;
	int oom;			/* an append failed; the page is incomplete */
};

void nfx_prom_reset(struct nfx_prom *p);
void nfx_prom_free(struct nfx_prom *p);
/* "# HELP" and "# TYPE" lines; type is "counter" or "gauge". */
void nfx_prom_family(struct nfx_prom *p, const char *name, const char *type,
		     const char *help);
/*
 * A label value as the exposition format wants it (\\, \" and \n escaped),
 * cut to fit @size.  Returns @out.
 */
const char *nfx_prom_escape(char *out, size_t size, const char *value);
/* One sample; labels is the text between the braces (escaped) or NULL. */
void nfx_prom_sample(struct nfx_prom *p, const char *name, const char *labels,
		     uint64_t value);

struct nfx_metrics;

/**
 * nfx_metrics_new() - serve GET /metrics on @listen ("ADDR:PORT", "[v6]:PORT"
 * or "PORT" = 127.0.0.1:PORT).
 * @fd: a listening socket the daemon we take over from served on, or -1;
 *      taken when it is bound where @listen says, else closed.
 * @return the server, or NULL with errno set (EINVAL for a bad address,
 *         EADDRINUSE and the like from the bind).
 */
struct nfx_metrics *nfx_metrics_new(const char *listen, int fd);
void nfx_metrics_free(struct nfx_metrics *m);
/* The listening socket, for a successor (nfx_metrics_new()'s @fd). */
int nfx_metrics_listen_fd(const struct nfx_metrics *m);
/* Stop accepting: a successor serves on the listening socket from now on. */
void nfx_metrics_quiesce(struct nfx_metrics *m);
/* Replace the page served from now on with a copy of @p. */
void nfx_metrics_publish(struct nfx_metrics *m, const struct nfx_prom *p);
/* The port actually bound (useful with port 0). */
uint16_t nfx_metrics_port(const struct nfx_metrics *m);
/* The address actually bound, "127.0.0.1:9155" or "[::1]:9155". */
const char *nfx_metrics_addr(const struct nfx_metrics *m);

#endif /* NFX_METRICS_H */
