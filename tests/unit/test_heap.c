// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The heap walk and map parsing over a synthetic Go 1.22 heap built in a
 * buffer (spans, allocation bits, map headers, a bucket array), the
 * retention arithmetic against values worked out from the runtime's rules,
 * and the page accounting decoder. No root, no process.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "heap/gomap_parse.h"
#include "heap/goheap.h"
#include "heap/page_stats.h"
#include "util/log.h"
#include "heap/gomap_scan.h"
#include "heap/gomap_tracker.h"

#define BASE 0xc000000000ull
#define IMAGE (4u << 20)
#define SPANS_AT 0x20000u
#define SPAN_STRUCTS_AT 0x21000u
#define ALLOCBITS_AT 0x30000u
#define SMALL_SPAN_AT 0x100000u
#define LARGE_SPAN_AT 0x200000u
#define LARGE_PAGES 40u

struct fake {
	uint8_t *img;
	const struct go_layout *L;
	unsigned nspans;
};

static void put(struct fake *f, uint64_t off, uint64_t v, unsigned size)
{
	memcpy(f->img + off, &v, size);
}

static void add_span(struct fake *f, uint64_t start_off, uint64_t npages, uint8_t spanclass, uint64_t elemsize,
		     uint64_t nelems, uint64_t freeindex)
{
	const struct go_layout *L = f->L;
	uint64_t s = SPAN_STRUCTS_AT + f->nspans * L->span_size;

	put(f, s + L->span_startaddr, BASE + start_off, 8);
	put(f, s + L->span_npages, npages, 8);
	put(f, s + L->span_spanclass, spanclass, 1);
	put(f, s + L->span_state, GO_SPAN_IN_USE, 1);
	put(f, s + L->span_elemsize, elemsize, 8);
	put(f, s + L->span_nelems, nelems, L->span_index_size);
	put(f, s + L->span_freeindex, freeindex, L->span_index_size);
	put(f, s + L->span_allocbits, BASE + ALLOCBITS_AT + f->nspans * 64, 8);
	put(f, SPANS_AT + f->nspans * 8, BASE + s, 8);
	f->nspans++;
	put(f, L->mheap_allspans, BASE + SPANS_AT, 8);
	put(f, L->mheap_allspans + 8, f->nspans, 8);
	put(f, L->mheap_allspans + 16, f->nspans, 8);
}

static void put_hmap(struct fake *f, uint64_t off, uint64_t count, unsigned b, uint64_t buckets)
{
	put(f, off + f->L->hmap_count, count, 8);
	put(f, off + f->L->hmap_b, b, 1);
	put(f, off + f->L->hmap_hash0, 0x5eed, 4);
	put(f, off + f->L->hmap_buckets, buckets, 8);
}

struct collected {
	struct go_map v[16];
	size_t n;
};

static void collect(void *ctx, const struct go_map *maps, size_t n)
{
	struct collected *c = ctx;

	while (n-- && c->n < 16)
		c->v[c->n++] = *maps++;
}

static void test_walk_finds_bucket_maps(void **state)
{
	struct fake f = { .img = calloc(1, IMAGE), .L = go_layout_for(22) };
	struct collected got = { 0 };
	struct map_scan scan = { .found = collect, .ctx = &got };
	struct memsrc mem;
	struct go_heap h;

	/* span 0: 48-byte objects (size class 5), 3 handed out, object 6 allocated */
	add_span(&f, SMALL_SPAN_AT, 1, 5 << 1, 48, 170, 3);
	f.img[ALLOCBITS_AT] = 1 << 6;
	/* span 1: one large noscan object, a bucket array */
	add_span(&f, LARGE_SPAN_AT, LARGE_PAGES, 1, LARGE_PAGES * 8192, 1, 1);
	put_hmap(&f, SMALL_SPAN_AT + 0 * 48, 10, 11, BASE + LARGE_SPAN_AT); /* emptied big map */
	put_hmap(&f, SMALL_SPAN_AT + 1 * 48, 1ull << 40, 3, BASE + LARGE_SPAN_AT); /* implausible count */
	put_hmap(&f, SMALL_SPAN_AT + 2 * 48, 0, 0, 0);		/* no table yet */
	put_hmap(&f, SMALL_SPAN_AT + 5 * 48, 7, 0, BASE + SMALL_SPAN_AT + 7 * 48); /* freed slot */
	put_hmap(&f, SMALL_SPAN_AT + 6 * 48, 3, 0, BASE + SMALL_SPAN_AT + 7 * 48); /* small live map */

	/* a stale type from the mspan's last use (Go 1.22/1.23 do not clear it
	 * for noscan objects): it must not size the buckets */
	put(&f, SPAN_STRUCTS_AT + f.L->span_size + f.L->span_largetype, BASE + 0x3f0000, 8);
	put(&f, 0x3f0000 + f.L->type_size, 1024, 8);
	memsrc_buffer(&mem, f.img, BASE, IMAGE);
	assert_true(go_heap_is_mheap(&mem, f.L, BASE));
	assert_false(go_heap_is_mheap(&mem, f.L, BASE + 8));
	assert_int_equal(go_heap_load(&h, &mem, f.L, BASE, 0), 0);
	assert_int_equal(h.nspans, 2);
	assert_int_equal(h.in_use_bytes, (1 + LARGE_PAGES) * 8192);
	assert_int_equal(map_scan(&h, false, 0, &scan), 0);
	assert_int_equal(got.n, 2);
	assert_int_equal(got.v[0].addr, BASE + SMALL_SPAN_AT);
	assert_int_equal(got.v[0].live, 10);
	assert_int_equal(got.v[0].seed, 0x5eed);
	assert_int_equal(got.v[0].table_bytes, LARGE_PAGES * 8192);
	/* no type: the bucket size is the array over 2^11 + 2^7 buckets */
	assert_int_equal(got.v[0].slot_bytes, LARGE_PAGES * 8192 / 2176);
	assert_int_equal(got.v[0].needed_bytes, 2 * got.v[0].slot_bytes);
	assert_int_equal(got.v[1].addr, BASE + SMALL_SPAN_AT + 6 * 48);
	assert_int_equal(got.v[1].live, 3);
	assert_int_equal(got.v[1].table_bytes, 48);
	assert_int_equal(scan.objects_checked, 4); /* 0, 1, 2 below freeindex, and 6 */

	/* overlapping spans are not a heap */
	add_span(&f, LARGE_SPAN_AT + 8192, 1, 5 << 1, 48, 170, 0);
	go_heap_free(&h);
	assert_int_equal(go_heap_load(&h, &mem, f.L, BASE, 0), -1);
	go_heap_free(&h);
	free(f.img);
}

static void test_object_lookup(void **state)
{
	struct fake f = { .img = calloc(1, IMAGE), .L = go_layout_for(22) };
	struct go_object o;
	struct memsrc mem;
	struct go_heap h;

	add_span(&f, SMALL_SPAN_AT, 2, 40 << 1, 1024, 16, 16); /* scan class: malloc headers */
	add_span(&f, LARGE_SPAN_AT, 1, (40 << 1) | 1, 1024, 8, 8); /* noscan: none */
	memsrc_buffer(&mem, f.img, BASE, IMAGE);
	assert_int_equal(go_heap_load(&h, &mem, f.L, BASE, 0), 0);
	assert_true(go_heap_object_at(&h, BASE + SMALL_SPAN_AT + 1024, &o));
	assert_int_equal(o.size, 1024);
	/* Go 1.22+: just past the 8-byte type header of a scan object */
	assert_true(go_heap_object_at(&h, BASE + SMALL_SPAN_AT + 1024 + 8, &o));
	assert_int_equal(o.size, 1016);
	assert_false(go_heap_object_at(&h, BASE + LARGE_SPAN_AT + 1024 + 8, &o));
	assert_false(go_heap_object_at(&h, BASE + SMALL_SPAN_AT + 1024 + 16, &o));
	assert_false(go_heap_object_at(&h, BASE + SMALL_SPAN_AT + 16 * 1024, &o)); /* past nelems */
	assert_false(go_heap_object_at(&h, BASE + 0x300000, &o));
	go_heap_free(&h);
	/* Go 1.19 has no malloc headers */
	f.L = go_layout_for(19);
	memset(f.img, 0, IMAGE);
	f.nspans = 0;
	add_span(&f, SMALL_SPAN_AT, 2, 40 << 1, 1024, 16, 16);
	assert_int_equal(go_heap_load(&h, &mem, f.L, BASE, 0), 0);
	assert_false(go_heap_object_at(&h, BASE + SMALL_SPAN_AT + 1024 + 8, &o));
	go_heap_free(&h);
	free(f.img);
}

/* Whether the GC freed an object, from its span's alloc bits, re-read
 * without loading the heap. */
static void test_objects_allocated(void **state)
{
	struct fake f = { .img = calloc(1, IMAGE), .L = go_layout_for(22) };
	uint64_t small = BASE + SPAN_STRUCTS_AT, large = BASE + SPAN_STRUCTS_AT + f.L->span_size;
	uint64_t span[] = { small, small, small, small, large, large, 0, BASE + IMAGE + 8192 };
	uint64_t addr[] = { BASE + SMALL_SPAN_AT + 2 * 48, BASE + SMALL_SPAN_AT + 5 * 48,
			    BASE + SMALL_SPAN_AT + 6 * 48, BASE + SMALL_SPAN_AT + 6 * 48 + 8,
			    BASE + LARGE_SPAN_AT, BASE + SMALL_SPAN_AT, BASE + SMALL_SPAN_AT, BASE + SMALL_SPAN_AT };
	int8_t live[8];
	struct memsrc mem;

	add_span(&f, SMALL_SPAN_AT, 1, 5 << 1, 48, 170, 3);
	add_span(&f, LARGE_SPAN_AT, LARGE_PAGES, 1, LARGE_PAGES * 8192, 1, 1);
	f.img[ALLOCBITS_AT] = 1 << 6;
	memsrc_buffer(&mem, f.img, BASE, IMAGE);
	go_objects_allocated(&mem, f.L, span, addr, 8, live);
	assert_int_equal(live[0], 1);  /* below freeindex */
	assert_int_equal(live[1], 0);  /* its alloc bit is clear */
	assert_int_equal(live[2], 1);  /* its alloc bit is set */
	assert_int_equal(live[3], 0);  /* not an object start */
	assert_int_equal(live[4], 1);  /* a large object lives as long as its span */
	assert_int_equal(live[5], 0);  /* no longer in that span */
	assert_int_equal(live[6], -1); /* no span: cannot tell */
	assert_int_equal(live[7], -1); /* unreadable span */
	f.img[SPAN_STRUCTS_AT + f.L->span_size + f.L->span_state] = 0; /* the large span was freed */
	go_objects_allocated(&mem, f.L, span, addr, 8, live);
	assert_int_equal(live[4], 0);
	free(f.img);
}

static const struct tracked_map *listed(const struct map_tracker *mt, uint64_t addr)
{
	const struct tracked_map *top[8];
	size_t i, n = map_tracker_top(mt, top, 8);

	for (i = 0; i < n; i++)
		if (top[i]->m.addr == addr)
			return top[i];
	return NULL;
}

/* The interval refresh: a read racing the runtime (a header that does not
 * parse once, a slot that reads free once) keeps the map as last read; a map
 * whose header the GC freed leaves the list even though its bytes still
 * parse. */
static void test_tracker_refresh(void **state)
{
	struct fake f = { .img = calloc(1, IMAGE), .L = go_layout_for(22) };
	uint64_t big = BASE + SMALL_SPAN_AT + 4 * 48, small = BASE + SMALL_SPAN_AT + 6 * 48;
	struct map_tracker mt = { .L = f.L, .mheap = BASE };
	struct map_totals tot;
	int i;

	add_span(&f, SMALL_SPAN_AT, 1, 5 << 1, 48, 170, 3);
	add_span(&f, LARGE_SPAN_AT, LARGE_PAGES, 1, LARGE_PAGES * 8192, 1, 1);
	f.img[ALLOCBITS_AT] = 1 << 4 | 1 << 6;
	put_hmap(&f, SMALL_SPAN_AT + 4 * 48, 10, 11, BASE + LARGE_SPAN_AT);
	put_hmap(&f, SMALL_SPAN_AT + 6 * 48, 3, 0, BASE + SMALL_SPAN_AT + 7 * 48);
	memsrc_buffer(&mt.mem, f.img, BASE, IMAGE);
	map_tracker_grew(&mt, big, 0, 0, NULL, 0);
	map_tracker_grew(&mt, small, 0, 0, NULL, 0);
	map_tracker_refresh(&mt);
	assert_non_null(listed(&mt, big));
	assert_int_equal(listed(&mt, big)->m.table_bytes, LARGE_PAGES * 8192);
	assert_non_null(listed(&mt, small));

	/* a torn read: B moved, the bucket pointer not yet */
	put(&f, SMALL_SPAN_AT + 4 * 48 + f.L->hmap_buckets, BASE + LARGE_SPAN_AT + 8, 8);
	for (i = 0; i < 2; i++) {
		map_tracker_refresh(&mt);
		assert_non_null(listed(&mt, big));
		assert_int_equal(listed(&mt, big)->m.table_bytes, LARGE_PAGES * 8192);
	}
	put(&f, SMALL_SPAN_AT + 4 * 48 + f.L->hmap_buckets, BASE + LARGE_SPAN_AT, 8);
	map_tracker_refresh(&mt);
	assert_int_equal(listed(&mt, big)->unreadable, 0);

	/* a span read mid-sweep: the slot reads free once, then allocated again */
	f.img[ALLOCBITS_AT] = 1 << 4;
	map_tracker_refresh(&mt);
	assert_non_null(listed(&mt, small));
	f.img[ALLOCBITS_AT] = 1 << 4 | 1 << 6;
	map_tracker_refresh(&mt);
	f.img[ALLOCBITS_AT] = 1 << 4;
	map_tracker_refresh(&mt);
	assert_non_null(listed(&mt, small));

	/* freed by the GC: its header still parses, its alloc bit stays clear */
	map_tracker_refresh(&mt);
	assert_null(listed(&mt, small));
	assert_non_null(listed(&mt, big));

	/* a header that never parses again is dropped after a few reads */
	put(&f, SMALL_SPAN_AT + 4 * 48 + f.L->hmap_buckets, BASE + 0x3f0000, 8);
	for (i = 0; i < 3; i++)
		map_tracker_refresh(&mt);
	assert_null(listed(&mt, big));
	map_tracker_totals(&mt, &tot);
	assert_int_equal(tot.maps, 0);
	assert_int_equal(tot.freed, 2);
	map_tracker_close(&mt);
	free(f.img);
}

/* A Swiss map of two tables: header, directory and table structs in the
 * 48-byte span, each table's groups in a 32 KiB object of the large span. */
static void put_swiss(struct fake *f, uint64_t used, uint64_t used0, uint64_t used1)
{
	const struct go_layout *L = f->L;
	uint64_t hdr = SMALL_SPAN_AT, dir = SMALL_SPAN_AT + 5 * 48, t[2] = { SMALL_SPAN_AT + 2 * 48, SMALL_SPAN_AT + 3 * 48 };
	uint64_t tu[2] = { used0, used1 };
	int i;

	put(f, hdr + L->smap_used, used, 8);
	put(f, hdr + L->smap_seed, 0x5eed, 8);
	put(f, hdr + L->smap_dirptr, BASE + dir, 8);
	put(f, hdr + L->smap_dirlen, 2, 8);
	put(f, hdr + L->smap_globaldepth, 1, 1);
	for (i = 0; i < 2; i++) {
		put(f, dir + 8 * i, BASE + t[i], 8);
		put(f, t[i] + L->stable_used, tu[i], 2);
		put(f, t[i] + L->stable_capacity, 1024, 2);
		put(f, t[i] + L->stable_groups_data, BASE + LARGE_SPAN_AT + 32768 * i, 8);
		put(f, t[i] + L->stable_groups_lengthmask, 1024 / 8 - 1, 8);
	}
}

/* A Swiss map read while a million deletes run: its tables' counts do not
 * add up to its header's, refresh after refresh. It is being written, not
 * gone: it stays listed with its header's count. A header that no longer
 * parses at all still leaves. */
static void test_tracker_keeps_swiss_map_being_written(void **state)
{
	struct fake f = { .img = calloc(1, IMAGE), .L = go_layout_for(26) };
	uint64_t addr = BASE + SMALL_SPAN_AT;
	struct map_tracker mt = { .L = f.L, .mheap = BASE, .swiss = true };
	int i;

	add_span(&f, SMALL_SPAN_AT, 1, 5 << 1, 48, 170, 170);
	add_span(&f, LARGE_SPAN_AT, LARGE_PAGES, 60 << 1, 32768, LARGE_PAGES * 8192 / 32768, LARGE_PAGES * 8192 / 32768);
	put_swiss(&f, 300, 100, 200);
	memsrc_buffer(&mt.mem, f.img, BASE, IMAGE);
	map_tracker_grew(&mt, addr, 0, 0, NULL, 0);
	map_tracker_refresh(&mt);
	assert_non_null(listed(&mt, addr));
	assert_int_equal(listed(&mt, addr)->m.live, 300);
	assert_int_equal(listed(&mt, addr)->m.tables, 2);
	assert_int_equal(listed(&mt, addr)->m.table_bytes, 2 * 32768 + 2 * 48 + 48);

	for (i = 0; i < 5; i++) {
		put_swiss(&f, 250 - 50 * i, 100, 200 - 40 * i);
		map_tracker_refresh(&mt);
		assert_non_null(listed(&mt, addr));
		assert_int_equal(listed(&mt, addr)->m.live, 250 - 50 * i);
		assert_int_equal(listed(&mt, addr)->unreadable, 0);
	}

	put(&f, SMALL_SPAN_AT + f.L->smap_dirlen, 3, 8); /* not a directory's length */
	for (i = 0; i < 3; i++)
		map_tracker_refresh(&mt);
	assert_null(listed(&mt, addr));
	map_tracker_close(&mt);
	free(f.img);
}

/* A Swiss map that split while the walk ran: its new directory is in a span
 * allocated after the span table was loaded, so its header does not parse
 * against that table. The walk reads it again against a newer one, and does
 * not drop a map that the next walk, seconds later, would find. */
static void test_walk_reads_again_a_map_that_split(void **state)
{
	struct fake f = { .img = calloc(1, IMAGE), .L = go_layout_for(26) };
	struct collected got = { 0 };
	struct map_scan scan = { .found = collect, .ctx = &got };
	const uint64_t newer_span = 0x180000, dir = SMALL_SPAN_AT + 5 * 48;
	struct memsrc mem;
	struct go_heap h;

	add_span(&f, SMALL_SPAN_AT, 1, 5 << 1, 48, 170, 170);
	add_span(&f, LARGE_SPAN_AT, LARGE_PAGES, 60 << 1, 32768, LARGE_PAGES * 8192 / 32768, LARGE_PAGES * 8192 / 32768);
	put_swiss(&f, 300, 100, 200);
	memsrc_buffer(&mem, f.img, BASE, IMAGE);
	assert_int_equal(go_heap_load(&h, &mem, f.L, BASE, 0), 0);
	/* the split, after the load: the directory moves to a new span */
	add_span(&f, newer_span, 1, 5 << 1, 48, 170, 170);
	memcpy(f.img + newer_span, f.img + dir, 16);
	put(&f, SMALL_SPAN_AT + f.L->smap_dirptr, BASE + newer_span, 8);
	assert_true(gomap_swiss_dir_newer(&h, f.img + SMALL_SPAN_AT));

	assert_int_equal(map_scan(&h, true, 0, &scan), 0);
	assert_int_equal(got.n, 1);
	assert_int_equal(got.v[0].addr, BASE + SMALL_SPAN_AT);
	assert_int_equal(got.v[0].live, 300);
	assert_int_equal(got.v[0].tables, 2);
	go_heap_free(&h);

	/* a directory that is in the span table is not "newer"; nor is a small
	 * map's group (no directory length) */
	assert_int_equal(go_heap_load(&h, &mem, f.L, BASE, 0), 0);
	assert_false(gomap_swiss_dir_newer(&h, f.img + SMALL_SPAN_AT));
	put(&f, SMALL_SPAN_AT + f.L->smap_dirptr, BASE + 0x3f0000, 8);
	assert_true(gomap_swiss_dir_newer(&h, f.img + SMALL_SPAN_AT));
	put(&f, SMALL_SPAN_AT + f.L->smap_dirlen, 0, 8);
	put(&f, SMALL_SPAN_AT + f.L->smap_globaldepth, 0, 1);
	assert_false(gomap_swiss_dir_newer(&h, f.img + SMALL_SPAN_AT));
	go_heap_free(&h);
	free(f.img);
}

/* A growth probe fires as the growth starts: the map is re-parsed at the next
 * two refreshes, then only its count is read while its tables stay put. */
static void test_tracker_reparses_after_growth(void **state)
{
	struct fake f = { .img = calloc(1, IMAGE), .L = go_layout_for(22) };
	uint64_t big = BASE + SMALL_SPAN_AT;
	struct map_tracker mt = { .L = f.L, .mheap = BASE };
	unsigned b;

	add_span(&f, SMALL_SPAN_AT, 1, 5 << 1, 48, 170, 3);
	add_span(&f, LARGE_SPAN_AT, LARGE_PAGES, 1, LARGE_PAGES * 8192, 1, 1);
	put_hmap(&f, SMALL_SPAN_AT, 10, 11, BASE + LARGE_SPAN_AT);
	memsrc_buffer(&mt.mem, f.img, BASE, IMAGE);
	map_tracker_grew(&mt, big, 0, 0, NULL, 0);
	for (b = 11; b >= 8; b--) {
		put(&f, SMALL_SPAN_AT + f.L->hmap_b, b, 1);
		map_tracker_refresh(&mt);
		/* read as B=11 (the growth starting), then B=10 (done): both
		 * parsed; after that only the count is read */
		assert_int_equal(listed(&mt, big)->m.tables, 1u << (b >= 10 ? b : 10));
	}
	put(&f, SMALL_SPAN_AT + f.L->hmap_count, 12, 8);
	map_tracker_refresh(&mt);
	assert_int_equal(listed(&mt, big)->m.live, 12);
	assert_int_equal(listed(&mt, big)->m.tables, 1u << 10);

	/* first seen nearly empty with a table that says it was full: climbing
	 * back by an eighth of what the table implies (3329 for 2^10 buckets)
	 * is a refill, a working buffer; less is not */
	assert_int_equal(listed(&mt, big)->low, 10);
	put(&f, SMALL_SPAN_AT + f.L->hmap_count, 100, 8);
	map_tracker_refresh(&mt);
	assert_false(listed(&mt, big)->refilled);
	put(&f, SMALL_SPAN_AT + f.L->hmap_count, 500, 8);
	map_tracker_refresh(&mt);
	assert_true(listed(&mt, big)->refilled);
	map_tracker_close(&mt);
	free(f.img);
}

/* Every table of the tracker has a bound, and a bound reached is counted:
 * maps past GOMAP_FOLLOW_MAX are not followed; maps that never read (or
 * were freed) leave the list. */
static void test_tracker_bounds(void **state)
{
	struct fake f = { .img = calloc(1, IMAGE), .L = go_layout_for(22) };
	struct map_tracker mt = { .L = f.L, .mheap = BASE };
	struct map_totals tot;
	uint64_t i;

	memsrc_buffer(&mt.mem, f.img, BASE, IMAGE);
	for (i = 0; i < GOMAP_FOLLOW_MAX + 5; i++) /* headers outside the image: unreadable */
		map_tracker_grew(&mt, BASE + IMAGE + 64 * i, 0, 0, NULL, 0);
	assert_int_equal(mt.n, GOMAP_FOLLOW_MAX);
	assert_int_equal(mt.over_limit, 5);
	for (i = 0; i < 3; i++)
		map_tracker_refresh(&mt);
	assert_int_equal(mt.n, 0);
	map_tracker_totals(&mt, &tot);
	assert_int_equal(tot.freed, GOMAP_FOLLOW_MAX);
	map_tracker_grew(&mt, BASE + IMAGE, 0, 0, NULL, 0); /* room again */
	assert_int_equal(mt.n, 1);
	/* a map still growing is alive, however many reads failed before */
	for (i = 0; i < 4; i++) {
		map_tracker_refresh(&mt);
		map_tracker_refresh(&mt);
		map_tracker_grew(&mt, BASE + IMAGE, 0, 0, NULL, 0);
	}
	assert_int_equal(mt.n, 1);
	map_tracker_totals(&mt, &tot);
	assert_int_equal(tot.freed, GOMAP_FOLLOW_MAX);
	for (i = 0; i < 3; i++) /* no growth any more: three failures drop it */
		map_tracker_refresh(&mt);
	assert_int_equal(mt.n, 0);
	map_tracker_close(&mt);
	free(f.img);
}

/* A table's size bounds what the map held: a bucket map doubles to 2^B
 * buckets when an insert would put more than 6.5 entries per bucket of 2^(B-1)
 * (and more than 8 in all); a Swiss table doubles when full at 7/8, and its
 * first table (16 slots) follows a full group of 8. */
static void test_implied_peaks(void **state)
{
	const struct go_layout *L = go_layout_for(22);

	assert_int_equal(bucket_map_implied_peak(L, 0), 0);
	assert_int_equal(bucket_map_implied_peak(L, 1), 9);
	assert_int_equal(bucket_map_implied_peak(L, 2), 14);
	assert_int_equal(bucket_map_implied_peak(L, 3), 27);
	assert_int_equal(bucket_map_implied_peak(L, 17), 425985); /* 6.5 * 2^16 + 1 */
	/* each B it implies is one the map needed: b_for(implied) == B */
	assert_int_equal(bucket_map_b_for(L, bucket_map_implied_peak(L, 5)), 5);
	assert_int_equal(bucket_map_b_for(L, bucket_map_implied_peak(L, 5) - 1), 4);
	assert_int_equal(swiss_table_implied_peak(8), 0);
	assert_int_equal(swiss_table_implied_peak(16), 9);
	assert_int_equal(swiss_table_implied_peak(32), 15);
	assert_int_equal(swiss_table_implied_peak(1024), 449);
}

/* The thresholds: a table far larger than its entries need is retained, or
 * reused once refilled; a few KiB over is not worth advice. */
static void test_verdict_thresholds(void **state)
{
	struct tracked_map m = { .m = { .table_bytes = 1 << 20, .needed_bytes = 4096, .implied_peak = 6000 } };

	assert_int_equal(tracked_verdict(&m), MAP_RETAINED);
	m.refilled = true;
	assert_int_equal(tracked_verdict(&m), MAP_REUSED);
	m.m.needed_bytes = 600 * 1024; /* refilled: reused, even read when full */
	assert_int_equal(tracked_verdict(&m), MAP_REUSED);
	m.refilled = false; /* over half the table is needed */
	assert_int_equal(tracked_verdict(&m), MAP_FITS);
	m.m.table_bytes = 20 * 1024;	/* twice, but a few KiB: not worth advice */
	m.m.needed_bytes = 8 * 1024;
	assert_int_equal(tracked_verdict(&m), MAP_FITS);
	assert_string_equal(map_verdict_name(MAP_REUSED), "reused");

	/* the peak is what was seen, never the table's implication: a size
	 * hint or a Swiss table's deleted slots make a table large too */
	m.peak = 10;
	assert_int_equal(tracked_peak(&m), 10);
	m.peak = 7000;
	assert_int_equal(tracked_peak(&m), 7000);
}

/* A candidate that is not runtime.mheap_ is refused with the field that did
 * not match, and of several the most plausible one is named. */
static void test_mheap_check_says_what_failed(void **state)
{
	struct fake f = { .img = calloc(1, IMAGE), .L = go_layout_for(22) };
	uint64_t cands[3] = { 0x100, 8, 0 };
	struct mheap_check c;
	struct memsrc mem;
	char why[200];

	memsrc_buffer(&mem, f.img, BASE, IMAGE);
	/* before the runtime has allocated a span */
	assert_false(go_heap_check_mheap(&mem, f.L, BASE, &c));
	assert_non_null(strstr(c.why, "mheap.allspans (+65864) is empty (len 0, cap 0)"));
	add_span(&f, SMALL_SPAN_AT, 1, 5 << 1, 48, 170, 3);
	assert_true(go_heap_check_mheap(&mem, f.L, BASE, &c));
	/* 8 bytes off, allspans reads {ptr 1, len 1, cap 0} */
	assert_false(go_heap_check_mheap(&mem, f.L, BASE + 8, &c));
	assert_non_null(strstr(c.why, "mheap.allspans (+65864) is not a slice: len 1, cap 0"));
	/* Go 1.21's layout on a 1.22 heap: mspan.state is 8 bytes further */
	assert_false(go_heap_check_mheap(&mem, go_layout_for(21), BASE, &c));
	assert_non_null(strstr(c.why, "none of the first 1 spans is in use"));
	assert_non_null(strstr(c.why, "state (+107) is 0, not mSpanInUse"));
	/* a span in use whose fields do not fit */
	put(&f, SPAN_STRUCTS_AT + f.L->span_startaddr, BASE + SMALL_SPAN_AT + 16, 8);
	assert_false(go_heap_check_mheap(&mem, f.L, BASE, &c));
	assert_non_null(strstr(c.why, "allspans[0], the mspan at 0xc000021000: startAddr (+24) 0xc000100010 is not a page address"));
	put(&f, SPAN_STRUCTS_AT + f.L->span_startaddr, BASE + SMALL_SPAN_AT, 8);
	put(&f, SPAN_STRUCTS_AT + f.L->span_freeindex, 171, f.L->span_index_size);
	assert_false(go_heap_check_mheap(&mem, f.L, BASE, &c));
	assert_non_null(strstr(c.why, "freeindex (+48) 171 is past nelems 170"));
	/* the candidate that got furthest is the one named */
	assert_int_equal(go_heap_find_mheap(&mem, f.L, cands, 3, BASE, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "the most plausible, 0xc000000000: allspans[0]"));
	put(&f, SPAN_STRUCTS_AT + f.L->span_freeindex, 3, f.L->span_index_size);
	assert_int_equal(go_heap_find_mheap(&mem, f.L, cands, 3, BASE, why, sizeof(why)), 2);
	free(f.img);
}

/* Values from the runtime's rules: overLoadFactor and makeBucketArray for
 * bucket maps, NewMap and newTable for Swiss maps. */
static void test_needed_bytes(void **state)
{
	const struct go_layout *L = go_layout_for(22), *L21 = go_layout_for(21);

	assert_int_equal(bucket_map_b_for(L, 0), 0);
	assert_int_equal(bucket_map_b_for(L, 8), 0);
	assert_int_equal(bucket_map_b_for(L, 13), 1);  /* 13 > 6.5 * 2 is false */
	assert_int_equal(bucket_map_b_for(L, 14), 2);
	assert_int_equal(bucket_map_b_for(L, 1000000), 18);
	assert_int_equal(bucket_map_needed_bytes(L, 0, 144), 0);
	assert_int_equal(bucket_map_needed_bytes(L, 10, 144), 2 * 144);
	/* 2^18 buckets + 2^14 preallocated overflow: the 40,108,032 bytes a
	 * Go 1.22 map[int64]int64 of a million entries holds */
	assert_int_equal(bucket_map_needed_bytes(L, 1000000, 144), 40108032);
	/* Go 1.21 grows at 6 entries a bucket: 50,000 entries take 2^14
	 * buckets there (measured: B 14 from the 49,153rd insert), 2^13 in
	 * every other bucket-map release */
	assert_int_equal(bucket_map_b_for(L, 50000), 13);
	assert_int_equal(bucket_map_b_for(L21, 50000), 14);
	assert_int_equal(bucket_map_b_for(L21, 49152), 13);
	assert_int_equal(bucket_map_implied_peak(L, 14), 53249);
	assert_int_equal(bucket_map_implied_peak(L21, 14), 49153);
	assert_int_equal(bucket_map_needed_bytes(L21, 50000, 144), (16384 + 1024) * 144);
	assert_int_equal(swiss_map_needed_bytes(0, 136), 0);
	assert_int_equal(swiss_map_needed_bytes(8, 136), 136);	  /* a small map: one group */
	assert_int_equal(swiss_map_needed_bytes(10, 136), 2 * 136); /* capacity 16 */
	assert_int_equal(swiss_map_needed_bytes(1000000, 136), 2048ull * 128 * 136);
}

static void test_heapstats_decode(void **state)
{
	const struct go_layout *L = go_layout_for(22);
	uint8_t raw[3 * 2048] = { 0 };
	struct heap_stats hs;
	int64_t v;

#define SET(gen, field, val) (v = (val), memcpy(raw + (gen) * L->hsd_size + L->field, &v, 8))
	SET(0, hsd_committed, 100 * 8192);
	SET(1, hsd_committed, 20 * 8192);
	SET(2, hsd_committed, -4 * 8192); /* deltas may be negative */
	SET(0, hsd_inheap, 90 * 8192);
	SET(1, hsd_instacks, 4 * 8192);
	SET(0, hsd_inworkbufs, 2 * 8192);
	SET(0, hsd_inptrscalarbits, 8192);
	SET(2, hsd_released, 30 * 8192);
	assert_true(heapstats_decode(L, raw, &hs));
	assert_int_equal(hs.committed, 116 * 8192);
	assert_int_equal(hs.free_unreleased, (116 - 90 - 4 - 2 - 1) * 8192);
	assert_int_equal(hs.released, 30 * 8192);
	/* not page accounting: refused */
	SET(0, hsd_inheap, 90 * 8192 + 3);
	assert_false(heapstats_decode(L, raw, &hs));
	SET(0, hsd_inheap, 200 * 8192); /* more in use than committed */
	assert_false(heapstats_decode(L, raw, &hs));
#undef SET
}

/* A map as the tracker reads it, read after read: counts and whether the
 * seed changed, as set_parsed and the count-only path pass them on. */
struct reading {
	uint64_t live;
	bool emptied;
};

static enum map_verdict run_readings(struct tracked_map *tm, const struct reading *r, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		tm->m.live = r[i].live;
		tm->m.needed_bytes = bucket_map_needed_bytes(go_layout_for(22), r[i].live, 144);
		tracked_observe(tm, r[i].live, r[i].emptied);
		tm->parsed = true;
	}
	return tracked_verdict(tm);
}

/* A bucket map of 2^12 buckets (4352 with the preallocated overflow ones,
 * 144 bytes each): implied peak 6.5 * 2^11 + 1. */
static void table_of_b12(struct tracked_map *tm)
{
	memset(tm, 0, sizeof(*tm));
	tm->m.table_bytes = 4352 * 144;
	tm->m.implied_peak = bucket_map_implied_peak(go_layout_for(22), 12);
}

static void test_verdicts(void **state)
{
	struct tracked_map tm;
	/* emptied by delete before attach, never refilled */
	static const struct reading emptied[] = { { 10, false }, { 10, false }, { 10, false } };
	/* a working buffer read at random phases: full, empty, full */
	static const struct reading phases[] = { { 20000, false }, { 0, true }, { 20000, false } };
	/* read at its refill period, always full, or always empty: the seed
	 * changed at every emptying in between */
	static const struct reading full[] = { { 20000, false }, { 20000, true }, { 20000, true } };
	static const struct reading empty[] = { { 0, false }, { 0, true }, { 0, true } };
	/* first seen empty (the table says it was full), then full again */
	static const struct reading back[] = { { 0, false }, { 15000, false } };
	/* grown while traced, then emptied down to 10: not a refill */
	static const struct reading grown[] = { { 14000, false }, { 18000, false }, { 26000, false }, { 10, false } };
	/* emptied once to 0 while traced and left so */
	static const struct reading once[] = { { 26000, false }, { 0, true }, { 0, false } };
	/* a map about as large as its entries need */
	static const struct reading fits[] = { { 20000, false }, { 21000, false } };

	table_of_b12(&tm);
	assert_int_equal(run_readings(&tm, emptied, 3), MAP_RETAINED);
	assert_int_equal(tracked_peak(&tm), 10); /* seen: a lower bound */
	table_of_b12(&tm);
	assert_int_equal(run_readings(&tm, phases, 3), MAP_REUSED);
	table_of_b12(&tm);
	assert_int_equal(run_readings(&tm, full, 3), MAP_REUSED);
	table_of_b12(&tm);
	assert_int_equal(run_readings(&tm, empty, 3), MAP_REUSED);
	table_of_b12(&tm);
	assert_int_equal(run_readings(&tm, back, 2), MAP_REUSED);
	table_of_b12(&tm);
	assert_int_equal(run_readings(&tm, grown, 4), MAP_RETAINED);
	assert_int_equal(tracked_peak(&tm), 26000);
	table_of_b12(&tm);
	assert_int_equal(run_readings(&tm, once, 3), MAP_RETAINED);
	table_of_b12(&tm);
	assert_int_equal(run_readings(&tm, fits, 2), MAP_FITS);
}

/* A bounded cache that churns: its count rises and falls around its bound
 * (or stays at it while its slots change), and its table is a few times
 * what that bound needs (Swiss tables grow on deleted slots too): not
 * retained, its peak at most its bound. A map emptied long ago that churns
 * a little is still retained: its table is far beyond its peak's needs. */
static void test_churning_cache_is_not_retained(void **state)
{
	struct tracked_map tm;
	/* bound 3000, read at random moments: between evictions and inserts */
	static const struct reading cache[] = { { 2990, false }, { 3000, false }, { 2995, false }, { 3000, false } };
	static const struct reading at_bound[] = { { 3000, false }, { 3000, false }, { 3000, false } };
	static const struct reading sessions[] = { { 12, false }, { 15, false }, { 11, false } };

	/* 4352 buckets of 144 bytes, where 3000 entries need 544 (2^9 + 2^5) */
	table_of_b12(&tm);
	assert_int_equal(run_readings(&tm, at_bound, 3), MAP_RETAINED);
	assert_false(tracked_churns(&tm));
	table_of_b12(&tm);
	tm.m.table_bytes = 2048 * 144; /* under four times 544 buckets */
	assert_int_equal(run_readings(&tm, cache, 4), MAP_FITS);
	assert_true(tracked_churns(&tm));
	assert_true(tracked_peak(&tm) <= 3000);
	/* at its bound every read, but its slots were seen replaced */
	table_of_b12(&tm);
	tm.m.table_bytes = 2048 * 144;
	assert_int_equal(run_readings(&tm, at_bound, 3), MAP_RETAINED);
	tm.replaced = 1;
	assert_int_equal(tracked_verdict(&tm), MAP_FITS);
	/* a map grown long ago, now a dozen sessions that come and go */
	table_of_b12(&tm);
	assert_int_equal(run_readings(&tm, sessions, 3), MAP_RETAINED);
	assert_true(tracked_churns(&tm));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_walk_finds_bucket_maps),
		cmocka_unit_test(test_object_lookup),
		cmocka_unit_test(test_objects_allocated),
		cmocka_unit_test(test_tracker_refresh),
		cmocka_unit_test(test_tracker_reparses_after_growth),
		cmocka_unit_test(test_tracker_keeps_swiss_map_being_written),
		cmocka_unit_test(test_walk_reads_again_a_map_that_split),
		cmocka_unit_test(test_tracker_bounds),
		cmocka_unit_test(test_implied_peaks),
		cmocka_unit_test(test_verdict_thresholds),
		cmocka_unit_test(test_mheap_check_says_what_failed),
		cmocka_unit_test(test_needed_bytes),
		cmocka_unit_test(test_verdicts),
		cmocka_unit_test(test_churning_cache_is_not_retained),
		cmocka_unit_test(test_heapstats_decode),
	};

	return cmocka_run_group_tests_name("heap", tests, NULL, NULL);
}
