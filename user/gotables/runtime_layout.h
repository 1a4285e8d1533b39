/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* Where the Go runtime keeps what heaptrace reads from a target's memory:
 * struct offsets per Go version family, and the runtime functions whose code
 * takes the address of the globals heaptrace needs. This table is the only
 * place that knows runtime struct layouts; tests check every entry against
 * the DWARF of binaries built with each supported toolchain. */
#ifndef HT_GOTABLES_RUNTIME_LAYOUT_H
#define HT_GOTABLES_RUNTIME_LAYOUT_H
#include <stddef.h>
#include <stdint.h>

#define GO_ABSENT 0xffff /* the field does not exist in this version */

struct go_layout {
	int min_minor, max_minor; /* Go 1.min .. 1.max inclusive; 0 = unbounded */
	/* runtime.mheap */
	uint32_t mheap_allspans; /* []*mspan */
	uint32_t mheap_sweepgen; /* u32, +2 after every GC */
	/* runtime.mspan */
	uint16_t span_startaddr, span_npages, span_freeindex, span_nelems;
	uint8_t span_index_size; /* freeindex and nelems: 8 bytes up to 1.21, 2 after */
	uint16_t span_allocbits, span_spanclass, span_state, span_elemsize;
	uint16_t span_largetype; /* *_type of a large object's span (1.22+) */
	uint16_t span_size;
	/* liveness: the span's sweepgen (u32) against mheap's, its mark bits;
	 * spans of 16-512-byte objects keep their marks at the end of their
	 * page until swept (Go 1.26's Green Tea GC): runtime.spanInlineMarkBits,
	 * its size and where its marks are (GO_ABSENT before 1.26) */
	uint16_t span_sweepgen, span_gcmarkbits;
	uint16_t inline_marks_size, inline_marks_off;
	/* small objects with pointers larger than this carry an 8-byte type
	 * header before the object (malloc headers, Go 1.22+) */
	uint16_t malloc_header_min;
	/* runtime._type / internal/abi.Type */
	uint16_t type_size, type_ptrbytes, type_str, type_tflag, type_kind;
	/* the kinds' own parts: a struct type's fields (a slice of
	 * structfield {name, typ, offset}), a pointer's, slice's or array's
	 * element, an array's length */
	uint16_t structtype_fields, structfield_size, structfield_name, structfield_typ, structfield_offset;
	uint16_t ptrtype_elem, slicetype_elem, arraytype_elem, arraytype_len;
	/* runtime.g: its stack bounds, the registers saved when it last
	 * stopped (gobuf sp, pc, bp), those saved at a system call, its status
	 * (u32) and id; how much of it heaptrace reads */
	uint16_t g_stack_lo, g_stack_hi, g_sched_sp, g_sched_pc, g_sched_bp, g_syscallsp, g_syscallpc,
		g_atomicstatus, g_goid, g_size;
	/* runtime.moduledata: the type section [types, etypes), typelinks (a
	 * []int32 of offsets from types; GO_ABSENT from 1.27), and gofunc, the
	 * base of every function's funcdata */
	uint16_t md_types, md_etypes, md_typelinks, md_gofunc;
	/* runtime._func: its size (pcdata[] follows, then funcdata[]), its
	 * npcdata (u32) and nfuncdata (u8); runtime.inlinedCall, the
	 * FUNCDATA_InlTree entries: callee name (funcnametab offset), parentPc */
	uint16_t func_size, func_npcdata, func_nfuncdata;
	uint16_t inl_size, inl_nameoff, inl_parentpc;
	/* runtime.mstats: heapStats (consistentHeapStats) holds 3 heapStatsDelta */
	uint16_t mstats_heapstats;
	/* runtime.mstats: the runtime's own GC accounting (debug.ReadGCStats) */
	uint16_t mstats_numgc, mstats_pause_total_ns, mstats_pause_ns, mstats_last_gc_nanotime;
	uint16_t hsd_size, hsd_committed, hsd_released, hsd_inheap, hsd_instacks,
		hsd_inworkbufs, hsd_inptrscalarbits;
	/* heapStatsDelta's allocation counts (/memory/classes/heap/objects is
	 * what was allocated less what was freed): largeAlloc and largeFree
	 * (bytes), smallAllocCount and smallFreeCount ([GO_SIZE_CLASSES]u64) */
	uint16_t hsd_largealloc, hsd_largefree, hsd_smallalloc, hsd_smallfree;
	/* runtime.mstats: the runtime's other mapped memory (sysMemStat, u64),
	 * what /memory/classes/{os-stacks,metadata,profiling,other} add up;
	 * numforcedgc (u32) and gc_cpu_fraction (f64) */
	uint16_t mstats_stacks_sys, mstats_mspan_sys, mstats_mcache_sys, mstats_buckhash_sys,
		mstats_gcmisc_sys, mstats_other_sys, mstats_numforcedgc, mstats_gc_cpu_fraction;
	/* runtime.gcControllerState (runtime.gcController): GOGC (i32), the
	 * memory limit (i64) and what gcController.heapGoal() computes from
	 * (u64 each); its size, for one read */
	uint16_t gcc_gcpercent, gcc_memorylimit, gcc_heapminimum, gcc_gcpercent_heapgoal,
		gcc_sweepdist_mintrigger, gcc_triggered, gcc_heaplive, gcc_heapmarked, gcc_heapfree,
		gcc_totalalloc, gcc_totalfree, gcc_mappedready, gcc_size;
	/* memoryLimitHeapGoal's headroom: a percent of the goal (1.21+;
	 * GO_ABSENT: a fixed amount, 1.19-1.20), never under min_headroom bytes */
	uint16_t gc_limit_headroom_pct;
	uint32_t gc_limit_min_headroom;
	/* the map type's table unit: maptype.bucketsize (u16, bucket maps) or
	 * abi.MapType.GroupSize (u64, Swiss tables) */
	uint16_t maptype_slot_size;
	/* the rest of the map type descriptor: key, elem and bucket/group type
	 * pointers; keysize and elemsize (u8, bucket maps) or SlotSize (u64,
	 * Swiss; 1.27: KeyStride, the same for interleaved groups) */
	uint16_t maptype_key, maptype_elem, maptype_group, maptype_keysize, maptype_elemsize,
		maptype_swiss_slot;
	/* bucket maps grow past bucket_load_num / GO_BUCKET_LOAD_DEN entries a
	 * bucket on average (runtime.loadFactorNum: 13, but 12 in Go 1.21) */
	uint16_t bucket_load_num;
	/* bucket maps: runtime.hmap (up to 1.23) */
	uint16_t hmap_count, hmap_flags, hmap_b, hmap_noverflow, hmap_hash0, hmap_buckets,
		hmap_oldbuckets, hmap_nevacuate, hmap_extra, hmap_size;
	/* Swiss tables: internal/runtime/maps.Map and .table (1.24+) */
	uint16_t smap_used, smap_seed, smap_dirptr, smap_dirlen, smap_globaldepth, smap_size;
	uint16_t stable_used, stable_capacity, stable_index, stable_groups_data,
		stable_groups_lengthmask, stable_size;
};

/* The entry for Go 1.minor, or NULL when heaptrace does not know it. */
const struct go_layout *go_layout_for(int minor);
/* Without an entry: what the user does not get, naming the version (the heap
 * walk says it after "maps that grew before attach are not shown: "). */
void go_layout_missing(int minor, char *buf, size_t len);

/* Runtime functions whose code takes &runtime.mheap_ / &runtime.memstats
 * (NULL-terminated): where a stripped binary's globals are found. */
extern const char *const mheap_referrers[];
extern const char *const memstats_referrers[];
/* ... and &runtime.gcController (GOGC, GOMEMLIMIT, the heap goal). */
extern const char *const gccontroller_referrers[];
/* ... and &runtime.allgs, the slice of every goroutine */
extern const char *const allgs_referrers[];

/* runtime.mSpanState values and span-class arithmetic (all versions). */
#define GO_SPAN_IN_USE 1
#define GO_SPANCLASS_SIZECLASS(sc) ((sc) >> 1)
#define GO_SPANCLASS_NOSCAN(sc) ((sc) & 1)
#define GO_MALLOC_HEADER 8
#define GO_TFLAG_EXTRA_STAR 2 /* the type's name has a leading '*' to drop */
#define GO_TFLAG_NAMED 4      /* a defined type (type T map[K]V) */
#define GO_KIND_MASK 0x1f     /* Kind_ & this; the high bits are flags */
#define GO_KIND_MAP 21
#define GO_KIND_ARRAY 17
#define GO_KIND_INTERFACE 20
#define GO_KIND_POINTER 22
#define GO_KIND_SLICE 23
#define GO_KIND_STRING 24
#define GO_KIND_STRUCT 25
/* runtime goroutine states (runtime2.go, all versions), without _Gscan */
#define GO_G_RUNNABLE 1
#define GO_G_RUNNING 2
#define GO_G_SYSCALL 3
#define GO_G_WAITING 4
#define GO_G_DEAD 6
#define GO_G_PREEMPTED 9
#define GO_G_SCAN 0x1000

/* pclntab indexes, the same 1.18-1.27 (internal/abi/symtab.go) */
#define GO_PCDATA_INLTREEINDEX 2
#define GO_FUNCDATA_INLTREE 3

/* Map implementation constants, the same in every version that has them
 * (abi.MapBucketCount, loadFactorDen; abi.MapGroupSlots, maxAvgGroupLoad,
 * maxTableCapacity); the unit tests check them against DWARF. */
#define GO_BUCKET_SLOTS 8
#define GO_BUCKET_LOAD_DEN 2
#define GO_SWISS_SLOTS 8
#define GO_SWISS_MAX_AVG_LOAD 7
#define GO_SWISS_MAX_TABLE_CAPACITY 1024

/* The GC's constants, the same 1.19-1.27: the number of size classes
 * (_NumSizeClasses, internal/runtime/gc.NumSizeClasses), the entries of the
 * pause history (len(memstats.pause_ns)), defaultHeapMinimum (the GOGC=100
 * heap minimum; 512 KiB with GOEXPERIMENT=heapminimum512kib) and the
 * heap goal's minimum runway over the trigger (heapGoalInternal's minRunway,
 * a local constant DWARF does not have). */
#define GO_SIZE_CLASSES 68
#define GO_PAUSE_HISTORY 256
#define GO_DEFAULT_HEAP_MINIMUM (4u << 20)
#define GO_HEAP_MINIMUM_512KIB (512u << 10)
#define GO_HEAP_GOAL_MIN_RUNWAY (64u << 10)
#endif
