/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* Go maps read from a target's heap: which objects are map headers, how much
 * table memory each holds, and how much a fresh map with the same entries
 * would need. Bucket maps (runtime.hmap, Go 1.18-1.23) and Swiss tables
 * (internal/runtime/maps.Map, Go 1.24+). */
#ifndef HT_HEAP_GOMAP_PARSE_H
#define HT_HEAP_GOMAP_PARSE_H
#include <stdbool.h>
#include <stdint.h>
#include "heap/goheap.h"

struct go_map {
	uint64_t addr;	       /* the header */
	uint64_t seed, table;  /* identity: hash seed and table pointer as first read */
	uint64_t old;	       /* bucket maps: the old table while growing, else 0 */
	uint64_t live;	       /* entries now */
	uint64_t table_bytes;  /* heap memory the map's tables hold */
	uint64_t needed_bytes; /* what a fresh map with `live` entries would take */
	uint64_t slot_bytes;   /* bucket (or group) size: exact with a type, else estimated */
	uint64_t type;	       /* bucket/group *_type from the span, 0 if unknown */
	/* One table array as the heap holds it, to match the binary's map
	 * types against when the span gives no type: its buckets or groups,
	 * the object's size and whether its span is noscan. */
	uint64_t array_units, array_bytes;
	bool array_noscan;
	uint64_t hdr_span;     /* the runtime.mspan holding the header, 0 if not a heap object */
	uint32_t tables;       /* Swiss: distinct tables; buckets: 1 << B */
	uint64_t sample;       /* the start of its (first) table's slots: read to see entries replaced */
	uint64_t capacity;     /* slots: 8 per bucket of 2^B, the Swiss tables' capacities, 8 for a small map */
	/* The fewest entries the map must have held for its tables to reach
	 * their size by growing (0: nothing implied). A size hint given to
	 * make() also makes a large table at once: a lower bound, then, only
	 * for maps that grew. */
	uint64_t implied_peak;
	bool swiss;
	/* Swiss: read whole, but its tables' counts did not add up to the
	 * header's: a map being written while read (an insert or a delete
	 * between the two reads), or not a map at all. */
	bool counts_moving;
};

/* What a bucket map of 2^B buckets held to grow there: it doubles when an
 * insert would put more than L's load factor (6.5, or 6 in Go 1.21) entries
 * per bucket (overLoadFactor). */
uint64_t bucket_map_implied_peak(const struct go_layout *L, unsigned b);
/* What a Swiss table of `capacity` slots held to grow there: it doubles
 * when full at 7/8; a 16-slot table follows a full 8-slot group. */
uint64_t swiss_table_implied_peak(uint64_t capacity);

/* Parses the bucket-map header `hdr` (L->hmap_size bytes) read at addr;
 * false if it is not a plausible live map with a table. */
bool gomap_parse_buckets(const struct go_heap *h, uint64_t addr, const uint8_t *hdr, struct go_map *m);

/* Swiss maps need the directory and tables behind each header: parse all
 * headers first, then finish them in batches (few reads for many maps).
 * ok[i] says whether maps[i] survived; one that failed only because its
 * counts moved (counts_moving) is filled in all the same. */
bool gomap_parse_swiss_header(const struct go_heap *h, uint64_t addr, const uint8_t *hdr, struct go_map *m);
/* A Swiss header that did not parse only because its directory is not in
 * the span table h loaded: a map whose directory was replaced (it split)
 * after that load, to read again against a newer one. Directories only: a
 * small map's group is left to the next walk. */
bool gomap_swiss_dir_newer(const struct go_heap *h, const uint8_t *hdr);
void gomap_finish_swiss(const struct go_heap *h, struct go_map *maps, bool *ok, size_t n);

/* Each table object of the Swiss maps (their groups' arrays; a small
 * map's group and a directory are m->table already), for the holder
 * search: fn(ctx, map, lo, hi) per table, read in two batches. */
void gomap_swiss_groups(const struct go_heap *h, const struct go_map *maps, size_t n,
			void (*fn)(void *ctx, const struct go_map *m, uint64_t lo, uint64_t hi), void *ctx);
/* The table memory of a fresh map holding `live` entries (what makemap with
 * that hint allocates), given the bucket or group size. */
uint64_t bucket_map_needed_bytes(const struct go_layout *L, uint64_t live, uint64_t bucket_bytes);
uint64_t swiss_map_needed_bytes(uint64_t live, uint64_t group_bytes);
/* Smallest B that holds `live` entries without growing (overLoadFactor). */
unsigned bucket_map_b_for(const struct go_layout *L, uint64_t live);
#endif
