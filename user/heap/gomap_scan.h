/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* Finds every map in a Go heap: scans the spans whose objects have a map
 * header's size, keeps allocated objects that parse as a live map. */
#ifndef HT_HEAP_GOMAP_SCAN_H
#define HT_HEAP_GOMAP_SCAN_H
#include "heap/gomap_parse.h"

struct map_scan {
	/* called with each batch of maps found (memory use stays bounded) */
	void (*found)(void *ctx, const struct go_map *maps, size_t n);
	void *ctx;
	uint64_t maps, objects_checked, spans_scanned;
	bool truncated; /* the deadline cut the scan short */
};

/* deadline_ns: CLOCK_MONOTONIC bound, 0 for none. s->found and s->ctx are
 * set by the caller; the counts are filled in. */
int map_scan(const struct go_heap *h, bool swiss, uint64_t deadline_ns, struct map_scan *s);
/* The map headers in memory already read that is not the heap's: a
 * goroutine's frame, where the compiler puts the header of a map that does
 * not escape (its tables are on the heap). Every aligned word is tried;
 * what passes is a map by the same checks as on the heap. */
int map_scan_memory(const struct go_heap *h, bool swiss, uint64_t base, const uint8_t *mem, size_t len,
		    struct map_scan *s);
#endif
