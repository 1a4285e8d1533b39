// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <stddef.h>
#include <stdio.h>
#include "gotables/runtime_layout.h"
#include "gotables/runtime_probes.h"

/* Offsets read from the DWARF of binaries built with every release from
 * Go 1.19 to 1.27 (tests/tools/dwarflayout; the unit tests re-check each
 * family against the toolchains the tests build with). The heap walk also
 * validates what it reads and refuses a layout that does not fit. */

/* Each version has one map implementation; the other's fields are absent
 * (the unit tests check that DWARF has none of them either). */
#define NO_BUCKET_MAPS \
	.bucket_load_num = GO_ABSENT, .hmap_count = GO_ABSENT, .hmap_flags = GO_ABSENT, .hmap_b = GO_ABSENT, .hmap_noverflow = GO_ABSENT, \
	.hmap_hash0 = GO_ABSENT, .hmap_buckets = GO_ABSENT, .hmap_oldbuckets = GO_ABSENT, \
	.hmap_nevacuate = GO_ABSENT, .hmap_extra = GO_ABSENT, .hmap_size = GO_ABSENT
#define NO_SWISS_MAPS \
	.smap_used = GO_ABSENT, .smap_seed = GO_ABSENT, .smap_dirptr = GO_ABSENT, .smap_dirlen = GO_ABSENT, \
	.smap_globaldepth = GO_ABSENT, .smap_size = GO_ABSENT, .stable_used = GO_ABSENT, \
	.stable_capacity = GO_ABSENT, .stable_index = GO_ABSENT, .stable_groups_data = GO_ABSENT, \
	.stable_groups_lengthmask = GO_ABSENT, .stable_size = GO_ABSENT

/* runtime.hmap, the same 1.19-1.23; Swiss tables replaced it in 1.24.
 * Load factor 6.5 but in 1.21, whose loadFactorNum, (8*13/16)*2 in integers,
 * came out as 12 (a map of 50,000 entries has 2^14 buckets there). */
#define BUCKET_MAPS_LOAD(num) \
	BUCKET_MAPS, .bucket_load_num = num
#define BUCKET_MAPS \
	.hmap_count = 0, .hmap_flags = 8, .hmap_b = 9, .hmap_noverflow = 10, .hmap_hash0 = 12, \
	.hmap_buckets = 16, .hmap_oldbuckets = 24, .hmap_nevacuate = 32, .hmap_extra = 40, .hmap_size = 48, \
	.maptype_slot_size = 82, /* maptype.bucketsize, u16 */ \
	.maptype_key = 48, .maptype_elem = 56, .maptype_group = 64, .maptype_keysize = 80, \
	.maptype_elemsize = 81, .maptype_swiss_slot = GO_ABSENT, \
	NO_SWISS_MAPS

/* internal/runtime/maps.Map and .table, the same 1.24-1.27 */
#define SWISS_MAPS \
	NO_BUCKET_MAPS, \
	.smap_used = 0, .smap_seed = 8, .smap_dirptr = 16, .smap_dirlen = 24, .smap_globaldepth = 32, \
	.smap_size = 48, .stable_used = 0, .stable_capacity = 2, .stable_index = 8, .stable_groups_data = 16, \
	.stable_groups_lengthmask = 24, .stable_size = 32, \
	.maptype_slot_size = 80, /* abi.MapType.GroupSize, u64 */ \
	.maptype_key = 48, .maptype_elem = 56, .maptype_group = 64, .maptype_keysize = GO_ABSENT, \
	.maptype_elemsize = GO_ABSENT

/* abi.SwissMapType.SlotSize (1.24-1.25), abi.MapType.SlotSize (1.26) */
#define SWISS_SLOT_SIZE .maptype_swiss_slot = 88

/* runtime.heapStatsDelta up to 1.24; 1.25 dropped inPtrScalarBits */
#define HEAP_STATS_WITH_PTRSCALARBITS \
	.hsd_size = 1176, .hsd_committed = 0, .hsd_released = 8, .hsd_inheap = 16, .hsd_instacks = 24, \
	.hsd_inworkbufs = 32, .hsd_inptrscalarbits = 40
#define HEAP_STATS_SINCE_125 \
	.hsd_size = 1168, .hsd_committed = 0, .hsd_released = 8, .hsd_inheap = 16, .hsd_instacks = 24, \
	.hsd_inworkbufs = 32, .hsd_inptrscalarbits = GO_ABSENT

/* heapStatsDelta's allocation counts: 8 bytes earlier from 1.25 */
#define HEAP_COUNTS_UNTIL_124 .hsd_largealloc = 56, .hsd_largefree = 616, .hsd_smallalloc = 72, .hsd_smallfree = 632
#define HEAP_COUNTS_SINCE_125 .hsd_largealloc = 48, .hsd_largefree = 608, .hsd_smallalloc = 64, .hsd_smallfree = 624

/* runtime.mstats' GC history and the other mapped memory after heapStats:
 * one place 1.19-1.24, 24 bytes earlier from 1.25 (3 heapStatsDelta of 8
 * bytes fewer) */
#define GC_HISTORY_UNTIL_124 \
	.mstats_heapstats = 0, .mstats_numgc = 7704, .mstats_pause_total_ns = 3600, .mstats_pause_ns = 3608, \
	.mstats_last_gc_nanotime = 7720, .mstats_numforcedgc = 7708, .mstats_gc_cpu_fraction = 7712, \
	.mstats_stacks_sys = 3544, .mstats_mspan_sys = 3552, .mstats_mcache_sys = 3560, \
	.mstats_buckhash_sys = 3568, .mstats_gcmisc_sys = 3576, .mstats_other_sys = 3584, HEAP_COUNTS_UNTIL_124
#define GC_HISTORY_SINCE_125 \
	.mstats_heapstats = 0, .mstats_numgc = 7680, .mstats_pause_total_ns = 3576, .mstats_pause_ns = 3584, \
	.mstats_last_gc_nanotime = 7696, .mstats_numforcedgc = 7684, .mstats_gc_cpu_fraction = 7688, \
	.mstats_stacks_sys = 3520, .mstats_mspan_sys = 3528, .mstats_mcache_sys = 3536, \
	.mstats_buckhash_sys = 3544, .mstats_gcmisc_sys = 3552, .mstats_other_sys = 3560, HEAP_COUNTS_SINCE_125

/* runtime.gcControllerState: 1.19 had the consMark PI controller before
 * gcPercentHeapGoal, 1.20 one lastConsMark, 1.21 four of them. The memory
 * limit's headroom was a fixed 1 MiB up to 1.20, 3% of the goal (at least
 * 1 MiB) from 1.21. */
#define GC_CONTROLLER_119 \
	.gcc_gcpercent = 0, .gcc_memorylimit = 8, .gcc_heapminimum = 16, .gcc_gcpercent_heapgoal = 104, \
	.gcc_sweepdist_mintrigger = 112, .gcc_triggered = 120, .gcc_heaplive = 136, .gcc_heapmarked = 184, \
	.gcc_heapfree = 320, .gcc_totalalloc = 328, .gcc_totalfree = 336, .gcc_mappedready = 344, .gcc_size = 424, \
	.gc_limit_headroom_pct = GO_ABSENT, .gc_limit_min_headroom = 1u << 20
#define GC_CONTROLLER_120 \
	.gcc_gcpercent = 0, .gcc_memorylimit = 8, .gcc_heapminimum = 16, .gcc_gcpercent_heapgoal = 48, \
	.gcc_sweepdist_mintrigger = 56, .gcc_triggered = 64, .gcc_heaplive = 80, .gcc_heapmarked = 128, \
	.gcc_heapfree = 264, .gcc_totalalloc = 272, .gcc_totalfree = 280, .gcc_mappedready = 288, .gcc_size = 368, \
	.gc_limit_headroom_pct = GO_ABSENT, .gc_limit_min_headroom = 1u << 20
#define GC_CONTROLLER_SINCE_121 \
	.gcc_gcpercent = 0, .gcc_memorylimit = 8, .gcc_heapminimum = 16, .gcc_gcpercent_heapgoal = 72, \
	.gcc_sweepdist_mintrigger = 80, .gcc_triggered = 88, .gcc_heaplive = 104, .gcc_heapmarked = 152, \
	.gcc_heapfree = 288, .gcc_totalalloc = 296, .gcc_totalfree = 304, .gcc_mappedready = 312, .gcc_size = 392, \
	.gc_limit_headroom_pct = 3, .gc_limit_min_headroom = 1u << 20

/* runtime.mspan with 8-byte indexes (1.19-1.21) */
#define SPAN_INDEXES_8 \
	.span_startaddr = 24, .span_npages = 32, .span_freeindex = 48, .span_nelems = 56, .span_index_size = 8, \
	.span_allocbits = 72, .span_largetype = GO_ABSENT, .malloc_header_min = GO_ABSENT
#define TYPES .type_size = 0, .type_ptrbytes = 8, .type_str = 40, .type_tflag = 20, .type_kind = 23, \
	.structtype_fields = 56, .structfield_size = 24, .structfield_name = 0, .structfield_typ = 8, \
	.structfield_offset = 16, .ptrtype_elem = 48, .slicetype_elem = 48, .arraytype_elem = 48, .arraytype_len = 64

/* runtime.g: stack and status the same 1.19-1.27; gobuf lost ret in 1.25
 * (bp 48 -> 40, and what follows sched by 8); syscallbp came in 1.23 */
#define G_119_122 \
	.g_stack_lo = 0, .g_stack_hi = 8, .g_sched_sp = 56, .g_sched_pc = 64, .g_sched_bp = 104, \
	.g_syscallsp = 112, .g_syscallpc = 120, .g_atomicstatus = 144, .g_goid = 152
#define G_123_124 \
	.g_stack_lo = 0, .g_stack_hi = 8, .g_sched_sp = 56, .g_sched_pc = 64, .g_sched_bp = 104, \
	.g_syscallsp = 112, .g_syscallpc = 120, .g_atomicstatus = 152, .g_goid = 160
#define G_SINCE_125 \
	.g_stack_lo = 0, .g_stack_hi = 8, .g_sched_sp = 56, .g_sched_pc = 64, .g_sched_bp = 96, \
	.g_syscallsp = 104, .g_syscallpc = 112, .g_atomicstatus = 144, .g_goid = 152
#define NO_INLINE_MARKS .inline_marks_size = GO_ABSENT, .inline_marks_off = GO_ABSENT
#define INLINE_MARKS .inline_marks_size = 128, .inline_marks_off = 64

/* runtime._func grew startLine in 1.20; inlinedCall lost parent, file and
 * line (20 -> 16 bytes) */
#define FUNCS_119 \
	.func_size = 40, .func_npcdata = 28, .func_nfuncdata = 39, .inl_size = 20, .inl_nameoff = 12, .inl_parentpc = 16
#define FUNCS_SINCE_120 \
	.func_size = 44, .func_npcdata = 28, .func_nfuncdata = 43, .inl_size = 16, .inl_nameoff = 4, .inl_parentpc = 8

/* moduledata: covctrs/ecovctrs (1.20) moved what follows by 16; 1.26 added
 * epclntab before textsectmap; 1.27 dropped typelinks and added
 * typedesclen, itaboffset and itabsize */
#define MODULE_119 .md_types = 280, .md_etypes = 288, .md_gofunc = 304, .md_typelinks = 336
#define MODULE_120_125 .md_types = 296, .md_etypes = 304, .md_gofunc = 320, .md_typelinks = 352
#define MODULE_126 .md_types = 296, .md_etypes = 304, .md_gofunc = 320, .md_typelinks = 360
#define MODULE_127 .md_types = 296, .md_etypes = 312, .md_gofunc = 344, .md_typelinks = GO_ABSENT

/* runtime.mspan (16-bit indexes, largeType), malloc headers, abi.Type and
 * runtime._func: the same 1.22-1.27 */
#define SPANS_SINCE_122 \
	.span_startaddr = 24, .span_npages = 32, .span_freeindex = 48, .span_nelems = 50, \
	.span_index_size = 2, .span_allocbits = 64, .span_spanclass = 98, .span_state = 99, \
	.span_elemsize = 104, .span_largetype = 152, .span_size = 160, \
	.span_sweepgen = 88, .span_gcmarkbits = 72, \
	.malloc_header_min = 512, /* runtime.minSizeForMallocHeader */ \
	TYPES, FUNCS_SINCE_120, .mheap_allspans = 65864, .mheap_sweepgen = 65856

static const struct go_layout layouts[] = {
	{
		.min_minor = 19, .max_minor = 19,
		.mheap_allspans = 65856, .mheap_sweepgen = 65848,
		SPAN_INDEXES_8,
		.span_spanclass = 98, .span_state = 99, .span_elemsize = 104, .span_size = 144,
		.span_sweepgen = 88, .span_gcmarkbits = 80, NO_INLINE_MARKS, G_119_122, .g_size = 392,
		TYPES, MODULE_119, FUNCS_119, GC_CONTROLLER_119,
		GC_HISTORY_UNTIL_124, HEAP_STATS_WITH_PTRSCALARBITS, BUCKET_MAPS_LOAD(13),
	},
	{
		.min_minor = 20, .max_minor = 20,
		.mheap_allspans = 65824, .mheap_sweepgen = 65816,
		SPAN_INDEXES_8,
		.span_spanclass = 98, .span_state = 99, .span_elemsize = 104, .span_size = 160,
		.span_sweepgen = 88, .span_gcmarkbits = 80, NO_INLINE_MARKS, G_119_122, .g_size = 392,
		TYPES, MODULE_120_125, FUNCS_SINCE_120, GC_CONTROLLER_120,
		GC_HISTORY_UNTIL_124, HEAP_STATS_WITH_PTRSCALARBITS, BUCKET_MAPS_LOAD(13),
	},
	{
		/* mspan.pinnerBits (1.21) moved the fields after it by 8 */
		.min_minor = 21, .max_minor = 21,
		.mheap_allspans = 65864, .mheap_sweepgen = 65856,
		SPAN_INDEXES_8,
		.span_spanclass = 106, .span_state = 107, .span_elemsize = 112, .span_size = 168,
		.span_sweepgen = 96, .span_gcmarkbits = 80, NO_INLINE_MARKS, G_119_122, .g_size = 408,
		TYPES, MODULE_120_125, FUNCS_SINCE_120, GC_CONTROLLER_SINCE_121,
		GC_HISTORY_UNTIL_124, HEAP_STATS_WITH_PTRSCALARBITS, BUCKET_MAPS_LOAD(12),
	},
	{
		.min_minor = 22, .max_minor = 22,
		SPANS_SINCE_122, GC_CONTROLLER_SINCE_121, MODULE_120_125, NO_INLINE_MARKS, G_119_122, .g_size = 424,
		GC_HISTORY_UNTIL_124, HEAP_STATS_WITH_PTRSCALARBITS, BUCKET_MAPS_LOAD(13),
	},
	{
		/* runtime.g.syscallbp moved what follows by 8 */
		.min_minor = 23, .max_minor = 23,
		SPANS_SINCE_122, GC_CONTROLLER_SINCE_121, MODULE_120_125, NO_INLINE_MARKS, G_123_124, .g_size = 432,
		GC_HISTORY_UNTIL_124, HEAP_STATS_WITH_PTRSCALARBITS, BUCKET_MAPS_LOAD(13),
	},
	{
		.min_minor = 24, .max_minor = 24,
		SPANS_SINCE_122, GC_CONTROLLER_SINCE_121, MODULE_120_125, NO_INLINE_MARKS, G_123_124, .g_size = 440,
		GC_HISTORY_UNTIL_124, HEAP_STATS_WITH_PTRSCALARBITS, SWISS_MAPS, SWISS_SLOT_SIZE,
	},
	{
		.min_minor = 25, .max_minor = 25,
		SPANS_SINCE_122, GC_CONTROLLER_SINCE_121, MODULE_120_125, NO_INLINE_MARKS, G_SINCE_125, .g_size = 440,
		GC_HISTORY_SINCE_125, HEAP_STATS_SINCE_125, SWISS_MAPS, SWISS_SLOT_SIZE,
	},
	{
		.min_minor = 26, .max_minor = 26,
		SPANS_SINCE_122, GC_CONTROLLER_SINCE_121, MODULE_126, INLINE_MARKS, G_SINCE_125, .g_size = 456,
		GC_HISTORY_SINCE_125, HEAP_STATS_SINCE_125, SWISS_MAPS, SWISS_SLOT_SIZE,
	},
	{
		/* abi.MapType: SlotSize became KeysOff/KeyStride/ElemsOff/ElemStride;
		 * Flags moved to 128 */
		.min_minor = 27, .max_minor = GO_MAX_KNOWN_MINOR,
		SPANS_SINCE_122, GC_CONTROLLER_SINCE_121, MODULE_127, INLINE_MARKS, G_SINCE_125, .g_size = 456,
		GC_HISTORY_SINCE_125, HEAP_STATS_SINCE_125, SWISS_MAPS, .maptype_swiss_slot = 96,
	},
};

const struct go_layout *go_layout_for(int minor)
{
	size_t i;

	for (i = 0; i < sizeof(layouts) / sizeof(*layouts); i++)
		if (go_minor_in(minor, layouts[i].min_minor, layouts[i].max_minor))
			return &layouts[i];
	return NULL;
}

void go_layout_missing(int minor, char *buf, size_t len)
{
	/* The probes need no layout: a newer Go is traced with the newest
	 * entries of the probe table; what reads runtime structures is not. */
	snprintf(buf, len,
		 "no runtime layout for go1.%d (heaptrace's layout table ends at Go 1.%d), so the runtime's page accounting is not shown either",
		 minor, layouts[sizeof(layouts) / sizeof(*layouts) - 1].max_minor);
}

/* Each takes &mheap_ for a method call on it (mheap_.alloc, mheap_.freeSpan,
 * mheap_.grow...); several, in case one is inlined away in some version. */
const char *const mheap_referrers[] = {
	"runtime.(*mcentral).grow",
	"runtime.(*mcache).allocLarge",
	"runtime.(*sweepLocked).sweep",
	"runtime.(*mspan).sweep",
	"runtime.gcStart",
	NULL,
};

/* Each calls memstats.heapStats.acquire(), taking &memstats.heapStats. */
const char *const memstats_referrers[] = {
	"runtime.(*mheap).grow",
	"runtime.(*mheap).allocSpan",
	"runtime.(*mheap).freeSpanLocked",
	"runtime.(*mcache).refill",
	NULL,
};

/* Each calls a method of gcController (init, commit, setGCPercent,
 * setMemoryLimit, startCycle), taking &gcController. */
const char *const gccontroller_referrers[] = {
	"runtime.gcinit",
	"runtime.gcControllerCommit",
	"runtime.setGCPercent",
	"runtime.setMemoryLimit",
	"runtime.gcStart",
	NULL,
};

/* allgadd appends to allgs; forEachG and checkdead range over it. */
const char *const allgs_referrers[] = {
	"runtime.allgadd",
	"runtime.forEachG",
	"runtime.checkdead",
	NULL,
};
