/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* The runtime's own page accounting (memstats.heapStats), read from the
 * target's memory: what /memory/classes/heap/free:bytes and
 * /memory/classes/heap/released:bytes report inside the program. */
#ifndef HT_HEAP_PAGE_STATS_H
#define HT_HEAP_PAGE_STATS_H
#include <stdbool.h>
#include <stdint.h>
#include "heap/memsrc.h"
#include "heap/runtime_globals.h"
#include "gotables/runtime_layout.h"
#include "target/target.h"

struct heap_stats {
	uint64_t committed, released, free_unreleased, in_heap;
};

struct heapstats_reader {
	struct memsrc mem;
	const struct go_layout *L;
	uint64_t addr; /* runtime address of memstats.heapStats; 0 until found */
	const char *how;
	const struct target *t;
	struct global_candidates candidates;
};

void heapstats_open(struct heapstats_reader *r, const struct target *t);
/* Finds memstats.heapStats if not yet found, then reads it. False when it
 * cannot (not found yet: a launched program before its runtime starts). */
bool heapstats_read(struct heapstats_reader *r, struct heap_stats *out);
/* Sums the three generations of heapStatsDelta (raw bytes of 3 * hsd_size)
 * and checks that the result is page accounting; false if not. */
bool heapstats_decode(const struct go_layout *L, const uint8_t *raw, struct heap_stats *out);
#endif
