/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* The maps heaptrace follows in one target: found by walking the heap at
 * attach, added when a growth probe fires, re-read every interval. */
#ifndef HT_HEAP_GOMAP_TRACKER_H
#define HT_HEAP_GOMAP_TRACKER_H
#include <stdbool.h>
#include <stdint.h>
#include "heap/gomap_parse.h"
#include "heap/memsrc.h"
#include "heap/runtime_globals.h"
#include "gotables/runtime_layout.h"
#include "target/gomaptypes.h"
#include "target/target.h"

/* Maps holding less than this are summed, not followed one by one: a heap
 * of millions of small maps must not cost heaptrace gigabytes. Growth
 * probes take a stack only for tables of this size. */
#define GOMAP_FOLLOW_MIN_BYTES (32 * 1024)
/* At most this many maps are followed one by one (about 1 KiB each); more
 * are counted in map_tracker.over_limit and said so. */
#define GOMAP_FOLLOW_MAX 16384

#define MAP_TYPE_LEN 160
#define GOMAP_STACK_DEPTH 32
#define MAP_SITE_LEN 320

struct tracked_map {
	struct go_map m;   /* as last read */
	uint64_t peak;	   /* most entries seen: at growth, or read */
	uint64_t low;	   /* fewest entries seen since it was first read */
	uint64_t high;	   /* most entries it is known to have held before `low` */
	uint8_t emptied;   /* times its seed changed: emptied (delete, clear) in between reads */
	bool refilled;	   /* refilled after it fell: a working buffer */
	char type[MAP_TYPE_LEN];
	char site[MAP_SITE_LEN]; /* growth stack frame or global variable */
	uint64_t stack[GOMAP_STACK_DEPTH]; /* the growth's user stack, innermost first (runtime addresses) */
	uint8_t nstack;
	uint64_t grows;	   /* growth probe hits */
	unsigned unreadable; /* reads in a row that did not parse (see gomap_tracker.c) */
	uint8_t seen_free; /* reads in a row that found its slot free (see gomap_tracker.c) */
	bool parsed;	   /* m is valid (a map seen only by its probe is not, until read) */
	uint8_t dirty;	   /* grew: re-parse at this many reads (see gomap_tracker.c) */
	bool freed;	   /* no longer a map: out of the list, still counted */
};

/* What a map's table says about it, in text and JSON (maps[].verdict). */
enum map_verdict {
	MAP_FITS,     /* the table is about what its entries need */
	MAP_RETAINED, /* far larger than its entries need, and they did not come back */
	MAP_REUSED,   /* far larger, but refilled while traced: a working buffer */
};
struct map_totals {
	uint64_t maps, freed, table_bytes, needed_bytes, retained_bytes;
	uint64_t retained_by_verdict[3]; /* retained_bytes split by enum map_verdict */
};

struct map_tracker {
	const struct target *t;
	const struct go_layout *L;
	struct memsrc mem;
	bool swiss;
	struct global_candidates mheap_candidates;
	uint64_t mheap;		 /* runtime address; 0 when the heap cannot be walked */
	const char *mheap_how;	 /* "symbol" or "decoded" */
	uint64_t types_base;
	/* Every map growth path is probed (set by the session): a Swiss header
	 * whose directory is unchanged then has unchanged tables. */
	bool growth_probed;
	char unavailable[256];	 /* why not, when mheap is 0 */
	struct tracked_map *v;
	size_t n, cap;
	uint64_t freed;	     /* maps the GC freed, out of v[] */
	uint64_t over_limit; /* maps not followed: GOMAP_FOLLOW_MAX reached */
	size_t *index, index_cap; /* by address; see gomap_tracker.c */
	/* the walk at attach */
	uint64_t walk_ns, walk_spans, walk_objects, heap_in_use;
	size_t walk_found;
	struct map_totals small; /* maps too small to follow, as the walk found them */
	bool walk_done, walk_truncated;
	bool from_start;	   /* traced from its first instruction: no map predates the probes */
	bool walk_spans_over_limit; /* cut short by the bound on spans kept, not the time */
};

/* Never fails: a heap it cannot walk leaves mheap 0 and says why. */
void map_tracker_open(struct map_tracker *mt, const struct target *t);
void map_tracker_close(struct map_tracker *mt);
/* Walks the heap for the maps already there; bounded by budget_ns. */
int map_tracker_walk(struct map_tracker *mt, uint64_t budget_ns);
/* Re-reads every followed map's header; re-parses those that changed. */
void map_tracker_refresh(struct map_tracker *mt);
/* Each interval: finds runtime.mheap_ if not yet found, then refreshes. */
void map_tracker_tick(struct map_tracker *mt);
/* A growth probe fired for the map at addr: `type` is the map type given to
 * the runtime function (0 if none), `entries` its count as it grew, `stack`
 * the user stack that grew it (innermost first, nframes may be 0). */
void map_tracker_grew(struct map_tracker *mt, uint64_t addr, uint64_t type, uint64_t entries,
		      const uint64_t *stack, size_t nframes);
/* Live maps by retained bytes, largest first: fills out[0..max), returns the count. */
size_t map_tracker_top(const struct map_tracker *mt, const struct tracked_map **out, size_t max);
void map_tracker_totals(const struct map_tracker *mt, struct map_totals *out);
/* Are the totals every map's (walked, or traced from the start)? Until
 * then they are not known: the maps that predate the probes are missing. */
bool map_tracker_complete(const struct map_tracker *mt);
uint64_t tracked_retained(const struct tracked_map *m);

/* Every count read goes through here (`emptied`: its hash seed changed
 * since the last read, which the runtime does when the map becomes empty):
 * the peak, the low point, and whether it was refilled. */
void tracked_observe(struct tracked_map *m, uint64_t live, bool emptied);
enum map_verdict tracked_verdict(const struct tracked_map *m);
const char *map_verdict_name(enum map_verdict v);
/* The most entries the map is known to have held: seen while traced, or
 * implied by its table's size, whichever is larger; *implied says which. */
uint64_t tracked_peak(const struct tracked_map *m, bool *implied);
#endif
