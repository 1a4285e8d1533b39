/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Everything that crosses the kernel/user boundary: BPF programs and the CLI
 * both include this file and nothing here is declared anywhere else.
 * Only fixed-width kernel types, constants and enums.
 */
#ifndef HEAPTRACE_H
#define HEAPTRACE_H
/* BPF code has the kernel's types from vmlinux.h; user space from the UAPI. */
#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/* Attach points (function entries and RET instructions). Each executable's
 * plan has up to HT_EXE_POINTS of them, at cookies exe * HT_EXE_POINTS +
 * slot; executable 0 is heaptrace itself (timing a hit, hit_cost.c). The
 * point_info array is sized by user space for the executables it traces. */
#define HT_EXE_POINTS 64
#define HT_PLAN_POINTS HT_EXE_POINTS

/* How often the runtime calls a probed function, and so what it costs. */
enum ht_tier {
	HT_TIER_COLD = 0, /* per GC cycle, scavenger pass, heap growth */
	HT_TIER_WARM = 1, /* per growth of a large map table */
	HT_TIER_HOT = 2,  /* per map operation or allocation: opt-in only */
	/* Points that only time calls whose counts cold points give exactly
	 * (runtime.madvise's entry and RETs, which the kernel single-steps):
	 * attached a part of the time (trace/sampling.h). Never a table's
	 * tier, a point's. */
	HT_TIER_SAMPLED = 3,
};
#define HT_TIERS 4

/* What the BPF handler does with a hit; one value per runtime function family.
 * The handler's arguments a0..a3 are the arguments the probe table lists for
 * the function, in that order. */
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
	HT_H_MADVISE,		/* runtime.madvise: a0 addr, a1 length, a2 advice; at its
				 * calls (counts) or its entry and RETs (latency) */
	HT_H_COUNT,
};

/* A point's hits in one process (ht_figures.points, by slot). */
struct ht_point_count {
	__u64 hits;	 /* every time the instruction ran: what the target paid */
	__u64 restarts;	 /* of which, passes on the way to morestack (see below) */
	__u64 work_ns;	 /* the handlers' time, measured where they ran: in the target,
			  * with its caches and its stacks (the overhead estimate) */
};

#define HT_POINT_ARGS 4
/* Where an argument is: a register-ABI position (0..8 on amd64, 0..15 on
 * arm64), a stack slot of an ABI0 (assembly) function at entry, or nowhere. */
#define HT_ARG_ABSENT 0xff
#define HT_ARG_STACK 0x80 /* | n: the 8-byte word at SP + 8 + 8n (amd64) */

/*
 * A probe on a function's stack-bound check branch is passed twice when the
 * goroutine's stack must grow: once on the way to morestack, then again when
 * the function restarts from its entry. The saved flags of the comparison
 * say which way the branch goes; this says how to read them.
 */
enum ht_morestack_cond {
	HT_MORESTACK_NONE = 0,	/* not a stack-check branch */
	HT_MORESTACK_X86_BE,	/* jbe/jna morestack: taken if CF or ZF */
	HT_MORESTACK_X86_B,	/* jb/jc morestack: taken if CF */
	HT_MORESTACK_ARM64_LS,	/* b.ls morestack: taken if !C or Z */
	HT_MORESTACK_ARM64_LO,	/* b.lo/b.cc morestack: taken if !C */
};

/* What user space tells BPF about each point (array indexed by point). */
struct ht_point_info {
	__u32 handler;	/* enum ht_handler */
	__u8 exit;	/* 1 on a RET instruction, 0 at the function's attach point */
	__u8 morestack; /* enum ht_morestack_cond of the attach point */
	__u8 arg[HT_POINT_ARGS]; /* where a0..a3 are (HT_ARG_*) */
	__u8 tier;	/* enum ht_tier */
	__u8 flags;	/* HT_POINT_* */
};

/* ht_point_info.flags */
#define HT_POINT_CALLSITE 1 /* a call of the probed function: its ABI0 stack
			     * arguments are at SP + 8n (no return address yet) */
#define HT_POINT_COUNTS 2   /* an exit that counts the call (no call sites) */

/* log2 histograms of nanoseconds: slot i counts values in [2^i, 2^(i+1)). */
#define HT_HIST_SLOTS 40
struct ht_hist {
	__u64 count, sum_ns, max_ns;
	__u64 slots[HT_HIST_SLOTS];
};

/* madvise advice values are small (MADV_DONTNEED 4, MADV_FREE 8,
 * MADV_HUGEPAGE 14, MADV_COLLAPSE 25); larger ones share the last slot. */
#define HT_MAX_ADVICE 32

struct ht_madvise_figures {
	__u64 calls, bytes, errors; /* bytes: of the calls that succeeded */
	struct ht_hist latency;
};

/* madvise calls that did not come through the Go runtime's own wrapper
 * (file mappings, cgo allocators): counted apart from the heap's. */
struct ht_madvise_other {
	__u64 calls, bytes;
};

/*
 * Every figure BPF keeps for one traced process, by name. One value per
 * process in the `figures` map (keyed by tgid): its presence is also what
 * says that a process is traced.
 */
struct ht_figures {
	/* GC and stopping the world */
	__u64 gc_cycles;
	struct ht_hist gc_pause;	/* GC stop-the-world pauses, as the runtime times them */
	struct ht_hist gc_stopping;	/* of each, the time it took to stop the world */
	struct ht_hist other_pause;	/* stops that are not the GC's (ReadMemStats...) */
	struct ht_hist other_stopping;
	/* pages handed back and taken again */
	__u64 unused_calls, unused_bytes;	/* sysUnusedOS */
	__u64 used_calls, used_bytes;		/* sysUsedOS (hot tier) */
	__u64 hugepage_bytes;			/* sysHugePageOS (hot tier) */
	__u64 scavenged_bytes;			/* (*pageAlloc).scavenge results */
	struct ht_hist scavenge, scavenger_run, free_os_memory;
	struct ht_madvise_figures madvise[HT_MAX_ADVICE];
	struct ht_madvise_other madvise_other[HT_MAX_ADVICE];
	/* heap and maps */
	__u64 heap_grow_calls, heap_grow_bytes;
	struct ht_hist heap_grow;
	__u64 map_grows;	/* growth probe hits that passed the size filter */
	__u64 map_grows_small;	/* growth to a table under map_grow_min_bytes: counted only */
	__u64 map_assigns;	/* hot tier, --hot */
	/* the pipeline itself */
	struct ht_point_count points[HT_EXE_POINTS]; /* by slot of the process's plan */
	__u64 lost_records;	/* ring buffer full */
	__u64 unpaired_exits;	/* an exit whose entry was not seen (attached mid-call) */
	/* of the madvise figures, calls made with process_madvise(2) on the
	 * process itself (the syscall-level methods see them) */
	__u64 process_madvise_calls;
	/* counted at the entries: their RETs, which time them, are sampled */
	__u64 scavenge_calls, scavenger_passes;
};

/*
 * What user space found out about a traced process and BPF needs (map of
 * the same name, keyed by tgid). Addresses are the process's own.
 */
#define HT_STW_SITES 2
struct ht_proc_config {
	/* runtime.madvise's code: syscalls made from there are the runtime's */
	__u64 madvise_lo, madvise_hi;
	/* Which stops are the GC's: by stwReason (Go 1.21+; 0 = not passed),
	 * else by the return address of the call to stopTheWorldWithSema */
	__u32 reason_sweep_term, reason_mark_term;
	__u64 gc_stop_sites[HT_STW_SITES];
	/* Go < 1.22: the runtime's own record of each cycle's pauses, from
	 * which the final pause is taken (memstats.numgc, pause_ns[256],
	 * last_gc_nanotime; 0 until memstats is found) */
	__u64 numgc_addr, pause_ring_addr, last_gc_nanotime_addr;
	/* Map growth: record (with a stack) only tables of at least this size */
	__u64 map_grow_min_bytes;
	__u16 map_count_off;	 /* hmap.count / maps.Map.used */
	__u16 hmap_b_off;	 /* bucket maps: hmap.B */
	__u16 map_slot_size_off; /* maptype.bucketsize (u16), or the Swiss map type's GroupSize (u64) */
	__u8 swiss;
	/* Tiers whose handlers do not run for this process (1 << tier):
	 * --max-overhead took them away while the points stay attached for
	 * the other processes of the same file (host mode). */
	__u8 tiers_off;
	/* The executable it runs: the points of its plan are at cookies
	 * exe_slot * HT_EXE_POINTS + i. A hit through another plan's points
	 * (the process executed another traced program) is not counted. */
	__u32 exe_slot;
	__u16 map_seed_off;	 /* hmap.hash0 (u32) / maps.Map.seed (u64): tells one map from the next at an address */
	__u16 pad;
};

enum ht_gc_stop {
	HT_STOP_OTHER = 0,	/* not the GC's: ReadMemStats, GOMAXPROCS, profiles... */
	HT_STOP_GC,		/* the GC's: sweep termination, or a mark restarted */
	HT_STOP_GC_FINAL,	/* the GC's last of a cycle: mark termination */
};

/* Go's page size (runtime.pageSize), for (*mheap).grow's npage. */
#define HT_GO_PAGE_SIZE 8192

/* Ring-buffer records: a header, then the body its kind says. */
enum ht_record_kind {
	HT_REC_PAUSE = 1,	/* struct ht_pause_record */
	HT_REC_MAP_GROW,	/* struct ht_map_grow_record */
	HT_REC_MAP_ASSIGN,	/* struct ht_map_assign_record (hot tier) */
	HT_REC_EXEC,		/* a header alone: process tgid executed a program (--all) */
	HT_REC_OOM_VICTIM,	/* struct ht_oom_record: the OOM killer chose process tgid (oom.bpf.c) */
	HT_REC_OOM_SIGKILL,	/* a header alone: a thread of OOM victim tgid took its SIGKILL */
	HT_REC_OOM_PRESSURE,	/* a header alone: traced process tgid reclaims at its memory cgroup's limit */
};

struct ht_record_header {
	__u64 ts_ns;
	__u32 kind;	/* enum ht_record_kind */
	__u32 tgid;
	__u32 tid;
	__u32 pad;
};

/* One stop of the world. */
struct ht_pause_record {
	struct ht_record_header h;
	__u64 total_ns;		/* from the start of stopping to the world restarted */
	__u64 stopping_ns;	/* of which, stopping: 0 when not measured */
	__u32 reason;		/* runtime.stwReason (Go 1.21+), else 0 */
	__u32 gc;		/* enum ht_gc_stop */
};

/* A map growth: which map, its type and entry count, and the user stack
 * (frame pointers) that grew it. */
#define HT_STACK_DEPTH 32
struct ht_map_grow_record {
	struct ht_record_header h;
	__u64 map, type, entries;
	__u64 capacity;		/* the new table's slots when the probe knows it, else 0 */
	__u32 nframes;
	__u32 pad;
	__u64 stack[HT_STACK_DEPTH];
};

struct ht_map_assign_record {
	struct ht_record_header h;
	__u64 map;
};

/* The OOM killer's choice (oom:mark_victim): h.ts_ns when it chose, h.tgid
 * the victim process (0 on kernels whose tracepoint passes a pid alone:
 * then h.tid is that pid), h.tid the thread the kernel named. With it, the
 * victim's memory cgroup and its parents as the kernel counted them at
 * that moment (page counters, in pages). */
#define HT_OOM_UID_UNKNOWN 0xffffffffu
#define HT_COMM_LEN 16
#define HT_OOM_CG_LEVELS 8
#define HT_CG_NAME_LEN 64
struct ht_oom_memcg {
	__u64 usage, max, watermark, failcnt;	/* memory.usage, .max, .watermark (peak), .failcnt */
	char name[HT_CG_NAME_LEN];		/* its directory's name, "" for the root */
};

struct ht_oom_record {
	struct ht_record_header h;
	__u32 uid;		/* the victim's owner, HT_OOM_UID_UNKNOWN if not passed */
	__u32 killer_tgid;	/* the process whose allocation ran into the limit */
	char comm[HT_COMM_LEN];	/* the victim thread's */
	__u32 cg_levels;	/* cg[] filled: the victim's memory cgroup, then its parents */
	__u32 cg_more;		/* 1: more parents above cg[HT_OOM_CG_LEVELS - 1] */
	struct ht_oom_memcg cg[HT_OOM_CG_LEVELS];
};

#endif /* HEAPTRACE_H */
