/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* A Go heap read from outside, as a debugger reads a core: runtime.mheap_'s
 * span list, and objects by address. Everything read is validated; nothing
 * here trusts the target's memory. */
#ifndef HT_HEAP_GOHEAP_H
#define HT_HEAP_GOHEAP_H
#include <stdbool.h>
#include <stdint.h>
#include <linux/types.h>
#include "heaptrace.h"
#include "heap/memsrc.h"
#include "util/monotonic.h"
#include "gotables/runtime_layout.h"

struct go_span {
	uint64_t start, size;	   /* [start, start+size): npages * 8 KiB */
	uint64_t elemsize;	   /* object size; == size for a large object */
	uint64_t largetype;	   /* a large object's *_type (Go 1.22+), 0 if unknown */
	uint64_t freeindex, nelems, allocbits;
	uint64_t gcmarkbits;	   /* the last GC's marks, until the span is swept */
	uint64_t self;		   /* the runtime.mspan itself, to re-read it later */
	uint32_t sweepgen;
	uint8_t spanclass;
};

/*
 * Which of a span's objects are live: those the last GC marked, or
 * allocated since. A span the sweeper has done (or that holds new
 * allocations) says it with its allocation bits and freeindex; one that
 * awaits the sweep still has the dead objects of the last cycle in its
 * allocation bits, and only its mark bits (gcmarkBits, and from Go 1.26 the
 * inline marks at the end of a small-object span's page) tell them apart.
 */
enum span_liveness {
	SPAN_LIVE_ALLOC, /* swept: allocation bits and freeindex */
	SPAN_LIVE_MARKS, /* awaiting the sweep: the last GC's marks */
	SPAN_LIVE_BOTH,	 /* being swept, or a generation heaptrace does not know: either says live */
};
struct span_live {
	enum span_liveness how;
	uint64_t bits;	  /* the bitmap to read: allocBits, or gcmarkBits */
	uint64_t alloc;	  /* SPAN_LIVE_BOTH: allocBits as well */
	uint64_t inline_marks; /* 0, or the address of the marks at the end of the page */
	size_t len;	  /* bytes of each bitmap */
};

struct go_object {
	uint64_t start, size, type; /* type: the span's largeType, 0 if unknown */
	bool noscan;		    /* its span holds objects without pointers */
	bool header;		    /* it has a malloc header (its type, go_heap_object_type) */
};

struct go_heap {
	struct memsrc *mem;
	const struct go_layout *L;
	uint64_t mheap;		   /* runtime address of runtime.mheap_ */
	struct go_span *spans;	   /* in-use spans, by start address */
	size_t nspans;
	uint64_t in_use_bytes;
	uint32_t sweepgen;	   /* mheap_.sweepgen at the load */
	bool sweepgen_known;
	bool truncated;		   /* the time bound (or over_limit) cut the span list short */
	bool over_limit;	   /* more spans in use than heaptrace keeps of one walk */
};


/* Is `addr` runtime.mheap_? Reads its span list's header and first spans. */
bool go_heap_is_mheap(struct memsrc *mem, const struct go_layout *L, uint64_t addr);
/* The same, saying what did not match: the field, its offset in the layout
 * and the value found. `score` grows with every check passed, so that of
 * several candidates the most plausible one can be named. */
struct mheap_check {
	int score;
	char why[200];
};
bool go_heap_check_mheap(struct memsrc *mem, const struct go_layout *L, uint64_t addr, struct mheap_check *c);
/* The index of the first of addr[0..n) (+ bias) that is runtime.mheap_, or
 * -1 with `why` naming the most plausible candidate and what it failed. */
int go_heap_find_mheap(struct memsrc *mem, const struct go_layout *L, const uint64_t *addr, size_t n, uint64_t bias,
		       char *why, size_t len);
/* Reads the in-use spans. deadline_ns: CLOCK_MONOTONIC bound (0: none).
 * On failure nothing is left to free. */
int go_heap_load(struct go_heap *h, struct memsrc *mem, const struct go_layout *L, uint64_t mheap,
		 uint64_t deadline_ns);
void go_heap_free(struct go_heap *h);
const struct go_span *go_heap_span_of(const struct go_heap *h, uint64_t addr);
/* The heap object that starts exactly at addr (in an in-use span, at an
 * object boundary), or false. Does not say whether it is still allocated. */
bool go_heap_object_at(const struct go_heap *h, uint64_t addr, struct go_object *o);
/* The runtime type of an object: a large span's, or read from its malloc
 * header (Go 1.22+); 0 if it carries none or it cannot be read. */
uint64_t go_heap_object_type(const struct go_heap *h, const struct go_object *o);
/* Object i of a small-object span is allocated (allocBits: the bitmap bytes). */
bool go_span_allocated(const struct go_span *s, const uint8_t *allocbits, uint64_t i);
/* Where a span says which of its objects are live (see enum span_liveness). */
void go_span_live_plan(const struct go_heap *h, const struct go_span *s, struct span_live *lv);
/* Is object i live, given the bytes read at lv->bits (and lv->alloc, and the
 * 63 bytes at lv->inline_marks; NULL where the plan has none)? */
bool go_span_live(const struct go_span *s, const struct span_live *lv, const uint8_t *bits, const uint8_t *alloc,
		  const uint8_t *inline_marks, uint64_t i);
/* How many objects of a span are live, and whether object i is, read from
 * the target in one call per span (what the heap walk's readers share). */
struct span_bits {
	struct span_live lv;
	uint8_t *bits, *alloc, inline_marks[64];
	bool ok;
};
/* Adds the ranges that read s's liveness to r (at most 3); returns how many. */
size_t go_span_bits_ranges(const struct go_heap *h, const struct go_span *s, struct span_bits *b, struct memrange *r);
/* After the ranges were read: whether they all were (b->ok). */
void go_span_bits_done(struct span_bits *b, const struct memrange *r, size_t n);
bool go_span_bits_live(const struct go_span *s, const struct span_bits *b, uint64_t i);
void go_span_bits_free(struct span_bits *b);
/* Are the objects at addr[i], each found earlier in the span whose mspan is
 * at span[i], still allocated? Re-reads those spans and their alloc bits in
 * two batches, without loading the heap. live[i]: 1 allocated, 0 freed (the
 * span was freed or now holds other objects, or the slot is free), -1 unknown
 * (span[i] is 0 or could not be read). */
void go_objects_allocated(struct memsrc *mem, const struct go_layout *L, const uint64_t *span,
			  const uint64_t *addr, size_t n, int8_t *live);
#endif
