// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The holder search (reverse references to map headers) over a synthetic
 * Go 1.22 heap built in a buffer: globals, goroutine frames, live and dead
 * objects, a map's table holding another map, chains several objects deep;
 * and the liveness of objects in spans that await the sweep. No root, no
 * process.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "heap/goheap.h"
#include "heap/holders.h"
#include "heap/span_reader.h"
#include "util/log.h"

#define BASE 0xc000000000ull
#define IMAGE (4u << 20)
#define SPANS_AT 0x20000u
#define SPAN_STRUCTS_AT 0x21000u
#define BITS_AT 0x30000u
#define MARKS_AT 0x38000u
#define GLOBALS_AT 0x40000u
#define STACK_AT 0x48000u
#define HEADERS_AT 0x100000u /* 48-byte map headers */
#define OBJECTS_AT 0x102000u /* 64-byte objects with pointers */
#define TABLES_AT 0x104000u  /* 64-byte objects: a map's table */
#define DEAD_AT 0x106000u    /* 64-byte objects awaiting the sweep */

struct fake {
	uint8_t *img;
	const struct go_layout *L;
	unsigned nspans;
	struct memsrc mem;
	struct go_heap h;
};

static void put(struct fake *f, uint64_t off, uint64_t v, unsigned size)
{
	memcpy(f->img + off, &v, size);
}

static uint64_t A(uint64_t off)
{
	return BASE + off;
}

/* A one-page span of `elemsize`-byte objects, scan (with pointers), the
 * first `allocated` of them handed out. */
static unsigned add_span(struct fake *f, uint64_t start_off, uint8_t sizeclass, uint64_t elemsize, uint64_t allocated,
			 uint32_t sweepgen)
{
	const struct go_layout *L = f->L;
	uint64_t s = SPAN_STRUCTS_AT + f->nspans * L->span_size;

	put(f, s + L->span_startaddr, A(start_off), 8);
	put(f, s + L->span_npages, 1, 8);
	put(f, s + L->span_spanclass, (uint64_t)sizeclass << 1, 1);
	put(f, s + L->span_state, GO_SPAN_IN_USE, 1);
	put(f, s + L->span_elemsize, elemsize, 8);
	put(f, s + L->span_nelems, 8192 / elemsize, L->span_index_size);
	put(f, s + L->span_freeindex, allocated, L->span_index_size);
	put(f, s + L->span_allocbits, A(BITS_AT + f->nspans * 64), 8);
	put(f, s + L->span_gcmarkbits, A(MARKS_AT + f->nspans * 64), 8);
	put(f, s + L->span_sweepgen, sweepgen, 4);
	put(f, SPANS_AT + f->nspans * 8, A(s), 8);
	f->nspans++;
	put(f, L->mheap_allspans, A(SPANS_AT), 8);
	put(f, L->mheap_allspans + 8, f->nspans, 8);
	put(f, L->mheap_allspans + 16, f->nspans, 8);
	return f->nspans - 1;
}

static void load(struct fake *f)
{
	memsrc_buffer(&f->mem, f->img, BASE, IMAGE);
	assert_int_equal(go_heap_load(&f->h, &f->mem, f->L, BASE, 0), 0);
}

static void setup_fake(struct fake *f)
{
	memset(f, 0, sizeof(*f));
	f->img = calloc(1, IMAGE);
	f->L = go_layout_for(22);
	put(f, f->L->mheap_sweepgen, 10, 4); /* mheap_.sweepgen: the spans swept at 10 */
}

static void free_fake(struct fake *f)
{
	go_heap_free(&f->h);
	free(f->img);
}

/* The kinds along map i's path, root first, as a string: "GOO" = global,
 * object, object; "S" a goroutine's frame; "GV" a global, then a map's value. */
static const char *path_kinds(const struct holder_search *s, size_t i, char *buf)
{
	const struct holder_ref *p[HOLDER_MAX_DEPTH + 2];
	size_t n = holders_path(s, i, p, HOLDER_MAX_DEPTH + 2), k;

	for (k = 0; k < n; k++)
		buf[k] = "?GSVO"[p[k]->kind];
	buf[n] = '\0';
	return buf;
}

static void test_holders_find_chains(void **state)
{
	struct fake f;
	struct holder_search s;
	char kinds[16];
	const struct holder_ref *p[HOLDER_MAX_DEPTH + 2];
	/* map headers: M1..M7 at objects 0..6 of the header span */
	uint64_t m[7];
	struct root_range roots[3];
	struct map_table tables[1];
	size_t i;

	setup_fake(&f);
	add_span(&f, HEADERS_AT, 5, 48, 7, 10);
	add_span(&f, OBJECTS_AT, 4, 64, 4, 10);
	add_span(&f, TABLES_AT, 4, 64, 1, 10);
	for (i = 0; i < 7; i++)
		m[i] = A(HEADERS_AT + i * 48);
	/* object 0 holds M1 at +16; object 2 holds object 3, which holds M2
	 * at +8; object 1 holds M7 but is free: no holder */
	put(&f, OBJECTS_AT + 0 * 64 + 16, m[0], 8);
	put(&f, OBJECTS_AT + 2 * 64, A(OBJECTS_AT + 3 * 64), 8);
	put(&f, OBJECTS_AT + 3 * 64 + 8, m[1], 8);
	put(&f, OBJECTS_AT + 5 * 64, m[6], 8);	/* past freeindex: a free slot */
	/* the table of M4 holds M3 in a slot */
	put(&f, TABLES_AT + 24, m[2], 8);
	tables[0] = (struct map_table){ A(TABLES_AT), A(TABLES_AT + 64), m[3] };
	/* globals: object 0, object 2, M4 */
	put(&f, GLOBALS_AT + 0, A(OBJECTS_AT), 8);
	put(&f, GLOBALS_AT + 8, A(OBJECTS_AT + 2 * 64), 8);
	put(&f, GLOBALS_AT + 16, m[3], 8);
	/* a frame: a stale pointer to M1 (a global holds it too), M5, and M6's
	 * header itself (a map that does not escape) */
	put(&f, STACK_AT + 0, m[0], 8);
	put(&f, STACK_AT + 8, m[4], 8);
	roots[0] = (struct root_range){ .lo = A(GLOBALS_AT), .hi = A(GLOBALS_AT + 64), .kind = ROOT_GLOBAL };
	roots[1] = (struct root_range){ .lo = A(STACK_AT), .hi = A(STACK_AT + 64), .kind = ROOT_STACK, .goid = 7, .pc = 0x401000,
					.mem = f.img + STACK_AT };
	roots[2] = (struct root_range){ .lo = m[5] - 8, .hi = m[5] + 48, .kind = ROOT_STACK, .goid = 9, .pc = 0x402000 };
	load(&f);

	assert_int_equal(holders_find(&f.h, m, 7, roots, 3, tables, 1, HOLDER_MAX_DEPTH, NULL, 0, &s), 0);
	assert_false(s.truncated);
	/* M1: global -> object 0 (+16), not the stale frame */
	assert_string_equal(path_kinds(&s, 0, kinds), "GO");
	assert_int_equal(holders_path(&s, 0, p, 8), 2);
	assert_int_equal(p[0]->at, A(GLOBALS_AT));
	assert_int_equal(p[1]->at, A(OBJECTS_AT + 16));
	assert_int_equal(s.nodes[p[1]->node].lo, A(OBJECTS_AT));
	/* M2: global -> object 2 -> object 3 (+8) */
	assert_string_equal(path_kinds(&s, 1, kinds), "GOO");
	holders_path(&s, 1, p, 8);
	assert_int_equal(p[2]->at, A(OBJECTS_AT + 3 * 64 + 8));
	/* M3: global -> M4, whose table holds it */
	assert_string_equal(path_kinds(&s, 2, kinds), "GV");
	holders_path(&s, 2, p, 8);
	assert_int_equal(s.nodes[p[1]->node].lo, m[3]);
	assert_int_equal(p[1]->tab_lo, A(TABLES_AT));
	assert_int_equal(p[1]->at, A(TABLES_AT + 24));
	/* M4 directly by a global; M5 by the frame; M6 is in a frame */
	assert_string_equal(path_kinds(&s, 3, kinds), "G");
	assert_string_equal(path_kinds(&s, 4, kinds), "S");
	holders_path(&s, 4, p, 8);
	assert_int_equal(s.roots[p[0]->root].goid, 7);
	assert_string_equal(path_kinds(&s, 5, kinds), "S");
	holders_path(&s, 5, p, 8);
	assert_int_equal(p[0]->at, m[5]);
	/* M7: only a free slot points at it */
	assert_string_equal(path_kinds(&s, 6, kinds), "");
	holders_free(&s);

	/* one pass: who holds each directly */
	assert_int_equal(holders_find(&f.h, m, 7, roots, 3, tables, 1, 1, NULL, 0, &s), 0);
	assert_int_equal(s.passes, 1);
	assert_string_equal(path_kinds(&s, 0, kinds), "S"); /* the stale frame is all one pass sees to a root */
	assert_string_equal(path_kinds(&s, 1, kinds), "");
	assert_int_equal(s.nodes[1].nrefs, 1);
	assert_int_equal(s.nodes[1].refs[0].kind, REF_OBJECT);
	holders_free(&s);

	/* a deadline already past: cut short, said so */
	assert_int_equal(holders_find(&f.h, m, 7, roots, 3, tables, 1, HOLDER_MAX_DEPTH, NULL, 1, &s), 0);
	assert_true(s.truncated);
	holders_free(&s);
	free_fake(&f);
}

/* Objects point at each other in a cycle, and at one map: bounded passes,
 * and the cycle does not hide the global that holds one of them. */
static void test_holders_cycle_and_bounds(void **state)
{
	struct fake f;
	struct holder_search s;
	struct root_range g;
	uint64_t map;
	char kinds[16];

	setup_fake(&f);
	add_span(&f, HEADERS_AT, 5, 48, 1, 10);
	add_span(&f, OBJECTS_AT, 4, 64, 3, 10);
	map = A(HEADERS_AT);
	put(&f, OBJECTS_AT + 0 * 64, A(OBJECTS_AT + 1 * 64), 8);
	put(&f, OBJECTS_AT + 1 * 64, A(OBJECTS_AT + 0 * 64), 8);
	put(&f, OBJECTS_AT + 1 * 64 + 8, map, 8);
	put(&f, OBJECTS_AT + 2 * 64, A(OBJECTS_AT + 0 * 64 + 8), 8); /* an interior pointer */
	put(&f, GLOBALS_AT, A(OBJECTS_AT + 2 * 64), 8);
	g = (struct root_range){ .lo = A(GLOBALS_AT), .hi = A(GLOBALS_AT + 8), .kind = ROOT_GLOBAL };
	load(&f);
	assert_int_equal(holders_find(&f.h, &map, 1, &g, 1, NULL, 0, HOLDER_MAX_DEPTH, NULL, 0, &s), 0);
	/* global -> object 2 -> object 0 (interior) -> object 1 -> map */
	assert_string_equal(path_kinds(&s, 0, kinds), "GOOO");
	assert_true(s.passes <= HOLDER_MAX_DEPTH);
	holders_free(&s);
	/* two passes do not reach the global */
	assert_int_equal(holders_find(&f.h, &map, 1, &g, 1, NULL, 0, 2, NULL, 0, &s), 0);
	assert_string_equal(path_kinds(&s, 0, kinds), "");
	holders_free(&s);
	free_fake(&f);
}

/* A span that awaits the sweep still has last cycle's dead objects in its
 * allocation bits: its mark bits decide, so a dead holder holds nothing,
 * and from Go 1.26 the marks of small objects are at the end of the page. */
static int count_live(void *ctx, const struct go_span *s, uint64_t off, const uint8_t *mem, size_t len,
		      const struct span_bits *live)
{
	uint64_t *n = ctx, j;

	for (j = 0; j < s->nelems; j++)
		*n += go_span_bits_live(s, live, j);
	return 0;
}

static void test_liveness_awaiting_sweep(void **state)
{
	struct fake f;
	struct holder_search s;
	struct root_range g;
	uint64_t map, n = 0;
	struct span_visit v = { .visit = count_live, .ctx = &n };
	char kinds[16];
	unsigned dead;

	setup_fake(&f);
	add_span(&f, HEADERS_AT, 5, 48, 1, 10);
	/* swept two cycles ago (sweepgen 10 - 2): 4 objects handed out, only
	 * object 3 marked */
	dead = add_span(&f, DEAD_AT, 4, 64, 4, 8);
	f.img[MARKS_AT + dead * 64] = 1 << 3;
	map = A(HEADERS_AT);
	put(&f, DEAD_AT + 0 * 64, map, 8); /* dead: must not hold the map */
	put(&f, GLOBALS_AT, A(DEAD_AT), 8);
	g = (struct root_range){ .lo = A(GLOBALS_AT), .hi = A(GLOBALS_AT + 8), .kind = ROOT_GLOBAL };
	load(&f);
	assert_int_equal(go_heap_visit_spans(&f.h, &v), 0);
	assert_int_equal(n, 1 + 1); /* the header (allocated, swept) and object 3 */
	assert_int_equal(holders_find(&f.h, &map, 1, &g, 1, NULL, 0, HOLDER_MAX_DEPTH, NULL, 0, &s), 0);
	assert_string_equal(path_kinds(&s, 0, kinds), "");
	holders_free(&s);
	/* marked: it holds the map */
	f.img[MARKS_AT + dead * 64] |= 1;
	assert_int_equal(holders_find(&f.h, &map, 1, &g, 1, NULL, 0, HOLDER_MAX_DEPTH, NULL, 0, &s), 0);
	assert_string_equal(path_kinds(&s, 0, kinds), "GO");
	holders_free(&s);
	free_fake(&f);

	/* Go 1.26: the marks of a 64-byte span are at the end of its page */
	setup_fake(&f);
	f.L = go_layout_for(26);
	put(&f, f.L->mheap_sweepgen, 10, 4);
	dead = add_span(&f, DEAD_AT, 4, 64, 4, 8);
	f.img[DEAD_AT + 8192 - f.L->inline_marks_size + f.L->inline_marks_off] = 1 << 2;
	load(&f);
	n = 0;
	assert_int_equal(go_heap_visit_spans(&f.h, &v), 0);
	assert_int_equal(n, 1);
	free_fake(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_holders_find_chains),
		cmocka_unit_test(test_holders_cycle_and_bounds),
		cmocka_unit_test(test_liveness_awaiting_sweep),
	};

	return cmocka_run_group_tests_name("holders", tests, NULL, NULL);
}
