/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Names the chain the holder search found, root first, as a Go programmer
 * would write it: `main.reg.byID`, `main.shards[2].idx`, `main.nested["hot"]`,
 * `goroutine 7 main.worker`; in a stripped program the global is named by
 * the functions whose code uses it. Field names and types come from the
 * program's DWARF (the global's type, then each pointer's element type) or
 * from the runtime type an object carries (Go 1.22+: objects over 512 bytes
 * and large spans); what neither says is an offset (`+16`), never a guess.
 * The holding field's type is the map's exact type.
 */
#ifndef HT_HEAP_HOLDER_NAMES_H
#define HT_HEAP_HOLDER_NAMES_H
#include "heap/goheap.h"
#include "heap/holders.h"
#include "heap/type_view.h"
#include "target/target.h"

#define HELD_BY_LEN 256
/* A word this far past an address the code takes is that global's (a
 * field of a global struct, a slice's length). */
#define HOLDER_GLOBAL_NEAR 256
#define STEP_NAME_LEN 96
#define STEP_TYPE_LEN 128
#define STEP_FIELD_LEN 96

enum step_kind { STEP_GLOBAL = 1, STEP_GOROUTINE, STEP_OBJECT, STEP_MAP_VALUE };

/* One node of the chain: a global or a goroutine's frame (the root), a
 * heap object, or a map whose value it is. `field` is where in it the
 * pointer to the next node (or to the map) is. */
struct holder_step {
	uint8_t kind;	   /* enum step_kind */
	uint64_t addr;	   /* the global, the stack word, the object, the outer map */
	uint64_t goid;	   /* STEP_GOROUTINE */
	uint64_t pc;	   /* STEP_GOROUTINE: its frame's code (runtime address) */
	bool ret;	   /* ... a return address */
	char name[STEP_NAME_LEN];   /* the global or the frame's function; "" if none */
	char type[STEP_TYPE_LEN];   /* "" if not known */
	char field[STEP_FIELD_LEN]; /* ".byID", "[2].idx", "[\"hot\"]", "+16"; "" for the node itself */
	char used_by[STEP_NAME_LEN * 2]; /* STEP_GLOBAL of a stripped program: the functions that use it */
};

struct holder_path {
	char held_by[HELD_BY_LEN];
	char map_type[STEP_TYPE_LEN]; /* the map's type as the holding field declares it; "" if not known */
	uint8_t n;
	struct holder_step steps[];   /* root first */
};

const char *step_kind_name(uint8_t kind);

struct holder_namer {
	const struct target *t;
	struct memsrc *mem;
	const struct go_heap *h;
	uint64_t types_base; /* runtime address of moduledata.types, 0 if unknown */
	struct type_ctx tc;  /* the same, for type_view.h */
};

/* In a stripped program: searches the code for the users of the globals
 * that are roots of the paths found (one pass for all), before naming. */
void holder_names_prepare(const struct holder_namer *nm, const struct holder_search *s);
/* The named chain of map i of the search (malloc'ed, free() it), or NULL
 * when the search found no root for it. */
struct holder_path *holder_path_name(const struct holder_namer *nm, const struct holder_search *s, size_t i);
/* The path's text up to step k (0: the root alone), without the
 * goroutine's id: what maps held alike share (pprof frames). */
void holder_path_prefix(const struct holder_path *p, size_t k, char *buf, size_t len);
/* What holds map i directly, in a few words for a breakdown: a global's
 * name, "goroutine main.worker", "main.T objects", "map[K]V values"; "" if
 * none was found. */
void holder_direct(const struct holder_namer *nm, const struct holder_search *s, size_t i, char *buf, size_t len);
#endif
