/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The Go runtime's own state, decoded from bytes read in the target:
 * runtime.memstats (page accounting, the other mapped memory, the pause
 * history) and runtime.gcController (GOGC, GOMEMLIMIT, what the heap goal
 * is computed from), and the arithmetic runtime/metrics and
 * debug.ReadGCStats do on them. Pure functions over bytes: what the target
 * wrote may be anything, so every decoder checks what it reads and the unit
 * tests and the fuzzer feed them bytes directly.
 */
#ifndef HT_HEAP_RUNTIME_DECODE_H
#define HT_HEAP_RUNTIME_DECODE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>
#include "heaptrace.h"
#include "gotables/runtime_layout.h"

/* runtime.memstats, decoded. */
struct rt_memstats {
	/* heapStats: the three generations of heapStatsDelta summed */
	uint64_t committed, released, in_heap, in_stacks, in_workbufs, in_ptrscalarbits;
	uint64_t in_objects; /* bytes allocated less bytes freed, by size class and large */
	/* the runtime's other mapped memory (sysMemStat) */
	uint64_t stacks_sys, mspan_sys, mcache_sys, buckhash_sys, gcmisc_sys, other_sys;
	/* the GC's own record of itself */
	uint32_t numgc, numforcedgc;
	uint64_t pause_total_ns;
	uint64_t pause_ns[GO_PAUSE_HISTORY]; /* the ring, as the runtime keeps it */
	double gc_cpu_fraction;		     /* MemStats.GCCPUFraction */
	bool cpu_fraction_valid;	     /* a fraction in [0, 1] */
};

/* runtime.gcController, decoded. */
struct rt_gccontroller {
	int32_t gogc;		/* gcPercent: -1 when off */
	int64_t memory_limit;	/* GOMEMLIMIT; INT64_MAX when none */
	uint64_t heap_minimum, gcpercent_heap_goal, sweepdist_min_trigger, triggered, heap_live, heap_marked;
	uint64_t heap_free, total_alloc, total_free, mapped_ready;
};

/* runtime/metrics' /memory/classes/..., in heaptrace's names: other holds
 * /memory/classes/other and /memory/classes/profiling/buckets, metadata
 * every /memory/classes/metadata/... class; they add up to total. */
struct rt_classes {
	uint64_t heap_objects, heap_unused, heap_free, heap_released, heap_stacks, os_stacks, metadata, other, total;
};

/* How many bytes of memstats the decoder reads, from its start. */
size_t rt_memstats_bytes(const struct go_layout *L);
/* Decodes memstats from img = its first len bytes (at least
 * rt_memstats_bytes(L); pause_end, which nothing reads, may be zeros).
 * False when the bytes are not a runtime's accounting, or caught mid-update. */
bool rt_decode_memstats(const struct go_layout *L, const uint8_t *img, size_t len, struct rt_memstats *out);
/* Decodes gcController from its first len (>= L->gcc_size) bytes; false
 * when they are not a GC controller's (or caught mid-update). */
bool rt_decode_gccontroller(const struct go_layout *L, const uint8_t *img, size_t len, struct rt_gccontroller *out);
/* gcController.heapGoal() as this version computes it: the GOGC goal, or
 * the memory limit's when lower, pushed out by the sweep distance and the
 * minimum runway over the trigger (/gc/heap/goal:bytes). */
uint64_t rt_heap_goal(const struct go_layout *L, const struct rt_gccontroller *c);
/* The memory limit's heap goal alone (memoryLimitHeapGoal). */
uint64_t rt_memory_limit_heap_goal(const struct go_layout *L, const struct rt_gccontroller *c);
/* debug.ReadGCStats' Pause: the last min(numgc, 256, max) pauses, newest
 * first; returns how many. */
size_t rt_recent_pauses(const struct rt_memstats *m, uint64_t *out, size_t max);
void rt_classes_of(const struct rt_memstats *m, struct rt_classes *out);

/* The collections of a window, from two readings: counted by numgc, their
 * pauses summed by pause_total_ns (both exact), each pause in the
 * histogram as long as the ring still held it (at most 256 collections
 * between two readings; the others are counted in pauses_missed). */
struct rt_window {
	uint64_t cycles, forced, pause_total_ns;
	struct ht_hist pauses;	/* the pauses read one by one from the ring */
	uint64_t pauses_missed;	/* collections whose pause the ring no longer held */
};
/* Adds what happened between `prev` and `now` (successive readings). */
void rt_window_add(struct rt_window *w, const struct rt_memstats *prev, const struct rt_memstats *now);
#endif
