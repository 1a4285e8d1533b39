// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The runtime-state decoders over memstats and gcController images built
 * in buffers with each version family's layout: debug.ReadGCStats' order,
 * runtime/metrics' memory classes, gcController.heapGoal() with and
 * without a memory limit (1.19's fixed headroom, 1.21's 3%), the window of
 * collections, and reads that caught the runtime mid-update refused. Also
 * the smaps and cgroup parsers and the RSS split. No root, no process.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "gotables/runtime_alloc.h"
#include "heap/rss_split.h"
#include "heap/runtime_decode.h"
#include "heap/runtime_split.h"
#include "target/cgroup_limit.h"

#define MIB (1ull << 20)
#define PAGE 8192ull

static uint8_t img[8192];

static void put(size_t off, uint64_t v, unsigned size)
{
	memcpy(img + off, &v, size);
}

/* A heapStatsDelta field of generation g. */
static void hsd(const struct go_layout *L, int g, uint16_t off, int64_t v)
{
	put(L->mstats_heapstats + (size_t)g * L->hsd_size + off, (uint64_t)v, 8);
}

/* A consistent memstats: 40 MiB committed (24 in heap, 2 stacks, 1 work
 * bufs), 4 MiB released, spread over the three generations as the
 * runtime's folds leave them; 1000 objects of class 5 (48 B) live of 1500,
 * a 1 MiB large object; numgc collections with pause i+1000 each. */
static void memstats(const struct go_layout *L, uint32_t numgc)
{
	uint64_t total = 0;
	uint32_t i;

	memset(img, 0, sizeof(img));
	hsd(L, 0, L->hsd_committed, 30 * MIB);
	hsd(L, 1, L->hsd_committed, 12 * MIB);
	hsd(L, 2, L->hsd_committed, -2 * (int64_t)MIB);
	hsd(L, 0, L->hsd_released, 4 * MIB);
	hsd(L, 0, L->hsd_inheap, 20 * MIB);
	hsd(L, 2, L->hsd_inheap, 4 * MIB);
	hsd(L, 1, L->hsd_instacks, 2 * MIB);
	hsd(L, 0, L->hsd_inworkbufs, 1 * MIB);
	hsd(L, 0, L->hsd_smallalloc + 5 * 8, 1200);
	hsd(L, 1, L->hsd_smallalloc + 5 * 8, 300);
	hsd(L, 2, L->hsd_smallfree + 5 * 8, 500);
	hsd(L, 0, L->hsd_largealloc, 3 * MIB);
	hsd(L, 1, L->hsd_largefree, 2 * MIB);
	put(L->mstats_stacks_sys, 64 * 1024, 8);
	put(L->mstats_mspan_sys, 160 * 1024, 8);
	put(L->mstats_mcache_sys, 16 * 1024, 8);
	put(L->mstats_buckhash_sys, 8 * 1024, 8);
	put(L->mstats_gcmisc_sys, 512 * 1024, 8);
	put(L->mstats_other_sys, 700 * 1024, 8);
	for (i = 0; i < numgc; i++) {
		put(L->mstats_pause_ns + 8u * (i % GO_PAUSE_HISTORY), 1000 + i, 8);
		total += 1000 + i;
	}
	put(L->mstats_numgc, numgc, 4);
	put(L->mstats_numforcedgc, numgc / 2, 4);
	put(L->mstats_pause_total_ns, total, 8);
	put(L->mstats_gc_cpu_fraction, 0x3f847ae147ae147bull, 8); /* 0.01 */
}

static void test_memstats_decoded_as_runtime_metrics(void **state)
{
	static const int minors[] = { 19, 21, 24, 25, 27 };
	size_t k;

	for (k = 0; k < sizeof(minors) / sizeof(*minors); k++) {
		const struct go_layout *L = go_layout_for(minors[k]);
		struct rt_memstats m;
		struct rt_classes c;

		memstats(L, 3);
		assert_true(rt_decode_memstats(L, img, sizeof(img), &m));
		assert_int_equal(m.committed, 40 * MIB);
		assert_int_equal(m.released, 4 * MIB);
		/* objects: 1500 - 500 of 48 B, and 3 MiB - 2 MiB large */
		assert_int_equal(m.in_objects, 1000 * 48 + MIB);
		assert_int_equal(m.numgc, 3);
		assert_int_equal(m.numforcedgc, 1);
		assert_int_equal(m.pause_total_ns, 1000 + 1001 + 1002);
		assert_true(m.cpu_fraction_valid);
		rt_classes_of(&m, &c);
		assert_int_equal(c.heap_objects, 1000 * 48 + MIB);
		assert_int_equal(c.heap_unused, 24 * MIB - (1000 * 48 + MIB));
		assert_int_equal(c.heap_free, 40 * MIB - 24 * MIB - 2 * MIB - MIB);
		assert_int_equal(c.heap_released, 4 * MIB);
		assert_int_equal(c.heap_stacks, 2 * MIB);
		assert_int_equal(c.os_stacks, 64 * 1024);
		assert_int_equal(c.metadata, 16 * 1024 + 160 * 1024 + MIB + 512 * 1024);
		assert_int_equal(c.other, 700 * 1024 + 8 * 1024);
		/* metrics.go's total, and the classes add up to it */
		assert_int_equal(c.total, 44 * MIB + (64 + 160 + 16 + 8 + 512 + 700) * 1024);
		assert_int_equal(c.heap_objects + c.heap_unused + c.heap_free + c.heap_released + c.heap_stacks +
					 c.os_stacks + c.metadata + c.other,
				 c.total);
	}
}

static void test_recent_pauses_newest_first_as_read_gc_stats(void **state)
{
	const struct go_layout *L = go_layout_for(26);
	struct rt_memstats m;
	uint64_t p[GO_PAUSE_HISTORY];
	size_t n;

	/* 300 collections: the ring wrapped, the newest (299) is at 43 */
	memstats(L, 300);
	assert_true(rt_decode_memstats(L, img, sizeof(img), &m));
	n = rt_recent_pauses(&m, p, GO_PAUSE_HISTORY);
	assert_int_equal(n, 256);
	assert_int_equal(p[0], 1000 + 299);
	assert_int_equal(p[1], 1000 + 298);
	assert_int_equal(p[255], 1000 + 44);
	assert_int_equal(rt_recent_pauses(&m, p, 5), 5);
	/* fewer than 256: all of them, newest first */
	memstats(L, 7);
	assert_true(rt_decode_memstats(L, img, sizeof(img), &m));
	assert_int_equal(rt_recent_pauses(&m, p, GO_PAUSE_HISTORY), 7);
	assert_int_equal(p[0], 1006);
	assert_int_equal(p[6], 1000);
	memstats(L, 0);
	assert_true(rt_decode_memstats(L, img, sizeof(img), &m));
	assert_int_equal(rt_recent_pauses(&m, p, GO_PAUSE_HISTORY), 0);
}

static void test_memstats_caught_mid_update_refused(void **state)
{
	const struct go_layout *L = go_layout_for(22);
	struct rt_memstats m;

	/* gcMarkTermination wrote pause 7 and added it to the total, numgc
	 * is still 7 */
	memstats(L, 7);
	put(L->mstats_pause_ns + 8 * 7, 5000, 8);
	put(L->mstats_pause_total_ns, 1000 * 7 + 21 + 5000, 8);
	assert_false(rt_decode_memstats(L, img, sizeof(img), &m));
	/* the total without the pause it counts */
	memstats(L, 7);
	put(L->mstats_pause_total_ns, 1000 * 7 + 21 - 1, 8);
	assert_false(rt_decode_memstats(L, img, sizeof(img), &m));
	/* a generation folded into another and zeroed between two reads:
	 * more in use than committed */
	memstats(L, 7);
	hsd(L, 0, L->hsd_committed, 0);
	assert_false(rt_decode_memstats(L, img, sizeof(img), &m));
	/* pages are whole */
	memstats(L, 7);
	hsd(L, 0, L->hsd_released, 4 * (int64_t)MIB + 4096);
	assert_false(rt_decode_memstats(L, img, sizeof(img), &m));
	/* more forced collections than collections; an absurd pause */
	memstats(L, 7);
	put(L->mstats_numforcedgc, 8, 4);
	assert_false(rt_decode_memstats(L, img, sizeof(img), &m));
	memstats(L, 300);
	put(L->mstats_pause_ns, 1ull << 50, 8);
	assert_false(rt_decode_memstats(L, img, sizeof(img), &m));
	/* zeros: a runtime that has not started */
	memset(img, 0, sizeof(img));
	assert_false(rt_decode_memstats(L, img, sizeof(img), &m));
	/* too short */
	memstats(L, 7);
	assert_false(rt_decode_memstats(L, img, rt_memstats_bytes(L) - 1, &m));
	assert_true(rt_decode_memstats(L, img, rt_memstats_bytes(L), &m));
	/* a CPU fraction that is not one is not shown, the rest is */
	put(L->mstats_gc_cpu_fraction, 0x7ff8000000000000ull, 8); /* NaN */
	assert_true(rt_decode_memstats(L, img, sizeof(img), &m));
	assert_false(m.cpu_fraction_valid);
}

/* A gcController: GOGC gogc, the limit, 60 MiB marked, 100 MiB mapped of
 * which 10 MiB free heap and 70 MiB heap objects. */
static void controller(const struct go_layout *L, int32_t gogc, int64_t limit)
{
	uint64_t g = (uint64_t)(int64_t)gogc;

	memset(img, 0, sizeof(img));
	put(L->gcc_gcpercent, (uint32_t)gogc, 4);
	put(L->gcc_memorylimit, (uint64_t)limit, 8);
	put(L->gcc_heapminimum, GO_DEFAULT_HEAP_MINIMUM * g / 100, 8);
	put(L->gcc_gcpercent_heapgoal, gogc >= 0 ? 60 * MIB + 60 * MIB * g / 100 : UINT64_MAX, 8);
	put(L->gcc_sweepdist_mintrigger, 0, 8);
	put(L->gcc_triggered, UINT64_MAX, 8);
	put(L->gcc_heaplive, 70 * MIB, 8);
	put(L->gcc_heapmarked, 60 * MIB, 8);
	put(L->gcc_heapfree, 10 * MIB, 8);
	put(L->gcc_totalalloc, 500 * MIB, 8);
	put(L->gcc_totalfree, 430 * MIB, 8);
	put(L->gcc_mappedready, 100 * MIB, 8);
}

static void test_heap_goal_as_gc_controller(void **state)
{
	const struct go_layout *L119 = go_layout_for(19), *L121 = go_layout_for(21), *L = go_layout_for(27);
	struct rt_gccontroller c;

	/* no limit: GOGC 150's goal */
	controller(L, 150, INT64_MAX);
	assert_true(rt_decode_gccontroller(L, img, sizeof(img), &c));
	assert_int_equal(c.gogc, 150);
	assert_int_equal(c.memory_limit, INT64_MAX);
	assert_int_equal(rt_heap_goal(L, &c), 150 * MIB);
	/* the sweep distance, then the runway over the trigger push it out */
	c.sweepdist_min_trigger = 151 * MIB;
	assert_int_equal(rt_heap_goal(L, &c), 151 * MIB);
	c.triggered = 151 * MIB;
	assert_int_equal(rt_heap_goal(L, &c), 151 * MIB + 64 * 1024);
	/* a 120 MiB limit: non-heap 100 - 10 - 70 = 20 MiB, goal 100 MiB less
	 * 3% (1.21+) or 1 MiB (1.19) */
	controller(L121, 150, 120 * MIB);
	assert_true(rt_decode_gccontroller(L121, img, sizeof(img), &c));
	assert_int_equal(rt_heap_goal(L121, &c), 100 * MIB - 100 * MIB / 100 * 3);
	controller(L119, 150, 120 * MIB);
	assert_true(rt_decode_gccontroller(L119, img, sizeof(img), &c));
	assert_int_equal(rt_heap_goal(L119, &c), 99 * MIB);
	/* a small goal keeps at least the minimum headroom */
	controller(L121, 150, 21 * MIB + 512 * 1024);
	assert_true(rt_decode_gccontroller(L121, img, sizeof(img), &c));
	assert_int_equal(rt_memory_limit_heap_goal(L121, &c), 60 * MIB); /* not below the live heap */
	/* non-heap memory over the limit alone: the live heap */
	controller(L121, 150, 15 * MIB);
	assert_true(rt_decode_gccontroller(L121, img, sizeof(img), &c));
	assert_int_equal(rt_heap_goal(L121, &c), 60 * MIB);
	/* GOGC off with a limit (the usual pairing): the limit decides */
	controller(L, -1, 200 * MIB);
	assert_true(rt_decode_gccontroller(L, img, sizeof(img), &c));
	assert_int_equal(c.gogc, -1);
	assert_int_equal(rt_heap_goal(L, &c), 180 * MIB - 180 * MIB / 100 * 3);
}

static void test_gc_controller_refused_when_not_one(void **state)
{
	const struct go_layout *L = go_layout_for(24);
	struct rt_gccontroller c;

	memset(img, 0, sizeof(img));
	assert_false(rt_decode_gccontroller(L, img, sizeof(img), &c)); /* not started */
	controller(L, 150, INT64_MAX);
	put(L->gcc_heapminimum, 4 * MIB, 8); /* GOGC 100's minimum with GOGC 150 */
	assert_false(rt_decode_gccontroller(L, img, sizeof(img), &c));
	controller(L, 50, INT64_MAX);
	put(L->gcc_heapminimum, GO_HEAP_MINIMUM_512KIB / 2, 8); /* heapminimum512kib */
	assert_true(rt_decode_gccontroller(L, img, sizeof(img), &c));
	controller(L, -2, INT64_MAX);
	assert_false(rt_decode_gccontroller(L, img, sizeof(img), &c));
	controller(L, 100, -5);
	assert_false(rt_decode_gccontroller(L, img, sizeof(img), &c));
	/* free and allocated beyond what is mapped: caught mid-update */
	controller(L, 100, INT64_MAX);
	put(L->gcc_heapfree, 40 * MIB, 8);
	assert_false(rt_decode_gccontroller(L, img, sizeof(img), &c));
	controller(L, 100, INT64_MAX);
	put(L->gcc_totalfree, 600 * MIB, 8);
	assert_false(rt_decode_gccontroller(L, img, sizeof(img), &c));
	controller(L, 100, INT64_MAX);
	assert_false(rt_decode_gccontroller(L, img, L->gcc_size - 1, &c));
}

static void test_window_counts_collections_and_pauses(void **state)
{
	const struct go_layout *L = go_layout_for(26);
	struct rt_memstats a, b;
	struct rt_window w = { 0 };

	memstats(L, 10);
	assert_true(rt_decode_memstats(L, img, sizeof(img), &a));
	memstats(L, 13);
	assert_true(rt_decode_memstats(L, img, sizeof(img), &b));
	rt_window_add(&w, &a, &b);
	assert_int_equal(w.cycles, 3);
	assert_int_equal(w.pause_total_ns, 1010 + 1011 + 1012);
	assert_int_equal(w.pauses.count, 3);
	assert_int_equal(w.pauses.sum_ns, w.pause_total_ns);
	assert_int_equal(w.pauses.max_ns, 1012);
	assert_int_equal(w.pauses_missed, 0);
	/* 290 more between two readings: 256 read, 34 missed, the total exact */
	memstats(L, 303);
	assert_true(rt_decode_memstats(L, img, sizeof(img), &a));
	rt_window_add(&w, &b, &a);
	assert_int_equal(w.cycles, 293);
	assert_int_equal(w.pauses.count, 3 + 256);
	assert_int_equal(w.pauses_missed, 34);
	assert_int_equal(w.pause_total_ns, a.pause_total_ns - 1000 * 10 - 45);
	/* numgc is a uint32: it wraps */
	a.numgc = 2;
	b.numgc = UINT32_MAX;
	memset(&w, 0, sizeof(w));
	rt_window_add(&w, &b, &a);
	assert_int_equal(w.cycles, 3);
}

static const char smaps_text[] =
	"00400000-00402000 r--p 00000000 fe:00 99 /srv/app\n"
	"Rss:                   8 kB\n"
	"LazyFree:              0 kB\n"
	"00402000-004df000 r-xp 00002000 fe:00 99 /srv/app\n"
	"Size:                884 kB\n"
	"Rss:                 800 kB\n"
	"Anonymous:             0 kB\n"
	"004df000-0063c000 rw-p 00000000 00:00 0 \n"
	"Rss:                 100 kB\n"
	"Anonymous:           100 kB\n"
	"11600000-11621000 rw-p 00000000 00:00 0                                  [heap]\n"
	"Rss:                 132 kB\n"
	"Anonymous:           132 kB\n"
	"c000000000-c004000000 rw-p 00000000 00:00 0                      [anon: Go: heap]\n"
	"Rss:               40960 kB\n"
	"Anonymous:         40960 kB\n"
	"LazyFree:           2048 kB\n"
	"AnonHugePages:      8192 kB\n"
	"VmFlags: rd wr mr mw me ac \n"
	"7f0000000000-7f0000100000 rw-p 00000000 00:00 0  [anon: Go: immortal metadata]\n"
	"Rss:                1024 kB\n"
	"THPeligible:    0\n"
	"7f1000000000-7f1003000000 rw-p 00000000 00:00 0 \n"
	"Rss:               49152 kB\n"
	"Anonymous:         49152 kB\n"
	"7f2000000000-7f2000200000 r-xp 00000000 fe:00 1234 /lib/x86_64-linux-gnu/libc.so.6\n"
	"Rss:                1200 kB";

static void test_smaps_split_by_owner(void **state)
{
	struct rss_exe exe = { .path = "/srv/app", .dev_major = 0xfe, .dev_minor = 0, .ino = 99 };
	struct rss_split s;

	rss_split_parse(smaps_text, strlen(smaps_text), &exe, &s);
	assert_int_equal(s.mappings, 8);
	assert_int_equal(s.all.rss, (8 + 800 + 100 + 132 + 40960 + 1024 + 49152 + 1200) * 1024ull);
	assert_int_equal(s.anon, (100 + 132 + 40960 + 49152) * 1024ull);
	/* the file's two mappings and the bss right after them */
	assert_int_equal(s.exe.rss, (8 + 800 + 100) * 1024ull);
	assert_int_equal(s.go_named, 2);
	assert_int_equal(s.go.rss, (40960 + 1024) * 1024ull);
	assert_int_equal(s.go_heap.rss, 40960 * 1024ull);
	assert_int_equal(s.go_heap.lazyfree, 2048 * 1024ull);
	assert_int_equal(s.go_heap.anon_huge, 8192 * 1024ull);
	assert_int_equal(s.all.lazyfree, 2048 * 1024ull);
	/* found by inode when the path differs (another mount namespace) */
	exe.path = "/other/name";
	rss_split_parse(smaps_text, strlen(smaps_text), &exe, &s);
	assert_int_equal(s.exe.rss, (8 + 800 + 100) * 1024ull);
	/* and by path when the inode differs (overlayfs) */
	exe = (struct rss_exe){ .path = "/srv/app", .ino = 5 };
	rss_split_parse(smaps_text, strlen(smaps_text), &exe, &s);
	assert_int_equal(s.exe.rss, (8 + 800 + 100) * 1024ull);
	/* fields before any mapping and garbage count nothing */
	rss_split_parse("Rss: 5 kB\nnonsense\n", 19, &exe, &s);
	assert_int_equal(s.all.rss, 0);
	assert_int_equal(s.mappings, 0);
}

static void test_rss_split_go_exe_and_the_rest(void **state)
{
	struct rss_exe exe = { .path = "/srv/app", .ino = 99, .dev_major = 0xfe };
	struct rt_classes c = { .heap_released = 6 * MIB, .total = 50 * MIB };
	struct rt_memstats ms = { .committed = 36 * MIB };
	struct rss_split s;
	struct rt_memory m;

	/* named mappings (Go 1.25+): measured there; the heap holds 4 MiB
	 * beyond what is committed: released pages resident, 2 MiB LazyFree,
	 * the rest in huge pages */
	rss_split_parse(smaps_text, strlen(smaps_text), &exe, &s);
	rt_memory_split(&c, &ms, &s, &m);
	assert_true(m.go_measured);
	assert_int_equal(m.go_bytes, 41 * MIB);
	assert_int_equal(m.exe_bytes, 908 * 1024);
	assert_int_equal(m.not_go_bytes, s.all.rss - 41 * MIB - 908 * 1024);
	assert_int_equal(m.released_resident, 4 * MIB);
	assert_int_equal(m.released_lazyfree, 2 * MIB);
	assert_int_equal(m.released_huge, 2 * MIB);
	/* no names: the runtime's accounting (total less released, plus the
	 * LazyFree it may own) */
	memset(&s, 0, sizeof(s));
	s.all.rss = 120 * MIB;
	s.all.lazyfree = 3 * MIB;
	s.exe.rss = 2 * MIB;
	rt_memory_split(&c, &ms, &s, &m);
	assert_false(m.go_measured);
	assert_int_equal(m.go_bytes, 50 * MIB - 6 * MIB + 3 * MIB);
	assert_int_equal(m.not_go_bytes, 120 * MIB - 2 * MIB - 47 * MIB);
	assert_int_equal(m.released_lazyfree, 3 * MIB);
	/* RSS below what Go accounts for (pages it never touched): Go's part
	 * is what the program file leaves of RSS, nothing is not Go's */
	s.all.rss = 30 * MIB;
	rt_memory_split(&c, &ms, &s, &m);
	assert_int_equal(m.go_bytes, 28 * MIB);
	assert_int_equal(m.not_go_bytes, 0);
}

static void test_cgroup_files_parsed_strictly(void **state)
{
	char v1[256], v2[256];
	struct cgroup_mounts mt;
	uint64_t b;

	assert_true(cgroup_memory_paths("12:pids:/\n4:memory:/process_api/x1\n0::/system.slice/a.service\n", v1,
					sizeof(v1), v2, sizeof(v2)));
	assert_string_equal(v1, "/process_api/x1");
	assert_string_equal(v2, "/system.slice/a.service");
	assert_true(cgroup_memory_paths("0::/\n", v1, sizeof(v1), v2, sizeof(v2)));
	assert_string_equal(v1, "");
	assert_string_equal(v2, "/");
	/* memory shares a hierarchy with others on some hosts */
	assert_true(cgroup_memory_paths("3:cpu,memory:/docker/abc\n", v1, sizeof(v1), v2, sizeof(v2)));
	assert_string_equal(v1, "/docker/abc");
	/* no memory hierarchy, or a path that is not clean */
	assert_false(cgroup_memory_paths("2:cpu:/x\n", v1, sizeof(v1), v2, sizeof(v2)));
	assert_false(cgroup_memory_paths("4:memory:/a/../b\n", v1, sizeof(v1), v2, sizeof(v2)));
	assert_false(cgroup_memory_paths("0::relative\n", v1, sizeof(v1), v2, sizeof(v2)));
	assert_false(cgroup_memory_paths("0::/a//b\n", v1, sizeof(v1), v2, sizeof(v2)));
	assert_false(cgroup_memory_paths("4:memoryx:/a\n", v1, sizeof(v1), v2, sizeof(v2)));

	cgroup_mounts_parse("31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
			    "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
			    "41 31 0:38 /kubepods /sys/fs/cgroup/unified rw shared:9 - cgroup2 cgroup2 rw\n",
			    &mt);
	assert_string_equal(mt.v1_dir, "/sys/fs/cgroup/memory");
	assert_string_equal(mt.v1_root, "/");
	assert_string_equal(mt.v2_dir, "/sys/fs/cgroup/unified");
	assert_string_equal(mt.v2_root, "/kubepods");
	cgroup_mounts_parse("1 2 3:4 / /x rw - ext4 /dev/sda rw\ngarbage\n", &mt);
	assert_string_equal(mt.v1_dir, "");
	assert_string_equal(mt.v2_dir, "");

	assert_true(cgroup_limit_value("536870912\n", &b));
	assert_int_equal(b, 512 * MIB);
	assert_true(cgroup_limit_value("max\n", &b));
	assert_int_equal(b, 0);
	assert_true(cgroup_limit_value("9223372036854771712\n", &b)); /* v1's "no limit" */
	assert_int_equal(b, 0);
	assert_false(cgroup_limit_value("-1\n", &b));
	assert_false(cgroup_limit_value("12abc\n", &b));
	assert_false(cgroup_limit_value("", &b));
	assert_false(cgroup_limit_value("99999999999999999999999\n", &b));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_memstats_decoded_as_runtime_metrics),
		cmocka_unit_test(test_recent_pauses_newest_first_as_read_gc_stats),
		cmocka_unit_test(test_memstats_caught_mid_update_refused),
		cmocka_unit_test(test_heap_goal_as_gc_controller),
		cmocka_unit_test(test_gc_controller_refused_when_not_one),
		cmocka_unit_test(test_window_counts_collections_and_pauses),
		cmocka_unit_test(test_smaps_split_by_owner),
		cmocka_unit_test(test_rss_split_go_exe_and_the_rest),
		cmocka_unit_test(test_cgroup_files_parsed_strictly),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
