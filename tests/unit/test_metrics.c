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
	struct nfx_metrics *m = nfx_metrics_new("127.0.0.1:0");
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
	CHECK(!nfx_metrics_new("nonsense:port") && errno == EINVAL, "bad address refused");
	CHECK(!nfx_metrics_new("127.0.0.1:99999") && errno == EINVAL, "bad port refused");
}

/* An IPv6 address is given in brackets, as a URL needs it. */
static void test_v6_addr(void)
{
	struct nfx_metrics *m = nfx_metrics_new("[::1]:0");
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

int main(void)
{
	RUN_TEST(test_page_served);
	RUN_TEST(test_bad_listen);
	RUN_TEST(test_v6_addr);
	RUN_TEST(test_large_page);
	CHECK_EXIT();
}
