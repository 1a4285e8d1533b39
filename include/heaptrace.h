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

/* What the BPF handler does with a hit; one value per runtime function family. */
enum ht_handler {
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
	HT_H_MAP_GROW,
};

/* Per-point hit counter value (per-CPU array indexed by point). */
struct ht_point_hits {
	__u64 hits;
};

#endif /* HEAPTRACE_H */
