/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* Reads the spans of a loaded heap that a caller wants, with the bits that
 * say which of their objects are live, in large batches of
 * process_vm_readv, a large span in pieces: what the map scan and the holder
 * search both walk over. Bounded in time and in the memory it holds. */
#ifndef HT_HEAP_SPAN_READER_H
#define HT_HEAP_SPAN_READER_H
#include "heap/goheap.h"

struct span_visit {
	/* which spans to read (NULL: every span) */
	bool (*want)(void *ctx, const struct go_span *s);
	/* one piece of a span: mem holds [s->start + off, + len); `live` says
	 * which of its objects are live (go_span_bits_live). Nonzero stops. */
	int (*visit)(void *ctx, const struct go_span *s, uint64_t off, const uint8_t *mem, size_t len,
		     const struct span_bits *live);
	void *ctx;
	uint64_t deadline_ns; /* CLOCK_MONOTONIC, 0: none */
	/* filled in */
	uint64_t spans, bytes, unreadable;
	bool truncated; /* the deadline cut it short */
};

/* Visits the spans in address order. Returns the first nonzero visit()
 * (or -1 out of memory), else 0. */
int go_heap_visit_spans(const struct go_heap *h, struct span_visit *v);
#endif
