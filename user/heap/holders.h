/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Who points here: the reverse references that hold a set of map headers
 * alive, found by scanning what the heap walk reads (the live objects of
 * the spans that hold pointers), the program's global variables and its
 * goroutines' frames for pointers to them, as viewcore and goref do on a
 * core, but on a live process and without stopping it.
 *
 * Pass k looks for pointers to the objects found in pass k-1, so that
 * each map gets the shortest chain from a root (a global, a goroutine's
 * frame) to its header. A pointer from a map's table is the value of that
 * map (the caller says which objects are tables): the search goes on from
 * the map's header, not from its table's internals. Everything is bounded:
 * the nodes, the references kept per node, the depth, and the time.
 */
#ifndef HT_HEAP_HOLDERS_H
#define HT_HEAP_HOLDERS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "heap/goheap.h"

#define HOLDER_REFS 4		/* references kept per node */
#define HOLDER_MAX_DEPTH 8	/* passes over the heap */
#define HOLDER_MAX_NODES (1u << 17)
#define HOLDER_NONE UINT32_MAX
#define HOLDER_FAR 0xff		/* no root known through a node's references */

/* Memory that is not the heap's and may hold pointers: a range of the
 * program's global variables, or one frame of a goroutine's stack. */
enum root_kind { ROOT_GLOBAL = 1, ROOT_STACK };
struct root_range {
	uint64_t lo, hi;     /* runtime addresses */
	enum root_kind kind;
	uint64_t goid, pc;   /* ROOT_STACK: the goroutine, its frame's code (runtime address) */
	bool ret;	     /* ROOT_STACK: pc is a return address (every frame but the innermost) */
	const uint8_t *mem;  /* its bytes already read (stacks), or NULL: read by the search */
};

/* A table object of a map the walk found: a pointer held there is a value
 * (or key) of that map. */
struct map_table {
	uint64_t lo, hi;     /* the table object */
	uint64_t header;     /* the map */
};

enum ref_kind {
	REF_GLOBAL = 1,	 /* a word of a global: roots[root] */
	REF_STACK,	 /* a word of a goroutine's frame: roots[root] */
	REF_MAP_VALUE,	 /* a slot of the map at nodes[node]: its table object [tab_lo, tab_hi) */
	REF_OBJECT,	 /* a word of the heap object at nodes[node] */
};

struct holder_ref {
	uint8_t kind;	     /* enum ref_kind */
	uint32_t node, root; /* HOLDER_NONE where it does not apply */
	uint64_t at;	     /* the word holding the pointer */
	uint64_t tab_lo, tab_hi;
};

struct holder_node {
	uint64_t lo, hi;     /* the object as the program sees it; a map: its header [addr, addr+1) */
	uint64_t type;	     /* the runtime type it carries (malloc header, large span), 0 if none */
	bool is_map;
	uint8_t depth, nrefs;
	uint8_t dist;	     /* references to the nearest root, HOLDER_FAR for none */
	uint8_t gdist;	     /* ... to the nearest global */
	struct holder_ref refs[HOLDER_REFS];
};

/* What the caller knows that the search does not: references it must not
 * follow (the runtime's own structures keep stale words that look like
 * pointers: register spills, GC work queues). NULL functions: none. */
struct holder_filter {
	bool (*skip_type)(void *ctx, uint64_t type);	/* an object of this runtime type */
	bool (*skip_global)(void *ctx, uint64_t at);	/* a word of a global at this address */
	void *ctx;
};

struct holder_search {
	struct holder_node *nodes; /* the maps asked about first, in their order */
	size_t n, cap, nmaps;
	const struct root_range *roots;
	size_t nroots;
	const struct holder_filter *filter;
	unsigned passes;
	bool truncated;	     /* the deadline cut it short */
	bool over_limit;     /* HOLDER_MAX_NODES reached */
	uint64_t bytes, ns;  /* memory scanned, time taken */
};

/* Finds who holds each of maps[0..nmaps) (header addresses). tables:
 * sorted by lo, the walk's map tables (may be NULL). max_depth: passes
 * at most (1: who holds each map directly). deadline_ns: CLOCK_MONOTONIC
 * (0: none). Fills s (which refers to roots: keep them); holders_free()
 * after, also on failure. */
int holders_find(const struct go_heap *h, const uint64_t *maps, size_t nmaps, const struct root_range *roots,
		 size_t nroots, const struct map_table *tables, size_t ntables, unsigned max_depth,
		 const struct holder_filter *filter, uint64_t deadline_ns, struct holder_search *s);
void holders_free(struct holder_search *s);
/* The shortest chain from a root to map i: refs root first (out[0] is a
 * REF_GLOBAL or REF_STACK one), the last one holds the map. 0 when no root
 * was found. */
size_t holders_path(const struct holder_search *s, size_t i, const struct holder_ref **out, size_t max);
#endif
