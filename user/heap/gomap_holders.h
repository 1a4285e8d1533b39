/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * What a heap walk adds to the maps it found: who holds each followed map
 * (the holder search, named), the type the holding field declares, and the
 * small maps' summary by type and by holder. The walk hands every map it
 * parses to walk_collect_maps(); map_holders_finish() runs after the scan,
 * within what is left of the walk's time.
 */
#ifndef HT_HEAP_GOMAP_HOLDERS_H
#define HT_HEAP_GOMAP_HOLDERS_H
#include "heap/gomap_tracker.h"
#include "heap/holder_roots.h"

/* Small maps whose direct holder is looked for, and table objects indexed,
 * at most. */
#define SMALL_HOLDERS_MAX (1u << 14)
#define MAP_TABLES_MAX (1u << 19)

struct walk_collect;

struct walk_collect *walk_collect_new(struct map_tracker *mt, const struct go_heap *h);
/* Every map the scan parsed; `small` says which are summed rather than followed. */
void walk_collect_maps(struct walk_collect *c, const struct go_map *maps, size_t n, const bool *small);
/* Searches the holders from `roots` (read at the walk's start), names
 * them, fills mt->small; frees c. */
void map_holders_finish(struct walk_collect *c, const struct holder_roots *roots, uint64_t deadline_ns);
/* Frees c without searching (the walk failed). */
void walk_collect_free(struct walk_collect *c);
#endif
