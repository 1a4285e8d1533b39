// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* libFuzzer: the runtime-state decoders (memstats, gcController, the heap
 * goal, the window of collections) and the text parsers beside them
 * (/proc/PID/smaps, /proc/PID/cgroup, mountinfo, a limit file). Whatever the
 * target wrote may be anything: the memstats and gcController images are a
 * consistent runtime's, patched where the input says (so that the
 * decoders' checks are passed, and then broken, one field at a time), or
 * the input itself.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "heap/rss_split.h"
#include "heap/runtime_decode.h"
#include "heap/runtime_split.h"
#include "target/cgroup_limit.h"

#define MIB (1ull << 20)
#define IMG 8192

static void put(uint8_t *img, size_t off, uint64_t v, unsigned size)
{
	memcpy(img + off, &v, size);
}

/* A consistent memstats: 40 MiB committed, numgc collections. */
static void memstats(const struct go_layout *L, uint8_t *img, uint32_t numgc)
{
	uint64_t total = 0;
	uint32_t i;

	put(img, L->mstats_heapstats + L->hsd_committed, 40 * MIB, 8);
	put(img, L->mstats_heapstats + L->hsd_released, 4 * MIB, 8);
	put(img, L->mstats_heapstats + L->hsd_inheap, 24 * MIB, 8);
	put(img, L->mstats_heapstats + L->hsd_size + L->hsd_instacks, 2 * MIB, 8);
	put(img, L->mstats_heapstats + L->hsd_smallalloc + 40, 1500, 8);
	put(img, L->mstats_heapstats + L->hsd_largealloc, 3 * MIB, 8);
	for (i = 0; i < numgc; i++) {
		put(img, L->mstats_pause_ns + 8u * (i % GO_PAUSE_HISTORY), 1000 + i, 8);
		total += 1000 + i;
	}
	put(img, L->mstats_numgc, numgc, 4);
	put(img, L->mstats_pause_total_ns, total, 8);
}

static void controller(const struct go_layout *L, uint8_t *img)
{
	put(img, L->gcc_gcpercent, 100, 4);
	put(img, L->gcc_memorylimit, 120 * MIB, 8);
	put(img, L->gcc_heapminimum, GO_DEFAULT_HEAP_MINIMUM, 8);
	put(img, L->gcc_gcpercent_heapgoal, 120 * MIB, 8);
	put(img, L->gcc_triggered, UINT64_MAX, 8);
	put(img, L->gcc_heapmarked, 60 * MIB, 8);
	put(img, L->gcc_heapfree, 10 * MIB, 8);
	put(img, L->gcc_totalalloc, 500 * MIB, 8);
	put(img, L->gcc_totalfree, 430 * MIB, 8);
	put(img, L->gcc_mappedready, 100 * MIB, 8);
}

/* The input's bytes as patches: (offset u16, width 1..8, value). */
static void patch(uint8_t *img, size_t len, const uint8_t *d, size_t n)
{
	while (n >= 4) {
		size_t off = (d[0] | (size_t)d[1] << 8) % len, w = 1 + d[2] % 8;

		d += 3;
		n -= 3;
		if (w > n)
			w = n;
		if (off + w > len)
			off = len - w;
		memcpy(img + off, d, w);
		d += w;
		n -= w;
	}
}

static void check_memstats(const struct go_layout *L, const uint8_t *img, size_t len)
{
	struct rt_memstats a, b;
	struct rt_classes c;
	struct rt_window w = { 0 };
	uint64_t p[GO_PAUSE_HISTORY];

	if (!rt_decode_memstats(L, img, len, &a))
		return;
	rt_classes_of(&a, &c);
	if (a.in_objects <= a.in_heap &&
	    c.heap_objects + c.heap_unused + c.heap_free + c.heap_released + c.heap_stacks + c.os_stacks + c.metadata +
			    c.other != c.total)
		__builtin_trap();
	if (rt_recent_pauses(&a, p, GO_PAUSE_HISTORY) > GO_PAUSE_HISTORY)
		__builtin_trap();
	b = a;
	b.numgc = 0;
	rt_window_add(&w, &b, &a);
	if (w.pauses.count > GO_PAUSE_HISTORY || w.pauses.count + w.pauses_missed != w.cycles)
		__builtin_trap();
}

static void check_controller(const struct go_layout *L, const uint8_t *img, size_t len)
{
	struct rt_gccontroller c;

	if (rt_decode_gccontroller(L, img, len, &c) && rt_heap_goal(L, &c) < c.heap_marked &&
	    rt_memory_limit_heap_goal(L, &c) < c.heap_marked)
		__builtin_trap();
}

static void text(uint8_t sel, const uint8_t *d, size_t n)
{
	char *s = malloc(n + 1), v1[256], v2[256];
	struct rss_exe exe = { .path = "/srv/app", .ino = 99, .dev_major = 0xfe };
	struct rss_split split;
	struct cgroup_mounts mt;
	struct rt_memory m;
	struct rt_classes c = { .total = 50 * MIB, .heap_released = 6 * MIB };
	struct rt_memstats ms = { .committed = 40 * MIB };
	uint64_t b;

	if (!s)
		return;
	memcpy(s, d, n);
	s[n] = '\0';
	switch (sel % 4) {
	case 0:
		rss_split_parse(s, n, &exe, &split);
		rt_memory_split(&c, &ms, &split, &m);
		if (m.not_go_bytes > m.rss || m.released_lazyfree > m.released_resident)
			__builtin_trap();
		break;
	case 1:
		if (cgroup_memory_paths(s, v1, sizeof(v1), v2, sizeof(v2)) && (strstr(v1, "/../") || strstr(v2, "/../")))
			__builtin_trap();
		break;
	case 2:
		cgroup_mounts_parse(s, &mt);
		break;
	default:
		cgroup_limit_value(s, &b);
	}
	free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int minors[] = { 19, 20, 21, 24, 25, 27 };
	static uint8_t img[IMG];
	const struct go_layout *L;

	if (size < 2)
		return 0;
	L = go_layout_for(minors[data[1] % 6]);
	memset(img, 0, sizeof(img));
	switch (data[0] % 5) {
	case 0: /* a runtime's memstats, patched */
		memstats(L, img, data[1] % 2 ? 300 : 7);
		patch(img, rt_memstats_bytes(L), data + 2, size - 2);
		check_memstats(L, img, rt_memstats_bytes(L));
		break;
	case 1: /* a runtime's gcController, patched */
		controller(L, img);
		patch(img, L->gcc_size, data + 2, size - 2);
		check_controller(L, img, L->gcc_size);
		break;
	case 2: /* the input as the image */
		memcpy(img, data + 2, size - 2 < IMG ? size - 2 : IMG);
		check_memstats(L, img, size - 2 < IMG ? size - 2 : IMG);
		check_controller(L, img, size - 2 < IMG ? size - 2 : IMG);
		break;
	default:
		text(data[1], data + 2, size - 2);
	}
	return 0;
}
