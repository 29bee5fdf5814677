/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * check.h - the smallest test harness that can fail.  Each TEST prints
 * "ok NAME" or "FAIL NAME: why" and tests/run.sh counts those lines.
 */
#ifndef NFX_CHECK_H
#define NFX_CHECK_H

#include <stdint.h>
#include <stdio.h>

/* xorshift64: the same sequence on every run, so a failure reproduces. */
static inline uint64_t check_xorshift(uint64_t *state)
{
	*state ^= *state << 13;
	*state ^= *state >> 7;
	*state ^= *state << 17;
	return *state;
}

static int check_failed_total;
static int check_failed_now;
static const char *check_name;

#define CHECK(cond, ...)                                                       \
	do {                                                                   \
		if (!(cond)) {                                                 \
			if (!check_failed_now)                                 \
				printf("FAIL %s: ", check_name);               \
			else                                                   \
				printf("     %s: ", check_name);               \
			printf(__VA_ARGS__);                                   \
			printf(" [%s:%d: %s]\n", __FILE__, __LINE__, #cond);   \
			check_failed_now = 1;                                  \
		}                                                              \
	} while (0)

#define CHECK_EQ(a, b)                                                         \
	CHECK((unsigned long long)(a) == (unsigned long long)(b),              \
	      "%s = %llu, expected %llu", #a, (unsigned long long)(a),         \
	      (unsigned long long)(b))

#define RUN_TEST(fn)                                                           \
	do {                                                                   \
		check_name = #fn;                                              \
		check_failed_now = 0;                                          \
		fn();                                                          \
		if (!check_failed_now)                                         \
			printf("ok %s\n", #fn);                                \
		check_failed_total += check_failed_now;                        \
		fflush(stdout);                                                \
	} while (0)

#define CHECK_EXIT() return check_failed_total ? 1 : 0

#endif /* NFX_CHECK_H */
