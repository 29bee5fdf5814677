// SPDX-License-Identifier: BSD-2-Clause
/*
 * test_agg_clock.c - the aggregator built with a tracker fill clock that
 * wraps after a few ticks (agg.c's RT_CLOCK_END), so that the restart of
 * the clock, which drops every context's stamp, runs all the time:
 * random streams against the plain model of test_agg.c.
 */
#define RT_CLOCK_END	5u
#include "agg/agg.c"

#include "check.h"
#include "agg_model.h"

static void test_clock_wrap_model(void)
{
	static const struct m_cfg cfgs[] = {
		{ .t = 2, .hosts = 2, .ports = 6, .pool = 24, .recur = 70, .flows = 20000,
		  .rotate_every = 997, .check_every = 251, .seed = 11 },
		{ .t = 3, .hosts = 3, .ports = 12, .pool = 40, .recur = 90, .flows = 30000,
		  .rotate_every = 1499, .check_every = 613, .seed = 12 },
		{ .t = 10, .hosts = 1, .ports = 16, .pool = 30, .recur = 80, .flows = 20000,
		  .rotate_every = 701, .check_every = 333, .seed = 13 },
	};

	for (unsigned int i = 0; i < sizeof(cfgs) / sizeof(cfgs[0]); i++) {
		int bad = m_run(&cfgs[i]);

		CHECK(bad == 0, "stream %u: %d comparisons differ", i, bad);
	}
}

int main(void)
{
	RUN_TEST(test_clock_wrap_model);
	CHECK_EXIT();
}
