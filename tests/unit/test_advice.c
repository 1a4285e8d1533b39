// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The advice rules over figures: GOMEMLIMIT under a cgroup limit (unset,
 * above what the cgroup leaves, below the live heap's need), released pages
 * still resident (LazyFree, huge pages), and what is said when nothing is
 * wrong: nothing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "gotables/runtime_godebug.h"
#include "report/advice.h"

#define MIB (1ull << 20)

/* Go 1.26, GOGC 100, 64 MiB live, 10 MiB other runtime memory; RSS split
 * with 48 MiB not Go's and 3 MiB of program file; 512 MiB cgroup limit. */
static struct advice_in base(void)
{
	struct advice_in in = {
		.ver = { 1, 26, 8 },
		.have_settings = true,
		.gogc = 100,
		.gomemlimit = INT64_MAX,
		.heap_marked = 64 * MIB,
		.non_heap = 10 * MIB,
		.have_memory = true,
		.mem = { .rss = 140 * MIB, .go_bytes = 89 * MIB, .exe_bytes = 3 * MIB, .not_go_bytes = 48 * MIB },
		.have_cgroup = true,
		.cgroup_limit = 512 * MIB,
		.thp_max_ptes_none = 511,
		.thp_enabled = "always",
	};
	return in;
}

static const struct advice *find(const struct advice *a, size_t n, const char *kind)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(a[i].kind, kind))
			return &a[i];
	return NULL;
}

static void test_no_gomemlimit_under_a_cgroup_limit(void **state)
{
	struct advice_in in = base();
	struct advice a[ADVICE_MAX];
	size_t n = advice_compute(&in, a, ADVICE_MAX);
	const struct advice *g = find(a, n, "gomemlimit");

	assert_int_equal(n, 1);
	assert_non_null(g);
	/* 512 - 10% (51.2) - 48 - 3 = 409.8 -> 409 MiB */
	assert_int_equal(g->value, 409 * MIB);
	assert_non_null(strstr(g->text, "GOMEMLIMIT=409MiB"));
	assert_non_null(strstr(g->text, "512.0 MiB"));
	assert_non_null(strstr(g->text, "48.0 MiB not Go's"));
	/* RSS not split: the headroom alone, and it says so */
	in.have_memory = false;
	n = advice_compute(&in, a, ADVICE_MAX);
	assert_int_equal(n, 1);
	assert_int_equal(a[0].value, (512 * MIB - 512 * MIB / 100 * 10) / MIB * MIB);
	assert_non_null(strstr(a[0].text, "could not be split"));
	/* a limit that leaves Go nothing */
	in = base();
	in.cgroup_limit = 50 * MIB;
	n = advice_compute(&in, a, ADVICE_MAX);
	assert_int_equal(n, 1);
	assert_int_equal(a[0].value, 0);
	assert_non_null(strstr(a[0].text, "raise the cgroup limit"));
}

static void test_nothing_to_say(void **state)
{
	struct advice_in in = base();
	struct advice a[ADVICE_MAX];

	/* GOMEMLIMIT 400 MiB under 512: room for the 51 MiB it does not govern */
	in.gomemlimit = 400 * MIB;
	assert_int_equal(advice_compute(&in, a, ADVICE_MAX), 0);
	/* no cgroup limit, no GOMEMLIMIT */
	in = base();
	in.cgroup_limit = 0;
	assert_int_equal(advice_compute(&in, a, ADVICE_MAX), 0);
	in.have_cgroup = false;
	assert_int_equal(advice_compute(&in, a, ADVICE_MAX), 0);
	/* settings not read: no guess */
	in = base();
	in.have_settings = false;
	assert_int_equal(advice_compute(&in, a, ADVICE_MAX), 0);
	/* released pages resident, but little */
	in = base();
	in.gomemlimit = 400 * MIB;
	in.mem.released_lazyfree = in.mem.released_resident = 15 * MIB;
	assert_int_equal(advice_compute(&in, a, ADVICE_MAX), 0);
}

static void test_gomemlimit_above_what_the_cgroup_leaves(void **state)
{
	struct advice_in in = base();
	struct advice a[ADVICE_MAX];
	size_t n;

	in.gomemlimit = 600 * MIB;
	n = advice_compute(&in, a, ADVICE_MAX);
	assert_int_equal(n, 1);
	assert_string_equal(a[0].kind, "gomemlimit");
	assert_int_equal(a[0].value, 409 * MIB);
	assert_non_null(strstr(a[0].text, "above the limit itself"));
	/* under the limit, but not with the 51 MiB it does not govern */
	in.gomemlimit = 480 * MIB;
	n = advice_compute(&in, a, ADVICE_MAX);
	assert_int_equal(n, 1);
	assert_null(strstr(a[0].text, "above the limit itself"));
	assert_non_null(strstr(a[0].text, "GOMEMLIMIT=409MiB"));
}

static void test_gomemlimit_below_the_live_heap(void **state)
{
	struct advice_in in = base();
	struct advice a[ADVICE_MAX];
	size_t n;

	in.have_cgroup = false;
	in.gomemlimit = 70 * MIB; /* 64 live + 10 other: under */
	in.gogc = 150;
	n = advice_compute(&in, a, ADVICE_MAX);
	assert_int_equal(n, 1);
	assert_string_equal(a[0].kind, "gomemlimit");
	/* 64 + 64 * 150% + 10 = 170 MiB */
	assert_int_equal(a[0].value, 170 * MIB);
	assert_non_null(strstr(a[0].text, "golang/go#58106"));
	/* GOGC off (the usual pairing with a limit): as if 100 */
	in.gogc = -1;
	n = advice_compute(&in, a, ADVICE_MAX);
	assert_int_equal(a[0].value, 138 * MIB);
	/* enough room: nothing */
	in.gomemlimit = 100 * MIB;
	assert_int_equal(advice_compute(&in, a, ADVICE_MAX), 0);
	/* under a cgroup limit: no more than it leaves */
	in = base();
	in.cgroup_limit = 200 * MIB;
	in.gomemlimit = 70 * MIB;
	n = advice_compute(&in, a, ADVICE_MAX);
	assert_int_equal(n, 1);
	assert_int_equal(a[0].value, (200 * MIB - 20 * MIB - 51 * MIB) / MIB * MIB);
	assert_non_null(strstr(a[0].text, "larger cgroup limit"));
}

static void test_released_pages_still_resident(void **state)
{
	struct advice_in in = base();
	struct advice a[ADVICE_MAX];
	const struct advice *x;
	size_t n;

	in.gomemlimit = 400 * MIB;
	in.mem.released_resident = 60 * MIB;
	in.mem.released_lazyfree = 32 * MIB;
	in.mem.released_huge = 28 * MIB;
	n = advice_compute(&in, a, ADVICE_MAX);
	assert_int_equal(n, 2);
	x = find(a, n, "madvdontneed");
	assert_non_null(x);
	assert_int_equal(x->value, 32 * MIB);
	assert_non_null(strstr(x->text, "GODEBUG=madvdontneed=1"));
	x = find(a, n, "thp");
	assert_non_null(x);
	assert_int_equal(x->value, 28 * MIB);
	assert_non_null(strstr(x->text, "GODEBUG=disablethp=1"));
	assert_non_null(strstr(x->text, "max_ptes_none is 511"));
	assert_non_null(strstr(x->text, "enabled to madvise"));
	/* before 1.21.6 there is no disablethp: the kernel setting, and upgrade */
	in.ver = (struct go_version){ 1, 21, 5 };
	n = advice_compute(&in, a, ADVICE_MAX);
	x = find(a, n, "thp");
	assert_non_null(strstr(x->text, "Upgrade to Go 1.21.6"));
	assert_non_null(strstr(x->text, "max_ptes_none"));
}

static void test_godebug_table(void **state)
{
	struct go_version v;

	v = (struct go_version){ 1, 21, 5 };
	assert_false(go_has_godebug(&v, "disablethp"));
	v = (struct go_version){ 1, 21, 6 };
	assert_true(go_has_godebug(&v, "disablethp"));
	v = (struct go_version){ 1, 22, 0 };
	assert_true(go_has_godebug(&v, "disablethp"));
	v = (struct go_version){ 1, 19, 13 };
	assert_false(go_has_godebug(&v, "disablethp"));
	assert_true(go_has_godebug(&v, "madvdontneed"));
	assert_false(go_has_godebug(&v, "nosuchsetting"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_gomemlimit_under_a_cgroup_limit),
		cmocka_unit_test(test_nothing_to_say),
		cmocka_unit_test(test_gomemlimit_above_what_the_cgroup_leaves),
		cmocka_unit_test(test_gomemlimit_below_the_live_heap),
		cmocka_unit_test(test_released_pages_still_resident),
		cmocka_unit_test(test_godebug_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
