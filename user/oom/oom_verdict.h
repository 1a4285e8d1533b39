/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Why the OOM killer's victim had grown, in words (oom.verdict): from the
 * memory the limit counted at the kill, split into the Go heap in use, the
 * Go heap free but not returned to the OS, and the rest (memory that is
 * not the Go heap's: stacks, runtime metadata, cgo and C allocations,
 * mapped files, other processes or page cache in the same cgroup). The
 * largest part decides. Pure: the caller gathers the figures.
 */
#ifndef HT_OOM_OOM_VERDICT_H
#define HT_OOM_OOM_VERDICT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum oom_verdict_kind {
	OOM_VERDICT_UNKNOWN = 0,   /* the runtime's page accounting was never read */
	OOM_VERDICT_LIVE_HEAP,	   /* live heap growth */
	OOM_VERDICT_FREE_HEAP,	   /* free heap not yet released */
	OOM_VERDICT_NOT_GO,	   /* memory that is not the Go heap's */
};

/* Heap figures this old at the kill may have missed its last growth: the
 * verdict says so. */
#define OOM_VERDICT_STALE_NS (250ull * 1000000ull)

/* The maps named in a live-heap verdict, largest table first. */
#define OOM_VERDICT_MAPS 3

struct oom_verdict_map {
	const char *type;	/* NULL: not known */
	const char *site;	/* the code that grew it or the global that holds it; NULL: not known */
	uint64_t table_bytes;
	uint64_t grows;		/* growths seen while traced */
};

struct oom_verdict_in {
	/* the memory the limit counted at the kill (the cgroup's limit when it
	 * was reached, else its usage), else the process's RSS */
	bool have_total;
	uint64_t total;
	const char *total_what;	/* after "of the 160 MiB ": "that reached the memory cgroup's limit"... */
	bool have_heap;		/* the runtime's page accounting */
	uint64_t heap_in_use, heap_free; /* HeapInuse; free, not returned to the OS */
	/* the followed maps: maps_known when every map is (the heap was walked,
	 * or traced from the start); the largest ones */
	bool maps_known;
	uint64_t maps_table_bytes;
	size_t nmaps;
	struct oom_verdict_map maps[OOM_VERDICT_MAPS];
	uint64_t age_ns;	/* how old the heap figures were at the kill */
};

struct oom_verdict {
	enum oom_verdict_kind kind;
	uint64_t in_use, free, other; /* the three parts of the total */
	char text[1024];
};

void oom_verdict_decide(const struct oom_verdict_in *in, struct oom_verdict *out);
/* "live_heap_growth", "free_heap_not_released", "not_go_memory", "unknown" */
const char *oom_verdict_kind_name(enum oom_verdict_kind k);
/* "160 MiB" for whole MiB (as a limit is written), else "160.5 MiB". */
const char *oom_bytes(char *buf, size_t len, uint64_t b);
#endif
