// SPDX-License-Identifier: BSD-2-Clause
/*
 * test_wbuf.c - wbuf.h's number text against snprintf("%llu"): every
 * value up to 10^6, each digit count's edges, random values of every
 * length, in all three paths (fast path without checks, checked with
 * room, checked near the end of the buffer) and the overflow mark; IPv4
 * text against inet_ntop().
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/wbuf.h"
#include "check.h"

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rng(void)
{
	return check_xorshift(&rng_state);
}

/* Formats @v with @room bytes left before the end; 0 if it matches printf. */
static int u64_differs(uint64_t v, int checked, size_t room, char *why, size_t why_len)
{
	char buf[64], want[32];
	struct wbuf w = { buf, buf + room, checked };
	size_t n;

	memset(buf, '#', sizeof(buf));
	n = (size_t)snprintf(want, sizeof(want), "%llu", (unsigned long long)v);
	put_u64(&w, v);
	if (checked && n > room) {
		if (w.p <= w.end || buf[0] != '#') {
			snprintf(why, why_len, "%llu in %zu bytes: no overflow mark",
				 (unsigned long long)v, room);
			return 1;
		}
		return 0;
	}
	if ((size_t)(w.p - buf) != n || memcmp(buf, want, n)) {
		snprintf(why, why_len, "%llu (checked %d, room %zu): \"%.*s\"",
			 (unsigned long long)v, checked, room, (int)(w.p - buf), buf);
		return 1;
	}
	for (size_t i = room; checked && i < sizeof(buf); i++) {
		if (buf[i] != '#') {
			snprintf(why, why_len, "%llu: wrote past the end of a %zu-byte buffer",
				 (unsigned long long)v, room);
			return 1;
		}
	}
	return 0;
}

static int u64_all_paths(uint64_t v, char *why, size_t why_len)
{
	return u64_differs(v, 0, 40, why, why_len) || u64_differs(v, 1, 40, why, why_len) ||
	       u64_differs(v, 1, 20, why, why_len);
}

static void test_u64_small(void)
{
	char why[128];

	for (uint64_t v = 0; v <= 1000000; v++) {
		if (u64_all_paths(v, why, sizeof(why))) {
			CHECK(0, "%s", why);
			return;
		}
	}
}

static void test_u64_edges(void)
{
	char why[128];
	uint64_t p = 1;

	for (int d = 0; d < 20; d++, p *= 10) {
		uint64_t edges[] = { p - 1, p, p + 1, p * 2 - 1, p * 5 };

		for (size_t i = 0; i < sizeof(edges) / sizeof(edges[0]); i++)
			if (u64_all_paths(edges[i], why, sizeof(why)))
				CHECK(0, "%s", why);
	}
	for (int b = 0; b < 64; b++) {
		uint64_t v = 1ull << b;

		if (u64_all_paths(v - 1, why, sizeof(why)) || u64_all_paths(v, why, sizeof(why)))
			CHECK(0, "%s", why);
	}
	if (u64_all_paths(UINT64_MAX, why, sizeof(why)))
		CHECK(0, "%s", why);
}

/* Random values of every length, 100,000 per bit length. */
static void test_u64_random(void)
{
	char why[128];

	for (int bits = 1; bits <= 64; bits++) {
		for (int i = 0; i < 100000; i++) {
			uint64_t v = rng() >> (64 - bits);

			if (u64_all_paths(v, why, sizeof(why))) {
				CHECK(0, "%s", why);
				return;
			}
		}
	}
}

/* Near the end of a checked buffer: every room size, a record that fits exactly. */
static void test_u64_exact_room(void)
{
	char why[128];
	uint64_t p = 1;

	for (int d = 1; d <= 20; d++, p *= 10) {
		uint64_t v = p == 1 ? 7 : p + 3;

		for (size_t room = 0; room <= 24; room++)
			if (u64_differs(v, 1, room, why, sizeof(why)))
				CHECK(0, "%s", why);
	}
}

/* After the overflow mark, nothing more is written. */
static void test_u64_after_overflow(void)
{
	char buf[32];
	struct wbuf w = { buf, buf + 3, 1 };

	memset(buf, '#', sizeof(buf));
	put_u64(&w, 12345);
	CHECK(w.p > w.end, "no overflow mark");
	put_u64(&w, 1);
	put_u64(&w, 123456789012ull);
	CHECK(w.p > w.end, "overflow mark lost");
	for (size_t i = 0; i < sizeof(buf); i++)
		CHECK(buf[i] == '#', "wrote byte %zu after the overflow mark", i);
}

/* IPv4 text against inet_ntop(): every octet value in every position, then random addresses. */
static void test_v4_text(void)
{
	uint64_t state = 0x2545f4914f6cdd1dull;

	for (uint32_t i = 0; i < 4 * 256 + 1000000; i++) {
		struct nfx_addr a = { 0 };
		char buf[64], want[INET_ADDRSTRLEN];
		struct wbuf w = { buf, buf + sizeof(buf), 1 };
		uint32_t v4 = (uint32_t)check_xorshift(&state);

		if (i < 4 * 256)
			v4 = (i & 255u) << (8 * (i >> 8)) | 0x01010101u * (i % 3);
		memcpy(a.b + 12, &v4, 4);
		a.b[10] = a.b[11] = 0xff;
		put_ip(&w, &a);
		inet_ntop(AF_INET, a.b + 12, want, sizeof(want));
		if ((size_t)(w.p - buf) != strlen(want) || memcmp(buf, want, strlen(want))) {
			CHECK(0, "%s written as \"%.*s\"", want, (int)(w.p - buf), buf);
			return;
		}
	}
}

int main(void)
{
	RUN_TEST(test_u64_small);
	RUN_TEST(test_u64_edges);
	RUN_TEST(test_u64_random);
	RUN_TEST(test_u64_exact_room);
	RUN_TEST(test_u64_after_overflow);
	RUN_TEST(test_v4_text);
	CHECK_EXIT();
}
