// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Map types read from the binaries built by tools/build-targets.sh (Go
 * 1.19, 1.22, current; the stripped twin, PIE too) against Go's DWARF of the
 * unstripped one (tests/tools/maptypes), and the matcher that names a heap
 * table by its shape.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "util/log.h"
#include "gotables/runtime_alloc.h"
#include "target/gomaptypes.h"
#include "target/target.h"

static const char *dir;
static const char *const binaries[] = { "go119-mapleak", "go119-httpsvc", "go122-mapleak", "go122-httpsvc",
					"gocur-mapleak", "gocur-httpsvc", "gocur-mapleak-pie", "go122-gcload-pie",
					NULL };

static int setup(void **state)
{
	dir = getenv("HT_TARGETS");
	return !dir;
}

static void load(const char *name, const char *suffix, struct target *t, struct go_map_types *mt)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s%s", dir, name, suffix);
	if (target_from_file(t, path))
		fail_msg("%s: %s", path, ht_last_error());
	if (go_map_types_load(&t->elf, t->funcs.moduledata, t->layout, mt))
		fail_msg("%s: %s", path, ht_last_error());
}

static void test_types_match_dwarf(void **state)
{
	int b;

	for (b = 0; binaries[b]; b++) {
		char cmd[8192], line[4096];
		struct go_map_types mt;
		struct target t;
		size_t checked = 0, missing = 0;
		FILE *p;

		load(binaries[b], ".stripped", &t, &mt);
		snprintf(cmd, sizeof(cmd), "%s/maptypes %s/%s", dir, dir, binaries[b]);
		p = popen(cmd, "r");
		assert_non_null(p);
		while (fgets(line, sizeof(line), p)) {
			char name[2048];
			unsigned long long unit;
			int ptrs;
			const struct go_map_type *m;

			if (sscanf(line, "%2047[^\t]\t%llu\t%d", name, &unit, &ptrs) != 3)
				fail_msg("%s: maptypes printed %s", binaries[b], line);
			m = go_map_types_find(&mt, name);
			/* DWARF describes the type of every variable, also maps
			 * the program never makes, whose descriptors the linker
			 * dropped: those must be few. */
			if (!m) {
				print_message("%s: no descriptor for %s\n", binaries[b], name);
				missing++;
				continue;
			}
			if (m->group_size != unit || m->pointers != (ptrs == 1))
				fail_msg("%s: %s: unit %llu, pointers %d; DWARF %llu, %d", binaries[b], name,
					 (unsigned long long)m->group_size, m->pointers, unit, ptrs);
			checked++;
		}
		pclose(p);
		print_message("%s: %zu map types (%zu from typelinks), %zu checked against DWARF, %zu not made\n",
			      binaries[b], mt.n, mt.from_typelinks, checked, missing);
		assert_true(checked >= 10 && missing * 5 < checked);
		go_map_types_free(&mt);
		target_close(&t);
	}
}

/* Types every build must list: the fixtures' own (map[uint64]main.record
 * only in the map fixture) and defined ones, which typelinks leave out. */
static void test_defined_and_fixture_types_found(void **state)
{
	static const struct {
		const char *bin, *type;
		bool named;
	} want[] = {
		{ "go119-mapleak", "map[uint64]main.record", false }, { "go122-mapleak", "map[uint64]main.record", false },
		{ "gocur-mapleak", "map[uint64]main.record", false }, { "go119-httpsvc", "http.Header", true },
		{ "go122-httpsvc", "http.Header", true },	       { "gocur-httpsvc", "http.Header", true },
		{ "gocur-httpsvc", "url.Values", true },
	};
	size_t i;

	for (i = 0; i < sizeof(want) / sizeof(*want); i++) {
		struct go_map_types mt;
		struct target t;
		const struct go_map_type *m;

		load(want[i].bin, ".stripped", &t, &mt);
		m = go_map_types_find(&mt, want[i].type);
		if (!m || m->named != want[i].named)
			fail_msg("%s: %s %s", want[i].bin, want[i].type, m ? "has the wrong named flag" : "not found");
		go_map_types_free(&mt);
		target_close(&t);
	}
}

/* mallocgc's rounding, worked out by hand from the runtime's rules
 * (roundupsize, class_to_size, minSizeForMallocHeader = 512). */
static void test_alloc_rounding(void **state)
{
	const struct go_layout *L19 = go_layout_for(19), *L22 = go_layout_for(22);

	assert_int_equal(go_alloc_usable(L22, 200, false), 208);    /* heap bits in span: no header */
	assert_int_equal(go_alloc_usable(L22, 400, true), 416);
	assert_int_equal(go_alloc_usable(L22, 600, false), 640 - 8); /* 608 -> 640, less the header */
	assert_int_equal(go_alloc_usable(L22, 600, true), 640);
	assert_int_equal(go_alloc_usable(L19, 600, false), 640);
	assert_int_equal(go_alloc_usable(L22, 32760, true), 32768);
	assert_int_equal(go_alloc_usable(L22, 32760, false), 32768 - 8);
	assert_int_equal(go_alloc_usable(L22, 32761, false), 32768); /* large from 32 KiB - 8: no header */
	assert_int_equal(go_alloc_usable(L22, 40000, true), 40960);
	assert_int_equal(go_alloc_usable(L19, 32768, false), 32768);
	assert_int_equal(go_alloc_usable(L22, 24000, false), 24576 - 8);
	/* mapleak's 2^17 + 2^13 buckets of 144 bytes */
	assert_int_equal(go_alloc_usable(L19, 139264ull * 144, true), 20054016);
}

/* The matcher narrows by the table's shape: the record map's 2^12 +
 * 2^8 noscan buckets (or a full Swiss table's 128 noscan groups) name it
 * alone; the same object in a scan span is never it; scan tables of a
 * common unit give several candidates. */
static void test_matcher_narrows(void **state)
{
	static const char *const bins[] = { "go119-mapleak", "go122-mapleak", "gocur-mapleak" };
	size_t i;

	for (i = 0; i < 3; i++) {
		const struct go_map_type *cand[8], *rec;
		uint64_t kb, eb;
		struct map_table_shape s;
		struct go_map_types mt;
		struct target t;
		char buf[256];
		size_t n;
		bool swiss;

		load(bins[i], ".stripped", &t, &mt);
		swiss = t.swiss;
		rec = go_map_types_find(&mt, "map[uint64]main.record");
		assert_non_null(rec);
		assert_false(rec->pointers);
		s.units = swiss ? 128 : 4096 + 256;
		s.noscan = true;
		s.object_bytes = go_alloc_usable(t.layout, s.units * rec->group_size, true);
		n = go_map_types_match(&mt, t.layout, &s, cand, 8);
		/* one candidate: its layout, never presented as the type */
		assert_int_equal(n, 1);
		assert_ptr_equal(cand[0], rec);
		go_map_types_layout(cand, n, &kb, &eb, buf, sizeof(buf));
		assert_int_equal(kb, 8);
		assert_int_equal(eb, 24);
		assert_string_equal(buf, "8 B key, 24 B value (1 type fit)");
		s.noscan = false;
		n = go_map_types_match(&mt, t.layout, &s, cand, 8);
		while (n--)
			assert_ptr_not_equal(cand[n < 8 ? n : 0], rec);
		/* map[string]int's unit is common: several candidates, the
		 * program's own first */
		rec = go_map_types_find(&mt, "map[string]int");
		assert_non_null(rec);
		s.units = swiss ? 64 : 1024 + 64;
		s.object_bytes = go_alloc_usable(t.layout, s.units * rec->group_size, false);
		n = go_map_types_match(&mt, t.layout, &s, cand, 8);
		assert_true(n >= 2);
		go_map_types_layout(cand, n < 8 ? n : 8, &kb, &eb, buf, sizeof(buf));
		assert_non_null(strstr(buf, "types fit)"));
		if (strncmp(cand[0]->name, "map[string]main.", 16) && !strstr(cand[0]->name, "main."))
			fail_msg("%s: %s first; the program's own types come first", bins[i], cand[0]->name);
		go_map_types_free(&mt);
		target_close(&t);
	}
}

/* Generic shape types (go.shape.*) are the compiler's: they are read
 * (marked) but never fit a table. */
static void test_shapes_never_candidates(void **state)
{
	const struct go_map_type *cand[64];
	struct map_table_shape s;
	struct go_map_types mt;
	struct target t;
	size_t i, n, k, shapes = 0;

	load("gocur-holders", ".stripped", &t, &mt);
	for (i = 0; i < mt.n; i++) {
		assert_int_equal(mt.v[i].shape, strstr(mt.v[i].name, "go.shape.") != NULL);
		if (!mt.v[i].shape)
			continue;
		shapes++;
		s.units = 64;
		s.noscan = !mt.v[i].pointers;
		s.object_bytes = go_alloc_usable(t.layout, s.units * mt.v[i].group_size, s.noscan);
		n = go_map_types_match(&mt, t.layout, &s, cand, 64);
		for (k = 0; k < n && k < 64; k++)
			assert_false(cand[k]->shape);
	}
	/* one that would fit, marked a shape, no longer does */
	{
		struct go_map_type *m = (struct go_map_type *)go_map_types_find(&mt, "map[string]int");
		bool in = false;

		assert_non_null(m);
		s.units = 64;
		s.noscan = !m->pointers;
		s.object_bytes = go_alloc_usable(t.layout, s.units * m->group_size, s.noscan);
		n = go_map_types_match(&mt, t.layout, &s, cand, 64);
		for (k = 0; k < n && k < 64; k++)
			in |= cand[k] == m;
		assert_true(in);
		m->shape = true;
		n = go_map_types_match(&mt, t.layout, &s, cand, 64);
		for (k = 0; k < n && k < 64; k++)
			assert_ptr_not_equal(cand[k], m);
	}
	(void)shapes;
	go_map_types_free(&mt);
	target_close(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_types_match_dwarf),
		cmocka_unit_test(test_defined_and_fixture_types_found),
		cmocka_unit_test(test_alloc_rounding),
		cmocka_unit_test(test_matcher_narrows),
		cmocka_unit_test(test_shapes_never_candidates),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
