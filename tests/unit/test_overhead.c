// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The overhead estimate's arithmetic: hits times the trap cost of the
 * instruction each point sits on, plus the handlers' time as BPF measured
 * it in the target, per tier, as a share of one CPU.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "trace/hit_cost.h"
#include "trace/overhead.h"

static const struct probe_spec *spec_of(enum ht_tier tier, enum ht_handler handler)
{
	size_t i;

	for (i = 0; i < runtime_probes_len; i++)
		if (runtime_probes[i].tier == tier && runtime_probes[i].handler == handler)
			return &runtime_probes[i];
	fail_msg("no %s-tier probe with handler %d in the table", tier_name(tier), handler);
	return NULL;
}

static const struct hit_cost cost = {
	.branch_ns = 500, .entry_ns = 4000, .ret_ns = 3000, .measured = true,
};

/* Each hit: the trap of its instruction; each probe: its handlers' time. */
static void test_cost_by_instruction_handler_and_tier(void **state)
{
	struct probe_hits hits[3] = { { .entries = 10, .exits = 10, .work_ns = 2000 },
				      { .entries = 100, .work_ns = 2000 },
				      { .entries = 1000, .work_ns = 100000 } };
	struct probe_plan plan;

	memset(&plan, 0, sizeof(plan));
	plan.n = 3;
	plan.probes[0].spec = spec_of(HT_TIER_COLD, HT_H_SCAVENGE); /* timed: an entry and its RETs */
	plan.probes[0].code.attach_kind = ATTACH_STACK_CHECK_BRANCH;
	plan.probes[1].spec = spec_of(HT_TIER_COLD, HT_H_GC_CYCLE);
	plan.probes[1].code.attach_kind = ATTACH_ENTRY; /* no stack check: single-stepped */
	plan.probes[2].spec = spec_of(HT_TIER_HOT, HT_H_MAP_ASSIGN);
	plan.probes[2].code.attach_kind = ATTACH_STACK_CHECK_BRANCH;
	assert_int_equal(hit_cost_ns(&cost, &plan, hits, HT_TIER_COLD),
			 10 * 500 + 10 * 3000 + 2000 + 100 * 4000 + 2000);
	assert_int_equal(hit_cost_ns(&cost, &plan, hits, HT_TIER_WARM), 0);
	assert_int_equal(hit_cost_ns(&cost, &plan, hits, HT_TIER_HOT), 1000 * 500 + 100000);
	assert_int_equal(hit_cost_ns(&cost, &plan, hits, -1), 37000 + 402000 + 600000);
	assert_int_equal(probe_work_ns(&plan, hits, HT_TIER_COLD), 4000);
	assert_int_equal(probe_work_ns(&plan, hits, -1), 104000);
	assert_int_equal(handler_ns_per_hit(&plan, hits), 104000 / 1120);
}

/* A pass on the way to morestack costs the trap and nothing else. */
static void test_restarts_cost_the_trap(void **state)
{
	struct probe_hits hits[1] = { { .entries = 10, .restarts = 5, .work_ns = 200 } };
	struct probe_plan plan;

	memset(&plan, 0, sizeof(plan));
	plan.n = 1;
	plan.probes[0].spec = spec_of(HT_TIER_COLD, HT_H_GC_CYCLE);
	plan.probes[0].code.attach_kind = ATTACH_STACK_CHECK_BRANCH;
	assert_int_equal(hit_cost_ns(&cost, &plan, hits, HT_TIER_COLD), 15 * 500 + 200);
	assert_int_equal(probe_hits_total(&plan, hits, HT_TIER_COLD), 15);
}

static void test_share_of_a_cpu(void **state)
{
	assert_true(overhead_pct(250000000, 1000000000) == 25.0);
	assert_true(overhead_pct(2000000000, 1000000000) == 200.0); /* several threads */
	assert_true(overhead_pct(5, 0) == 0);
}

static void test_live_view_words(void **state)
{
	struct overhead o = { .cost = { .measured = true }, .window_hits = 1500000, .window_cost_ns = 750000000,
			      .window_ns = 1000000000 };
	char buf[64];

	overhead_describe(&o, buf, sizeof(buf));
	assert_string_equal(buf, "1.5M hits/s ~75.0% CPU");
	o.window_hits = 25000;
	o.window_cost_ns = 0;
	overhead_describe(&o, buf, sizeof(buf));
	assert_string_equal(buf, "25k hits/s ~0.0% CPU");
	o.cost.measured = false;
	o.window_hits = 12;
	overhead_describe(&o, buf, sizeof(buf));
	assert_string_equal(buf, "12 hits/s");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cost_by_instruction_handler_and_tier),
		cmocka_unit_test(test_restarts_cost_the_trap),
		cmocka_unit_test(test_share_of_a_cpu),
		cmocka_unit_test(test_live_view_words),
	};

	return cmocka_run_group_tests_name("overhead", tests, NULL, NULL);
}
