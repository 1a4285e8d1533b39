/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Everything that crosses the kernel/user boundary: BPF programs and the CLI
 * both include this file and nothing here is declared anywhere else.
 * Only fixed-width kernel types, constants and enums.
 */
#ifndef HEAPTRACE_H
#define HEAPTRACE_H

/* Attach points (function entries and RET instructions) one run may use.
 * The BPF cookie of each uprobe is its point index in [0, HT_MAX_POINTS). */
#define HT_MAX_POINTS 256

/* How often the runtime calls a probed function, and so what it costs. */
enum ht_tier {
	HT_TIER_COLD = 0, /* per GC cycle, scavenger pass, heap growth */
	HT_TIER_WARM = 1, /* per map growth */
	HT_TIER_HOT = 2,  /* per map operation or allocation: opt-in only */
};

/* What the BPF handler does with a hit; one value per runtime function family.
 * The handler's arguments a0..a3 are the integer arguments the probe table
 * lists for the function, in that order. */
enum ht_handler {
	HT_H_GC_CYCLE = 0,      /* gcMarkTermination: once per completed cycle */
	HT_H_GC_START = 1,
	HT_H_STW_STOP,
	HT_H_STW_START,
	HT_H_SYS_UNUSED,
	HT_H_SYS_USED,
	HT_H_SYS_HUGEPAGE,
	HT_H_HEAP_GROW,
	HT_H_SCAVENGE,
	HT_H_SCAVENGER_RUN,
	HT_H_FREE_OS_MEMORY,
	HT_H_MAP_GROW,		/* a0 = the map header, a1 = its map type */
	HT_H_MAP_ASSIGN,	/* hot: a0 = the map header */
	HT_H_COUNT,
};

/* Per-point hit counter value (per-CPU array indexed by point). */
struct ht_point_hits {
	__u64 hits;
};

#define HT_POINT_ARGS 4

/* What user space tells BPF about each point (array indexed by point). */
struct ht_point_info {
	__u32 handler;	/* enum ht_handler */
	__u32 exit;	/* 1 on a RET instruction, 0 at the function's attach point */
	__u8 arg_reg[HT_POINT_ARGS]; /* register-ABI position of a0..a3 */
};

/* log2 histograms of nanoseconds: slot i counts values in [2^i, 2^(i+1)). */
#define HT_HIST_SLOTS 40
struct ht_hist {
	__u64 count, sum_ns, max_ns;
	__u64 slots[HT_HIST_SLOTS];
};

/* madvise advice values are small (MADV_DONTNEED 4, MADV_FREE 8,
 * MADV_HUGEPAGE 14, MADV_COLLAPSE 25); larger ones share the last slot. */
#define HT_MAX_ADVICE 32

enum ht_hist_id {
	HT_HIST_STW = 0,	   /* world stopped -> world restarted */
	HT_HIST_SCAVENGE,	   /* (*pageAlloc).scavenge */
	HT_HIST_SCAVENGER_RUN,	   /* background scavenger pass */
	HT_HIST_FREE_OS_MEMORY,	   /* debug.FreeOSMemory */
	HT_HIST_HEAP_GROW,	   /* (*mheap).grow */
	HT_HIST_MADVISE,	   /* + advice: madvise syscall latency */
	HT_HIST_COUNT = HT_HIST_MADVISE + HT_MAX_ADVICE,
};

enum ht_counter {
	HT_C_GC_CYCLES = 0,
	HT_C_STW,
	HT_C_UNUSED_CALLS,	/* sysUnusedOS: pages handed back */
	HT_C_UNUSED_BYTES,
	HT_C_USED_CALLS,	/* sysUsedOS: released pages taken back */
	HT_C_USED_BYTES,
	HT_C_HUGEPAGE_BYTES,
	HT_C_HEAP_GROW_CALLS,
	HT_C_HEAP_GROW_BYTES,
	HT_C_SCAVENGED_BYTES,	/* (*pageAlloc).scavenge results */
	HT_C_MAP_GROWS,
	HT_C_MAP_ASSIGNS,	/* hot tier, --hot */
	HT_C_LOST_EVENTS,	/* ring buffer full */
	HT_C_UNPAIRED_EXITS,	/* an exit whose entry was not seen (attached mid-call) */
	HT_C_MADVISE_CALLS,	/* + advice */
	HT_C_MADVISE_BYTES = HT_C_MADVISE_CALLS + HT_MAX_ADVICE,   /* + advice, successful calls */
	HT_C_MADVISE_ERRORS = HT_C_MADVISE_BYTES + HT_MAX_ADVICE,  /* + advice */
	HT_C_COUNT = HT_C_MADVISE_ERRORS + HT_MAX_ADVICE,
};

/* Go's page size (runtime.pageSize), for (*mheap).grow's npage. */
#define HT_GO_PAGE_SIZE 8192

enum ht_event_kind {
	HT_EV_STW = 1,	   /* a0 reason (Go 1.21+), dur */
	HT_EV_MADVISE,	   /* a0 addr, a1 len, a2 advice, ret, dur */
	HT_EV_SCAVENGE,	   /* a0 bytes released, dur */
	HT_EV_HEAP_GROW,   /* a0 bytes grown, a1 bytes asked for, dur */
	HT_EV_FREE_OS_MEMORY, /* dur */
	HT_EV_MAP_GROW,	   /* struct ht_map_event */
	HT_EV_MAP_ASSIGN,  /* a0 map header (hot tier: one record per assignment) */
};

/* The one record that crosses the ring buffer. */
struct ht_event {
	__u64 ts_ns;
	__u64 dur_ns;
	__u64 a0, a1, a2;
	__s64 ret;
	__u32 kind;
	__u32 tid;
};

/* A map growth: which map, its type and entry count, and the user stack
 * (frame pointers) that grew it. e.a0 = map header, e.a1 = map type,
 * e.a2 = entries, e.ret = bytes of stack[] filled. */
#define HT_STACK_DEPTH 32
struct ht_map_event {
	struct ht_event e;
	__u64 stack[HT_STACK_DEPTH];
};

#endif /* HEAPTRACE_H */
