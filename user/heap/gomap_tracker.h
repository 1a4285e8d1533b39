/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* The maps heaptrace follows in one target: found by walking the heap at
 * attach, added when a growth probe fires, re-read every interval. */
#ifndef HT_HEAP_GOMAP_TRACKER_H
#define HT_HEAP_GOMAP_TRACKER_H
#include <stdbool.h>
#include <stdint.h>
#include "heap/gomap_parse.h"
#include "heap/holder_names.h"
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
/* The heap is walked again (the holders, the small maps' summary) this
 * often when the GC has run since the last walk, within this much time:
 * each interval in a single trace, less often beside many (host mode). */
#define GOMAP_REWALK_NS (30ull * 1000000000ull)
#define GOMAP_REWALK_HOST_NS (120ull * 1000000000ull)
#define GOMAP_REWALK_BUDGET_NS (2ull * 1000000000ull)

#define MAP_TYPE_LEN 160
#define GOMAP_STACK_DEPTH 32
#define MAP_SITE_LEN 320
/* Candidates kept for a map whose type is not known (how many fit is kept too). */
#define TYPE_CANDIDATES 8
#define MAP_LAYOUT_LEN 64

/* Where a map's exact type comes from (maps[].type_source). */
enum type_source {
	TYPE_UNKNOWN,	/* only candidates: type null */
	TYPE_TABLE,	/* the bucket or group type its table's span or malloc header carries */
	TYPE_GROWTH,	/* the map type a growth probe was given */
	TYPE_HOLDER,	/* the type of the field (or variable) that holds it: DWARF or the runtime's */
};

struct tracked_map {
	struct go_map m;   /* as last read */
	uint64_t peak;	   /* most entries seen: at growth, or read (a lower bound of the true peak) */
	uint64_t peak_needed; /* what a fresh map of `peak` entries would take */
	uint64_t low;	   /* fewest entries seen since it was first read */
	uint64_t high;	   /* most entries it is known to have held before `low` */
	uint64_t last;	   /* entries at the read before */
	uint32_t rises, falls; /* reads that found more, or fewer, entries than the one before */
	uint32_t replaced; /* reads that found the slots of its table's start changed, the count and seed not */
	uint64_t sample_hash; /* of those slots at the last read, 0 before */
	uint8_t emptied;   /* times its seed changed: emptied (delete, clear) in between reads */
	bool refilled;	   /* refilled after it fell: a working buffer */
	char type[MAP_TYPE_LEN]; /* its exact type, "" when not known */
	uint8_t type_from; /* enum type_source */
	/* not known: the binary's map types whose tables have this shape, the
	 * first of them, how many in all, and the layout they agree on */
	const struct go_map_type *cand[TYPE_CANDIDATES];
	uint32_t ncand;
	uint64_t key_bytes, elem_bytes; /* 0: the candidates disagree */
	char layout[MAP_LAYOUT_LEN];	/* "16 B key, 8 B value (147 types fit)" */
	char site[MAP_SITE_LEN]; /* the growth stack's frame that grew it */
	struct holder_path *held; /* who holds it, as the last walk found; NULL if not found */
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

/* The maps too small to follow, as the last walk found them, with the
 * types and holders that hold most of their bytes. */
#define SMALL_TOP 10
struct small_group {
	char key[STEP_TYPE_LEN]; /* a type (or its layout), or a holder */
	uint64_t maps, table_bytes, retained_bytes;
};
struct small_summary {
	struct map_totals tot;
	struct small_group by_type[SMALL_TOP], by_holder[SMALL_TOP];
	size_t ntype, nholder;
	uint64_t holders_searched; /* maps whose direct holder was looked for (a bound applies) */
};

/* What the holder search of the last walk did (maps_summary.holders). */
struct holder_stats {
	bool ran;
	uint64_t ns, bytes, found, maps;
	unsigned passes;
	bool truncated, over_limit;
	size_t goroutines, goroutines_not_walked;
	char why_no_goroutines[160];
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
	struct small_summary small; /* maps too small to follow, as the last walk found them */
	struct holder_stats holders;
	uint64_t allgs;		   /* runtime.allgs, once found */
	unsigned walks;
	/* re-walks: every rewalk_ns (0: never) when the GC ran since the last */
	uint64_t rewalk_ns, rewalk_budget_ns, last_walk_at;
	uint32_t walk_sweepgen;
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
/* The most entries heaptrace saw the map hold: a lower bound of its peak
 * (a table's size does not prove its entries: a size hint, or deleted
 * slots in a Swiss table, make it large too). */
uint64_t tracked_peak(const struct tracked_map *m);
/* Its tables' slots (maps[].capacity). */
uint64_t tracked_capacity(const struct tracked_map *m);
/* Its count rose and fell between reads without emptying: a cache that
 * evicts while it inserts, or a map in use. */
bool tracked_churns(const struct tracked_map *m);
/* What a reader is shown for its type: the exact type, or the layout. */
const char *tracked_type_text(const struct tracked_map *m);
const char *type_source_name(enum type_source s);
#endif
