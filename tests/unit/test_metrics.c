// SPDX-License-Identifier: BSD-2-Clause
/* test_metrics.c - the Prometheus endpoint over a real loopback socket. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "control/metrics.h"

static int http_get(uint16_t port, const char *path, char *out, size_t size)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
	char req[256];
	size_t got = 0;
	ssize_t n;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\nHost: x\r\n\r\n", path);
	if (write(fd, req, strlen(req)) < 0) {
		close(fd);
		return -1;
	}
	while (got + 1 < size && (n = read(fd, out + got, size - 1 - got)) > 0)
		got += (size_t)n;
	out[got] = 0;
	close(fd);
	return (int)got;
}

static void test_page_served(void)
{
	struct nfx_metrics *m = nfx_metrics_new("127.0.0.1:0", -1);
	struct nfx_prom p = { 0 };
	char resp[8192];

	CHECK(m, "server starts: %s", strerror(errno));
	if (!m)
		return;
	snprintf(resp, sizeof(resp), "127.0.0.1:%u", nfx_metrics_port(m));
	CHECK(nfx_metrics_port(m) && !strcmp(nfx_metrics_addr(m), resp), "bound address %s",
	      nfx_metrics_addr(m));
	nfx_prom_family(&p, "nfx_records_total", "counter", "Flow records decoded.");
	nfx_prom_sample(&p, "nfx_records_total", "version=\"v5\"", 42);
	nfx_prom_sample(&p, "nfx_records_total", "version=\"ipfix\"", 18446744073709551615ull);
	nfx_metrics_publish(m, &p);
	CHECK(http_get(nfx_metrics_port(m), "/metrics", resp, sizeof(resp)) > 0, "GET");
	CHECK(strstr(resp, "200 OK"), "status 200: %.40s", resp);
	CHECK(strstr(resp, "text/plain; version=0.0.4"), "content type");
	CHECK(strstr(resp, "# TYPE nfx_records_total counter\n"), "TYPE line");
	CHECK(strstr(resp, "nfx_records_total{version=\"v5\"} 42\n"), "sample");
	CHECK(strstr(resp, "{version=\"ipfix\"} 18446744073709551615\n"), "64-bit sample");
	/* a newer page replaces the old one */
	nfx_prom_reset(&p);
	nfx_prom_sample(&p, "nfx_up", NULL, 1);
	nfx_metrics_publish(m, &p);
	http_get(nfx_metrics_port(m), "/metrics", resp, sizeof(resp));
	CHECK(strstr(resp, "nfx_up 1\n") && !strstr(resp, "nfx_records_total"), "republished");
	http_get(nfx_metrics_port(m), "/", resp, sizeof(resp));
	CHECK(strstr(resp, "404"), "other paths 404");
	nfx_prom_free(&p);
	nfx_metrics_free(m);
}

static void test_bad_listen(void)
{
	CHECK(!nfx_metrics_new("nonsense:port", -1) && errno == EINVAL, "bad address refused");
	CHECK(!nfx_metrics_new("127.0.0.1:99999", -1) && errno == EINVAL, "bad port refused");
}

/* An IPv6 address is given in brackets, as a URL needs it. */
static void test_v6_addr(void)
{
	struct nfx_metrics *m = nfx_metrics_new("[::1]:0", -1);
	char want[64];

	if (!m) {
		printf("# no IPv6 loopback (%s): skipped\n", strerror(errno));
		return;
	}
	snprintf(want, sizeof(want), "[::1]:%u", nfx_metrics_port(m));
	CHECK(!strcmp(nfx_metrics_addr(m), want), "%s, want %s", nfx_metrics_addr(m), want);
	nfx_metrics_free(m);
}

static void test_large_page(void)
{
	struct nfx_prom p = { 0 };
	char name[64];

	for (int i = 0; i < 5000; i++) {
		snprintf(name, sizeof(name), "nfx_metric_%d", i);
		nfx_prom_sample(&p, name, "exporter=\"192.0.2.1\"", (uint64_t)i);
	}
	CHECK(!p.oom, "grows");
	CHECK(strstr(p.buf, "nfx_metric_4999{exporter=\"192.0.2.1\"} 4999\n"), "last sample kept");
	nfx_prom_free(&p);
}

/*
 * A hand-over: the successor serves on the old daemon's listening socket
 * (the port is never free in between), and the old one, quiesced and
 * stopped, leaves it working.  A socket bound elsewhere is not used.
 */
static void test_listener_handed_over(void)
{
	struct nfx_metrics *old = nfx_metrics_new("127.0.0.1:0", -1), *succ, *other;
	struct nfx_prom p = { 0 };
	char listen[32], resp[4096];
	uint16_t port;

	CHECK(old, "old server: %s", strerror(errno));
	if (!old)
		return;
	port = nfx_metrics_port(old);
	snprintf(listen, sizeof(listen), "127.0.0.1:%u", port);
	succ = nfx_metrics_new(listen, dup(nfx_metrics_listen_fd(old)));
	CHECK(succ && nfx_metrics_port(succ) == port, "successor on the same port %u while the old "
	      "one listens: %s", port, succ ? "ok" : strerror(errno));
	nfx_metrics_quiesce(old);
	nfx_metrics_free(old);
	if (!succ)
		return;
	nfx_prom_sample(&p, "nfx_successor", NULL, 1);
	nfx_metrics_publish(succ, &p);
	CHECK(http_get(port, "/metrics", resp, sizeof(resp)) > 0 && strstr(resp, "nfx_successor 1\n"),
	      "the successor serves after the old one stopped: %.60s", resp);
	/* asked for another address: the handed-over socket is closed, a new one bound */
	other = nfx_metrics_new("127.0.0.2:0", dup(nfx_metrics_listen_fd(succ)));
	CHECK(other && !strncmp(nfx_metrics_addr(other), "127.0.0.2:", 10),
	      "another address: a socket of its own (%s)", other ? nfx_metrics_addr(other) : "none");
	nfx_metrics_free(other);
	nfx_metrics_free(succ);
	nfx_prom_free(&p);
}

int main(void)
{
	RUN_TEST(test_page_served);
	RUN_TEST(test_bad_listen);
	RUN_TEST(test_v6_addr);
	RUN_TEST(test_large_page);
	RUN_TEST(test_listener_handed_over);
	CHECK_EXIT();
}
