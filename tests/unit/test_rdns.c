// SPDX-License-Identifier: BSD-2-Clause
/*
 * test_rdns.c - reverse DNS: prefix eligibility, cache with positive,
 * negative and error TTLs on a test-driven clock, the entry bound and its
 * eviction, the token bucket, the throttle on resolver failures and its
 * recovery.  A tiny DNS server on a thread (127.0.0.1, ephemeral port)
 * answers the PTR queries:
 *   IPv4 last octet   0..199  a PTR "host-A-B-C-D.example"
 *                   200..249  NXDOMAIN
 *                   250..255  SERVFAIL
 *   IPv6                      a PTR "v6host.example"
 *   srv.drop set              no answer at all (a dead resolver)
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "enrich/rdns.h"

/* where nfx_rdns_lookup() copies a name: the tests look one up at a time */
static char namebuf[NFX_RDNS_NAME_MAX + 1];

/* ---- the fake DNS server ---- */

static struct {
	int fd;
	uint16_t port;
	pthread_t thr;
	atomic_int stop;
	atomic_int drop;
	atomic_uint queries;		/* PTR queries received */
	atomic_uint public_queries;	/* for an address outside 10/8 and fc00::/7 */
	char server[32];
} srv;

/* Labels of the question at @p into dotted text; returns the offset after it. */
static int qname_text(const uint8_t *m, int len, int p, char *out, size_t size)
{
	size_t n = 0;

	while (p < len && m[p]) {
		int l = m[p++];

		if (l > 63 || p + l > len || n + (size_t)l + 2 > size)
			return -1;
		if (n)
			out[n++] = '.';
		memcpy(out + n, m + p, (size_t)l);
		n += (size_t)l;
		p += l;
	}
	out[n] = 0;
	return p < len ? p + 1 : -1;
}

static int put_name(uint8_t *o, const char *name)
{
	int n = 0;

	while (*name) {
		const char *dot = strchr(name, '.');
		int l = dot ? (int)(dot - name) : (int)strlen(name);

		o[n++] = (uint8_t)l;
		memcpy(o + n, name, (size_t)l);
		n += l;
		name += l + (dot ? 1 : 0);
	}
	o[n++] = 0;
	return n;
}

static void answer(const uint8_t *q, int len, struct sockaddr_in *from, socklen_t fl)
{
	uint8_t out[512];
	char qn[300], host[128];
	unsigned int a, b, c, d;
	int qend, n, rcode = 0;

	if (len < 12 || (qend = qname_text(q, len, 12, qn, sizeof(qn))) < 0 || qend + 4 > len)
		return;
	atomic_fetch_add(&srv.queries, 1);
	if (strstr(qn, ".in-addr.arpa") &&
	    sscanf(qn, "%u.%u.%u.%u.in-addr.arpa", &d, &c, &b, &a) == 4) {
		if (a != 10)
			atomic_fetch_add(&srv.public_queries, 1);
		if (d >= 250)
			rcode = 2;
		else if (d >= 200)
			rcode = 3;
		else
			snprintf(host, sizeof(host), "host-%u-%u-%u-%u.example", a, b, c, d);
	} else {
		if (!strstr(qn, ".c.f.ip6.arpa") && !strstr(qn, ".d.f.ip6.arpa"))
			atomic_fetch_add(&srv.public_queries, 1);
		snprintf(host, sizeof(host), "v6host.example");
	}
	if (atomic_load(&srv.drop))
		return;
	qend += 4;
	memcpy(out, q, (size_t)qend);
	out[2] = 0x80 | (q[2] & 0x01) | 0x04;	/* QR, RD copied, AA */
	out[3] = (uint8_t)(0x80 | rcode);	/* RA */
	out[6] = 0;
	out[7] = rcode ? 0 : 1;			/* ANCOUNT */
	memset(out + 8, 0, 4);
	n = qend;
	if (!rcode) {
		int rdl;

		out[n++] = 0xc0;		/* pointer to the question name */
		out[n++] = 12;
		out[n++] = 0; out[n++] = 12;	/* PTR */
		out[n++] = 0; out[n++] = 1;	/* IN */
		out[n++] = 0; out[n++] = 0; out[n++] = 0x0e; out[n++] = 0x10;	/* TTL 3600 */
		rdl = put_name(out + n + 2, host);
		out[n++] = (uint8_t)(rdl >> 8);
		out[n++] = (uint8_t)rdl;
		n += rdl;
	}
	sendto(srv.fd, out, (size_t)n, 0, (struct sockaddr *)from, fl);
}

static void *srv_main(void *arg)
{
	uint8_t buf[512];

	while (!atomic_load(&srv.stop)) {
		struct pollfd p = { .fd = srv.fd, .events = POLLIN };
		struct sockaddr_in from;
		socklen_t fl = sizeof(from);
		ssize_t n;

		if (poll(&p, 1, 20) <= 0)
			continue;
		while ((n = recvfrom(srv.fd, buf, sizeof(buf), MSG_DONTWAIT,
				     (struct sockaddr *)&from, &fl)) > 0) {
			answer(buf, (int)n, &from, fl);
			fl = sizeof(from);
		}
	}
	return arg;
}

static int srv_start(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t sl = sizeof(sa);
	int rcv = 1 << 20;

	srv.fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (srv.fd < 0 || bind(srv.fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    getsockname(srv.fd, (struct sockaddr *)&sa, &sl))
		return -1;
	setsockopt(srv.fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
	srv.port = ntohs(sa.sin_port);
	snprintf(srv.server, sizeof(srv.server), "127.0.0.1:%u", srv.port);
	return pthread_create(&srv.thr, NULL, srv_main, NULL);
}

static void srv_stop(void)
{
	atomic_store(&srv.stop, 1);
	pthread_join(srv.thr, NULL);
	close(srv.fd);
}

/* ---- helpers ---- */

static struct nfx_addr v4(unsigned int a, unsigned int b, unsigned int c, unsigned int d)
{
	struct nfx_addr x;
	uint8_t q[4] = { (uint8_t)a, (uint8_t)b, (uint8_t)c, (uint8_t)d };

	nfx_addr_set_v4(&x, q);
	return x;
}

static struct nfx_addr ip(const char *s)
{
	struct nfx_addr x;

	if (nfx_addr_parse(&x, s))
		abort();
	return x;
}

/* Runs the poll loop (at test clock @now) until nothing is in flight, 3 s at most. */
static void pump(struct nfx_rdns *r, uint64_t now)
{
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		struct pollfd p[NFX_RDNS_MAX_FDS];

		nfx_rdns_fds(r, p, NFX_RDNS_MAX_FDS);
		poll(p, NFX_RDNS_MAX_FDS, 5);
		nfx_rdns_process(r, p, NFX_RDNS_MAX_FDS, now);
		if (!nfx_rdns_stats(r)->inflight)
			return;
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (t.tv_sec - t0.tv_sec > 3)
			return;
	}
}

static struct nfx_rdns_opts base_opts(void)
{
	return (struct nfx_rdns_opts){ .server = srv.server, .timeout_ms = 100, .tries = 1 };
}

#define T0 1800000000000ull	/* the test clock starts here (ms) */

static int streq(const char *a, const char *b)
{
	return a && b && !strcmp(a, b);
}

/* ---- tests ---- */

static void test_eligible_default(void)
{
	struct nfx_rdns_opts o = base_opts();
	struct nfx_rdns *r = nfx_rdns_new(&o);
	static const struct { const char *a; int want; } cases[] = {
		{ "10.0.0.1", 1 }, { "10.255.255.255", 1 }, { "172.16.0.1", 1 },
		{ "172.31.255.1", 1 }, { "172.32.0.1", 0 }, { "172.15.255.255", 0 },
		{ "192.168.7.7", 1 }, { "192.169.0.1", 0 }, { "8.8.8.8", 0 },
		{ "100.64.0.1", 0 }, { "169.254.1.1", 0 }, { "127.0.0.1", 0 },
		{ "0.0.0.0", 0 }, { "fd00::1", 1 }, { "fc00::1", 1 }, { "fe80::1", 0 },
		{ "2001:db8::1", 0 }, { "::1", 0 }, { "::", 0 }, { "::ffff:10.1.1.1", 1 },
		{ "::a01:101", 0 },	/* v4-compatible form is not IPv4 */
	};

	CHECK(r, "nfx_rdns_new: %s", strerror(errno));
	if (!r)
		return;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct nfx_addr a = ip(cases[i].a);

		CHECK(nfx_rdns_eligible(r, &a) == cases[i].want, "%s: eligible %d, want %d",
		      cases[i].a, nfx_rdns_eligible(r, &a), cases[i].want);
	}
	nfx_rdns_free(r);
}

static void test_eligible_custom(void)
{
	static const char *const wide[] = { "default", "100.64.0.0/10", "!10.99.0.0/16",
					    "10.99.5.0/24", "!fd00:bad::/32" };
	static const char *const all[] = { "0.0.0.0/0", "::/0" };
	static const char *const one[] = { "192.0.2.7" };
	static const char *const bad[][1] = { { "10.0.0.0/33" }, { "fd00::/129" }, { "10.0.0/8" },
					      { "host" }, { "!" }, { "10.0.0.0/" }, { "" } };
	struct nfx_rdns_opts o = base_opts();
	struct nfx_rdns *r;
	struct nfx_addr a;

	o.prefixes = wide;
	o.nprefixes = 5;
	r = nfx_rdns_new(&o);
	CHECK(r, "nfx_rdns_new(wide): %s", strerror(errno));
	if (r) {
		a = ip("100.64.3.4");	CHECK(nfx_rdns_eligible(r, &a), "100.64.3.4 added");
		a = ip("100.128.0.1");	CHECK(!nfx_rdns_eligible(r, &a), "100.128.0.1 outside /10");
		a = ip("10.99.1.1");	CHECK(!nfx_rdns_eligible(r, &a), "10.99.1.1 excluded");
		a = ip("10.99.5.1");	CHECK(nfx_rdns_eligible(r, &a), "10.99.5.1: longer include wins");
		a = ip("10.98.1.1");	CHECK(nfx_rdns_eligible(r, &a), "10.98.1.1 still in default");
		a = ip("fd00:bad::1");	CHECK(!nfx_rdns_eligible(r, &a), "fd00:bad::1 excluded");
		a = ip("fd00:bae::1");	CHECK(nfx_rdns_eligible(r, &a), "fd00:bae::1 included");
		nfx_rdns_free(r);
	}
	o.prefixes = all;
	o.nprefixes = 2;
	r = nfx_rdns_new(&o);
	CHECK(r, "nfx_rdns_new(all)");
	if (r) {
		a = ip("8.8.8.8");	CHECK(nfx_rdns_eligible(r, &a), "8.8.8.8 with 0.0.0.0/0");
		a = ip("2001:db8::1");	CHECK(nfx_rdns_eligible(r, &a), "2001:db8::1 with ::/0");
		nfx_rdns_free(r);
	}
	o.prefixes = one;
	o.nprefixes = 1;
	r = nfx_rdns_new(&o);
	CHECK(r, "nfx_rdns_new(one)");
	if (r) {
		a = ip("192.0.2.7");	CHECK(nfx_rdns_eligible(r, &a), "a bare address is a /32");
		a = ip("192.0.2.8");	CHECK(!nfx_rdns_eligible(r, &a), "192.0.2.8 not in /32");
		a = ip("10.0.0.1");	CHECK(!nfx_rdns_eligible(r, &a), "list replaces the default");
		nfx_rdns_free(r);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		o.prefixes = bad[i];
		o.nprefixes = 1;
		errno = 0;
		r = nfx_rdns_new(&o);
		CHECK(!r && errno == EINVAL, "prefix '%s' accepted (errno %d)", bad[i][0], errno);
		CHECK(nfx_rdns_prefix_check(bad[i][0]) == -EINVAL, "check '%s'", bad[i][0]);
		nfx_rdns_free(r);
	}
	CHECK(nfx_rdns_prefix_check("default") == 0, "default");
	CHECK(nfx_rdns_prefix_check("!fd00::/8") == 0, "!fd00::/8");
	o = base_opts();
	o.server = "not-an-address";
	r = nfx_rdns_new(&o);
	CHECK(!r && errno == EINVAL, "bad server accepted");
	nfx_rdns_free(r);
}

static void test_answer_cached(void)
{
	struct nfx_rdns_opts o = base_opts();
	struct nfx_rdns *r = nfx_rdns_new(&o);
	struct nfx_addr a = v4(10, 1, 2, 3), b = ip("fd00::17"), pub = v4(8, 8, 4, 4);
	const struct nfx_rdns_stats *s;
	unsigned int q0 = atomic_load(&srv.queries), p0 = atomic_load(&srv.public_queries);
	const char *n;

	if (!r) {
		CHECK(0, "nfx_rdns_new: %s", strerror(errno));
		return;
	}
	s = nfx_rdns_stats(r);
	CHECK(!nfx_rdns_lookup(r, &a, T0, namebuf), "name before any answer");
	CHECK(!nfx_rdns_lookup(r, &a, T0, namebuf), "name while in flight");
	CHECK(!nfx_rdns_lookup(r, &b, T0, namebuf), "v6 name before any answer");
	CHECK(!nfx_rdns_lookup(r, &pub, T0, namebuf), "public address");
	nfx_rdns_stats(r);
	CHECK_EQ(s->queries, 2);
	CHECK_EQ(s->pending, 1);
	CHECK_EQ(s->ineligible, 1);
	CHECK(nfx_rdns_timeout_ms(r) >= 0, "a timeout while in flight");
	pump(r, T0 + 10);
	n = nfx_rdns_lookup(r, &a, T0 + 20, namebuf);
	CHECK(streq(n, "host-10-1-2-3.example"), "name %s", n ? n : "(null)");
	n = nfx_rdns_lookup(r, &b, T0 + 20, namebuf);
	CHECK(streq(n, "v6host.example"), "v6 name %s", n ? n : "(null)");
	for (int i = 0; i < 100; i++)
		nfx_rdns_lookup(r, &a, T0 + 30 + (uint64_t)i, namebuf);
	nfx_rdns_stats(r);
	CHECK_EQ(s->queries, 2);
	CHECK_EQ(s->answers, 2);
	CHECK_EQ(s->cache_hits, 102);
	CHECK_EQ(s->lookups, 106);
	CHECK_EQ(s->cache_size, 2);
	CHECK_EQ(s->inflight, 0);
	CHECK_EQ(atomic_load(&srv.queries) - q0, 2);
	CHECK_EQ(atomic_load(&srv.public_queries) - p0, 0);
	CHECK_EQ(nfx_rdns_timeout_ms(r), -1);
	/* prefetch warms the cache without counting lookups */
	a = v4(10, 1, 2, 4);
	nfx_rdns_prefetch(r, &a, T0 + 200);
	pump(r, T0 + 200);
	nfx_rdns_stats(r);
	CHECK_EQ(s->lookups, 106);
	n = nfx_rdns_lookup(r, &a, T0 + 210, namebuf);
	CHECK(streq(n, "host-10-1-2-4.example"), "prefetched name %s", n ? n : "(null)");
	nfx_rdns_free(r);
}

static void test_ttls(void)
{
	struct nfx_rdns_opts o = base_opts();
	struct nfx_rdns *r;
	struct nfx_addr pos = v4(10, 0, 0, 5), neg = v4(10, 0, 0, 210);
	const struct nfx_rdns_stats *s;
	uint64_t t = T0;
	const char *n;

	o.cache_ttl_s = 10;
	o.negative_ttl_s = 3;
	r = nfx_rdns_new(&o);
	if (!r) {
		CHECK(0, "nfx_rdns_new: %s", strerror(errno));
		return;
	}
	s = nfx_rdns_stats(r);
	nfx_rdns_lookup(r, &pos, t, namebuf);
	nfx_rdns_lookup(r, &neg, t, namebuf);
	pump(r, t);
	nfx_rdns_stats(r);
	CHECK_EQ(s->answers, 1);
	CHECK_EQ(s->nxdomain, 1);
	CHECK(!nfx_rdns_lookup(r, &neg, t + 2000, namebuf), "negative at +2 s");
	n = nfx_rdns_lookup(r, &pos, t + 4000, namebuf);
	CHECK(streq(n, "host-10-0-0-5.example"), "at +4 s: %s", n ? n : "(null)");
	nfx_rdns_stats(r);
	CHECK_EQ(s->queries, 2);
	CHECK_EQ(s->cache_hits, 2);
	/* negative expired at +4 s: asked again */
	CHECK(!nfx_rdns_lookup(r, &neg, t + 4500, namebuf), "negative at +4.5 s");
	pump(r, t + 4500);
	n = nfx_rdns_lookup(r, &pos, t + 9000, namebuf);
	CHECK(streq(n, "host-10-0-0-5.example"), "at +9 s: %s", n ? n : "(null)");
	nfx_rdns_stats(r);
	CHECK_EQ(s->queries, 3);
	CHECK_EQ(s->nxdomain, 2);
	CHECK_EQ(s->cache_hits, 3);
	/* positive expired at +11 s: asked again, the name is back after the answer */
	CHECK(!nfx_rdns_lookup(r, &pos, t + 11500, namebuf), "expired positive is a miss");
	pump(r, t + 11500);
	n = nfx_rdns_lookup(r, &pos, t + 11600, namebuf);
	CHECK(streq(n, "host-10-0-0-5.example"), "refreshed: %s", n ? n : "(null)");
	nfx_rdns_stats(r);
	CHECK_EQ(s->queries, 4);
	CHECK_EQ(s->answers, 2);
	/* the sweep removes what expired: after +25 s only nothing is alive */
	for (uint64_t x = t + 12000; x <= t + 100000; x += 1000)
		nfx_rdns_process(r, NULL, 0, x);
	nfx_rdns_stats(r);
	CHECK_EQ(s->cache_size, 0);
	CHECK(s->cache_expired >= 2, "expired %llu", (unsigned long long)s->cache_expired);
	nfx_rdns_free(r);
}

static void test_timeout_and_errors(void)
{
	struct nfx_rdns_opts o = base_opts();
	struct nfx_rdns *r;
	struct nfx_addr a = v4(10, 3, 0, 7), sf = v4(10, 3, 0, 251);
	const struct nfx_rdns_stats *s;
	uint64_t t = T0;
	const char *n;

	o.error_ttl_s = 5;
	r = nfx_rdns_new(&o);
	if (!r) {
		CHECK(0, "nfx_rdns_new: %s", strerror(errno));
		return;
	}
	s = nfx_rdns_stats(r);
	atomic_store(&srv.drop, 1);
	nfx_rdns_lookup(r, &a, t, namebuf);
	pump(r, t);
	atomic_store(&srv.drop, 0);
	nfx_rdns_stats(r);
	CHECK_EQ(s->timeouts, 1);
	CHECK_EQ(s->inflight, 0);
	/* cached negative for error_ttl: no new query, even with the server back */
	CHECK(!nfx_rdns_lookup(r, &a, t + 4000, namebuf), "during error TTL");
	nfx_rdns_stats(r);
	CHECK_EQ(s->queries, 1);
	CHECK_EQ(s->cache_hits, 1);
	/* after it, asked again and answered */
	nfx_rdns_lookup(r, &a, t + 6000, namebuf);
	pump(r, t + 6000);
	n = nfx_rdns_lookup(r, &a, t + 6100, namebuf);
	CHECK(streq(n, "host-10-3-0-7.example"), "name after the timeout %s", n ? n : "(null)");
	/* SERVFAIL: an error */
	nfx_rdns_lookup(r, &sf, t + 7000, namebuf);
	pump(r, t + 7000);
	nfx_rdns_stats(r);
	CHECK_EQ(s->errors, 1);
	CHECK_EQ(s->answers, 1);
	CHECK_EQ(s->nxdomain, 0);
	nfx_rdns_free(r);

	/* no server listening: connection refused, counted, never blocks */
	o = base_opts();
	o.server = "127.0.0.1:9";
	r = nfx_rdns_new(&o);
	if (!r) {
		CHECK(0, "nfx_rdns_new: %s", strerror(errno));
		return;
	}
	s = nfx_rdns_stats(r);
	for (int i = 0; i < 5; i++) {
		struct nfx_addr x = v4(10, 4, 0, (unsigned)i);

		nfx_rdns_lookup(r, &x, t, namebuf);
	}
	pump(r, t);
	nfx_rdns_stats(r);
	CHECK_EQ(s->queries, 5);
	CHECK(s->errors + s->timeouts == 5, "errors %llu timeouts %llu",
	      (unsigned long long)s->errors, (unsigned long long)s->timeouts);
	nfx_rdns_free(r);
}

static void test_bound_and_eviction(void)
{
	struct nfx_rdns_opts o = base_opts();
	struct nfx_rdns *r;
	struct nfx_addr hot = v4(10, 200, 0, 1);
	const struct nfx_rdns_stats *s;
	uint64_t max_size = 0, t = T0;
	const char *n;

	o.max_entries = 1000;
	o.rate_limit = 1000000;
	r = nfx_rdns_new(&o);
	if (!r) {
		CHECK(0, "nfx_rdns_new: %s", strerror(errno));
		return;
	}
	s = nfx_rdns_stats(r);
	nfx_rdns_lookup(r, &hot, t, namebuf);
	pump(r, t);
	for (unsigned int i = 0; i < 6000; i++) {
		struct nfx_addr x = v4(10, 100 + i / 40000, (i / 200) % 200, i % 200);

		nfx_rdns_lookup(r, &x, t, namebuf);
		n = nfx_rdns_lookup(r, &hot, t, namebuf);
		CHECK(streq(n, "host-10-200-0-1.example"), "hot entry lost at %u", i);
		if (i % 100 == 99)
			pump(r, t);
		if (nfx_rdns_stats(r)->cache_size > max_size)
			max_size = s->cache_size;
		if (check_failed_now)
			break;
	}
	pump(r, t);
	nfx_rdns_stats(r);
	CHECK(max_size <= 1000, "cache size reached %llu", (unsigned long long)max_size);
	CHECK_EQ(s->cache_size, 1000);
	CHECK(s->cache_evictions >= 5000, "evictions %llu", (unsigned long long)s->cache_evictions);
	CHECK(s->cache_slots <= 2048, "slots %llu", (unsigned long long)s->cache_slots);
	CHECK_EQ(s->answers, 6001);
	/* what is cached answers: the last addresses asked */
	{
		struct nfx_addr x = v4(10, 100, (5999 / 200) % 200, 5999 % 200);

		n = nfx_rdns_lookup(r, &x, t, namebuf);
		CHECK(streq(n, "host-10-100-29-199.example"), "latest entry: %s", n ? n : "(null)");
	}
	nfx_rdns_free(r);
}

static void test_rate_limit(void)
{
	struct nfx_rdns_opts o = base_opts();
	struct nfx_rdns *r;
	const struct nfx_rdns_stats *s;
	unsigned int q0 = atomic_load(&srv.queries);
	uint64_t t = T0;

	o.rate_limit = 100;
	r = nfx_rdns_new(&o);
	if (!r) {
		CHECK(0, "nfx_rdns_new: %s", strerror(errno));
		return;
	}
	s = nfx_rdns_stats(r);
	/* a flood of 1000 distinct addresses at one instant: the burst (1 s worth) goes out */
	for (unsigned int i = 0; i < 1000; i++) {
		struct nfx_addr x = v4(10, 5, i / 200, i % 200);

		nfx_rdns_lookup(r, &x, t, namebuf);
	}
	nfx_rdns_stats(r);
	CHECK_EQ(s->queries, 100);
	CHECK_EQ(s->rate_limited, 900);
	pump(r, t);
	/* 0.5 s later: 50 more tokens; 10 s of flooding at 1 ms steps: 100/s */
	for (unsigned int i = 0; i < 10000; i++) {
		struct nfx_addr x = v4(10, 6, (i / 200) % 200, i % 200);

		t += 1;
		nfx_rdns_lookup(r, &x, t + 500, namebuf);
		if (i % 500 == 0)
			pump(r, t + 500);
	}
	pump(r, t + 500);
	nfx_rdns_stats(r);
	CHECK(s->queries >= 100 + 1050 - 2 && s->queries <= 100 + 1050 + 1,
	      "queries %llu over 10.5 s at 100/s after the burst", (unsigned long long)s->queries);
	CHECK_EQ(atomic_load(&srv.queries) - q0, s->queries);
	CHECK_EQ(s->lookups, 11000);
	CHECK_EQ(s->rate_limited + s->queries, 11000);
	CHECK(s->cache_size == s->queries, "cache %llu", (unsigned long long)s->cache_size);
	nfx_rdns_free(r);
}

static void test_inflight_bound(void)
{
	struct nfx_rdns_opts o = base_opts();
	struct nfx_rdns *r;
	const struct nfx_rdns_stats *s;

	o.max_inflight = 8;
	r = nfx_rdns_new(&o);
	if (!r) {
		CHECK(0, "nfx_rdns_new: %s", strerror(errno));
		return;
	}
	s = nfx_rdns_stats(r);
	atomic_store(&srv.drop, 1);
	for (unsigned int i = 0; i < 20; i++) {
		struct nfx_addr x = v4(10, 7, 0, i);

		nfx_rdns_lookup(r, &x, T0, namebuf);
	}
	nfx_rdns_stats(r);
	CHECK_EQ(s->queries, 8);
	CHECK_EQ(s->inflight, 8);
	CHECK_EQ(s->rate_limited, 12);
	pump(r, T0);
	atomic_store(&srv.drop, 0);
	nfx_rdns_stats(r);
	CHECK_EQ(s->timeouts, 8);
	CHECK_EQ(s->inflight, 0);
	nfx_rdns_free(r);
}

static void test_throttle_recovery(void)
{
	struct nfx_rdns_opts o = base_opts();
	struct nfx_rdns *r;
	const struct nfx_rdns_stats *s;
	uint64_t t = T0, q;
	const char *n;

	o.rate_limit = 1000;
	o.rate_min = 1;
	o.throttle_errors = 10;
	o.recovery_ms = 2000;
	r = nfx_rdns_new(&o);
	if (!r) {
		CHECK(0, "nfx_rdns_new: %s", strerror(errno));
		return;
	}
	s = nfx_rdns_stats(r);
	/* 35 failures (SERVFAIL): three runs of 10 halve the rate three times */
	for (unsigned int i = 0; i < 35; i++) {
		struct nfx_addr x = v4(10, 8, i, 250);

		nfx_rdns_lookup(r, &x, t, namebuf);
	}
	pump(r, t);
	nfx_rdns_stats(r);
	CHECK_EQ(s->errors, 35);
	CHECK_EQ(s->throttles, 3);
	CHECK_EQ(s->rate, 125);
	/* failures go on (20 addresses a second): down to the floor, the bucket follows */
	for (unsigned int i = 0; i < 400; i++) {
		struct nfx_addr x = v4(10, 9, i % 200, 250 + i / 200);

		if (i % 20 == 0)
			t += 1000;
		nfx_rdns_lookup(r, &x, t, namebuf);
		if (i % 20 == 19)
			pump(r, t);
	}
	pump(r, t);
	nfx_rdns_stats(r);
	CHECK_EQ(s->rate, 1);
	q = s->queries;
	for (unsigned int i = 0; i < 50; i++) {
		struct nfx_addr x = v4(10, 10, 0, i);

		nfx_rdns_lookup(r, &x, t + 1000, namebuf);
	}
	nfx_rdns_stats(r);
	CHECK(s->queries - q <= 1, "throttled to 1/s: %llu queries", (unsigned long long)(s->queries - q));
	pump(r, t + 1000);
	/* the server works again: every 2 s without a failure doubles the rate */
	for (int k = 1; k <= 10; k++) {
		struct nfx_addr x = v4(10, 11, 0, (unsigned)k);

		t += 2000;
		nfx_rdns_lookup(r, &x, t + 1000, namebuf);	/* successes while recovering */
		pump(r, t + 1000);
		nfx_rdns_process(r, NULL, 0, t + 1000);
	}
	nfx_rdns_stats(r);
	CHECK_EQ(s->rate, 1000);
	{
		struct nfx_addr x = v4(10, 11, 0, 10);

		n = nfx_rdns_lookup(r, &x, t + 1000, namebuf);
	}
	CHECK(streq(n, "host-10-11-0-10.example"), "after recovery %s", n ? n : "(null)");
	/* full rate again: a burst gets through (bucket refilled over 1 s) */
	q = s->queries;
	for (unsigned int i = 0; i < 150; i++) {
		struct nfx_addr x = v4(10, 12, 0, i);

		nfx_rdns_lookup(r, &x, t + 3000, namebuf);
	}
	nfx_rdns_stats(r);
	CHECK(s->queries - q == 150, "burst after recovery: %llu", (unsigned long long)(s->queries - q));
	pump(r, t + 3000);
	nfx_rdns_free(r);
}

/* Hits and ineligible addresses are cheap: the writer calls this twice per record. */
static void test_lookup_cost(void)
{
	struct nfx_rdns_opts o = base_opts();
	struct nfx_rdns *r = nfx_rdns_new(&o);
	struct nfx_addr hit = v4(10, 13, 0, 1), pub = v4(8, 8, 8, 8);
	struct timespec a, b;
	volatile const char *sink;
	const int N = 2000000;
	double ns_hit, ns_pub;

	if (!r) {
		CHECK(0, "nfx_rdns_new: %s", strerror(errno));
		return;
	}
	nfx_rdns_lookup(r, &hit, T0, namebuf);
	pump(r, T0);
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (int i = 0; i < N; i++)
		sink = nfx_rdns_lookup(r, &hit, T0 + 1, namebuf);
	clock_gettime(CLOCK_MONOTONIC, &b);
	ns_hit = ((double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec)) / N;
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (int i = 0; i < N; i++)
		sink = nfx_rdns_lookup(r, &pub, T0 + 1, namebuf);
	clock_gettime(CLOCK_MONOTONIC, &b);
	ns_pub = ((double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec)) / N;
	(void)sink;
	printf("# lookup cost: cache hit %.1f ns, ineligible %.1f ns\n", ns_hit, ns_pub);
	CHECK(ns_hit < 2000 && ns_pub < 2000, "lookup too slow: %.1f / %.1f ns", ns_hit, ns_pub);
	CHECK_EQ(nfx_rdns_stats(r)->queries, 1);
	nfx_rdns_free(r);
}

int main(void)
{
	if (srv_start()) {
		printf("FAIL test_rdns: cannot start the fake DNS server: %s\n", strerror(errno));
		return 1;
	}
	RUN_TEST(test_eligible_default);
	RUN_TEST(test_eligible_custom);
	RUN_TEST(test_answer_cached);
	RUN_TEST(test_ttls);
	RUN_TEST(test_timeout_and_errors);
	RUN_TEST(test_bound_and_eviction);
	RUN_TEST(test_rate_limit);
	RUN_TEST(test_inflight_bound);
	RUN_TEST(test_throttle_recovery);
	RUN_TEST(test_lookup_cost);
	srv_stop();
	CHECK_EXIT();
}
