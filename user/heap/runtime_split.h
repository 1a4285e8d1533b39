/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * What of a process's RSS is the Go runtime's, what is the program file's
 * and what is neither (C allocators of cgo code, C libraries, other
 * mappings): the runtime's memory classes joined with the kernel's view
 * by mapping (rss_split.h). Where the runtime names its mappings (Go 1.25+
 * on kernels with anonymous VMA names) its resident memory is measured
 * there; elsewhere it is what the runtime has mapped and not released,
 * plus what it released that is still resident (LazyFree), which counts
 * pages it never touched as resident too (not_go is then a lower bound).
 */
#ifndef HT_HEAP_RUNTIME_SPLIT_H
#define HT_HEAP_RUNTIME_SPLIT_H
#include <stdbool.h>
#include <stdint.h>
#include "heap/runtime_decode.h"
#include "heap/rss_split.h"

struct rt_memory {
	uint64_t rss;
	uint64_t go_bytes;	/* resident and the Go runtime's */
	bool go_measured;	/* on the runtime's named mappings; else from its accounting,
				 * an upper bound (and not_go_bytes a lower one) */
	uint64_t exe_bytes;	/* the program file's pages and its bss */
	uint64_t not_go_bytes;	/* the rest of RSS */
	/* pages the runtime released that are resident all the same: a lower
	 * bound from the named heap mappings (Go 1.25+), else the process's
	 * LazyFree up to what the runtime released */
	uint64_t released_resident;
	uint64_t released_lazyfree;	/* of it, MADV_FREE's pages not reclaimed yet */
	uint64_t released_huge;		/* of it, not LazyFree, in huge-page-backed heap mappings */
	uint64_t heap_anon_huge;	/* AnonHugePages of the Go heap (named mappings only; else the process's) */
};

/* c: the runtime's classes; ms: its memstats (committed heap); s: smaps. */
void rt_memory_split(const struct rt_classes *c, const struct rt_memstats *ms, const struct rss_split *s,
		     struct rt_memory *out);
#endif
