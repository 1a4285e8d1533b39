/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * What to change, with a value and how it was derived, from figures alone
 * (pure functions; the unit tests feed them figures):
 *  - gomemlimit: a process under a cgroup memory limit with no GOMEMLIMIT
 *    (the GC does not see the limit coming; the kernel OOM-kills first), a
 *    GOMEMLIMIT above what the cgroup leaves it, or one below what the live
 *    heap needs (the GC runs back to back, golang/go#58106). The value leaves
 *    room for the memory GOMEMLIMIT does not govern (not Go's, the program
 *    file) and a headroom of 10% of the cgroup limit.
 *  - madvdontneed: pages the runtime released with MADV_FREE still resident
 *    (LazyFree) -- GODEBUG=madvdontneed=1.
 *  - thp: released pages resident again in huge pages (khugepaged collapsed
 *    them back) -- GODEBUG=disablethp=1, or the kernel's max_ptes_none.
 */
#ifndef HT_REPORT_ADVICE_H
#define HT_REPORT_ADVICE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "heap/runtime_split.h"
#include "target/buildinfo.h"

/* Advice needs at least this much at stake. */
#define ADVICE_MIN_BYTES (16ull << 20)
#define ADVICE_HEADROOM_PCT 10

struct advice_in {
	struct go_version ver;
	bool have_settings;		/* gogc .. non_heap */
	int32_t gogc;			/* -1: off */
	int64_t gomemlimit;		/* INT64_MAX: none */
	uint64_t heap_marked;		/* the live heap after the last collection */
	uint64_t non_heap;		/* runtime memory that is neither heap objects nor free heap */
	bool have_memory;		/* mem */
	struct rt_memory mem;
	uint64_t heap_released;
	bool have_cgroup;
	uint64_t cgroup_limit;		/* 0: none */
	int thp_max_ptes_none;		/* -1: unknown */
	const char *thp_enabled;	/* "always", "madvise", "never" or NULL */
};

struct advice {
	const char *kind;	/* "gomemlimit", "madvdontneed", "thp" */
	uint64_t value;		/* bytes: the GOMEMLIMIT to set, or the resident bytes at stake */
	char text[768];
};

#define ADVICE_MAX 4
/* Fills out[] (at most max); returns how many. */
size_t advice_compute(const struct advice_in *in, struct advice *out, size_t max);
/* The GOMEMLIMIT that leaves room under a cgroup limit for what it does
 * not govern (not_go, exe) and the headroom; 0 when nothing is left. */
uint64_t advice_limit_for_cgroup(uint64_t cgroup_limit, uint64_t not_governed);
#endif
