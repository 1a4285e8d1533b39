// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The runtime layout table, the search for runtime globals and pclntab line
 * numbers, on real binaries built by tools/build-targets.sh. Oracles: Go's
 * own DWARF reader (tests/tools/dwarflayout) for struct offsets, the symbol
 * table of each unstripped twin for globals, `go tool addr2line` for lines.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "util/log.h"
#include "heap/runtime_globals.h"
#include "gotables/runtime_godebug.h"
#include "gotables/runtime_layout.h"
#include "gotables/runtime_probes.h"
#include "target/target.h"
#include "toolchains.h"

static const char *dir;
static struct toolchain toolchains[MAX_TOOLCHAINS];
static int ntoolchains;

static int setup(void **state)
{
	dir = getenv("HT_TARGETS");
	if (!dir)
		return 1;
	ntoolchains = toolchains_load(dir, toolchains, MAX_TOOLCHAINS);
	return ntoolchains < 3;
}

static void open_target(struct target *t, const char *name)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (target_from_file(t, path))
		fail_msg("%s: %s", path, ht_last_error());
}

/*
 * One field of struct go_layout and the DWARF names it has had across
 * versions (TYPE.FIELD for an offset, TYPE for a size, a constant's name for
 * its value). Where the table has a value, at least one of the names must
 * exist and every one that exists must agree; where it says GO_ABSENT, none
 * may exist. `size`: the field's size in DWARF, when the code reads a fixed
 * width (0: not checked). `width_of`: the table value is the DWARF size of
 * the named fields, not their offset. `max_minor`: names that mean
 * something else in later versions are looked at up to there only (0: all).
 */
struct field_check {
	const char *member;
	size_t offset; /* of the table's field */
	size_t width;  /* bytes of the table's field */
	unsigned size;
	bool width_of;
	const char *dwarf[5];
	int max_minor;
};

#define M(member) #member, offsetof(struct go_layout, member), sizeof(((struct go_layout *)0)->member)
#define F(member, sz, ...) { M(member), sz, false, { __VA_ARGS__ }, 0 }
#define W(member, ...) { M(member), 0, true, { __VA_ARGS__ }, 0 }
#define UNTIL(max, member, ...) { M(member), 0, false, { __VA_ARGS__ }, max }

static const struct field_check checks[] = {
	F(mheap_allspans, 24, "runtime.mheap.allspans"),
	F(span_startaddr, 8, "runtime.mspan.startAddr"),
	F(span_npages, 8, "runtime.mspan.npages"),
	F(span_freeindex, 0, "runtime.mspan.freeindex"),
	F(span_nelems, 0, "runtime.mspan.nelems"),
	W(span_index_size, "runtime.mspan.freeindex", "runtime.mspan.nelems"),
	F(span_allocbits, 8, "runtime.mspan.allocBits"),
	F(span_spanclass, 1, "runtime.mspan.spanclass"),
	F(span_state, 1, "runtime.mspan.state"),
	F(span_elemsize, 8, "runtime.mspan.elemsize"),
	F(span_largetype, 8, "runtime.mspan.largeType"),
	F(span_size, 0, "runtime.mspan"),
	F(mheap_sweepgen, 4, "runtime.mheap.sweepgen"),
	F(span_sweepgen, 4, "runtime.mspan.sweepgen"),
	F(span_gcmarkbits, 8, "runtime.mspan.gcmarkBits"),
	/* only in builds with the Green Tea GC (1.26+ by default) */
	F(inline_marks_size, 0, "runtime.spanInlineMarkBits"),
	F(inline_marks_off, 63, "runtime.spanInlineMarkBits.marks"),
	F(g_stack_lo, 8, "runtime.g.stack.lo"),
	F(g_stack_hi, 8, "runtime.g.stack.hi"),
	F(g_sched_sp, 8, "runtime.g.sched.sp"),
	F(g_sched_pc, 8, "runtime.g.sched.pc"),
	F(g_sched_bp, 8, "runtime.g.sched.bp"),
	F(g_syscallsp, 8, "runtime.g.syscallsp"),
	F(g_syscallpc, 8, "runtime.g.syscallpc"),
	F(g_atomicstatus, 4, "runtime.g.atomicstatus"),
	F(g_goid, 8, "runtime.g.goid"),
	F(g_size, 0, "runtime.g"),
	F(structtype_fields, 24, "runtime.structtype.fields", "internal/abi.StructType.Fields"),
	F(structfield_size, 0, "runtime.structfield", "internal/abi.StructField"),
	F(structfield_name, 8, "runtime.structfield.name", "internal/abi.StructField.Name"),
	F(structfield_typ, 8, "runtime.structfield.typ", "internal/abi.StructField.Typ"),
	F(structfield_offset, 8, "runtime.structfield.offset", "internal/abi.StructField.Offset"),
	F(ptrtype_elem, 8, "runtime.ptrtype.elem", "internal/abi.PtrType.Elem"),
	F(slicetype_elem, 8, "runtime.slicetype.elem", "internal/abi.SliceType.Elem"),
	F(arraytype_elem, 8, "runtime.arraytype.elem", "internal/abi.ArrayType.Elem"),
	F(arraytype_len, 8, "runtime.arraytype.len", "internal/abi.ArrayType.Len"),
	F(malloc_header_min, 0, "runtime.minSizeForMallocHeader"),
	F(type_size, 8, "runtime._type.size", "internal/abi.Type.Size_"),
	F(type_str, 4, "runtime._type.str", "internal/abi.Type.Str"),
	F(type_tflag, 1, "runtime._type.tflag", "internal/abi.Type.TFlag"),
	F(md_types, 8, "runtime.moduledata.types"),
	F(type_ptrbytes, 8, "runtime._type.ptrdata", "internal/abi.Type.PtrBytes"),
	F(type_kind, 1, "runtime._type.kind", "internal/abi.Type.Kind_"),
	F(md_etypes, 8, "runtime.moduledata.etypes"),
	F(md_gofunc, 8, "runtime.moduledata.gofunc"),
	F(md_typelinks, 24, "runtime.moduledata.typelinks"),
	F(func_size, 0, "runtime._func"),
	F(func_npcdata, 4, "runtime._func.npcdata"),
	F(func_nfuncdata, 1, "runtime._func.nfuncdata"),
	/* the inline tree's entries: func_ in 1.19, nameOff from 1.20 */
	F(inl_size, 0, "runtime.inlinedCall"),
	F(inl_nameoff, 4, "runtime.inlinedCall.func_", "runtime.inlinedCall.nameOff"),
	F(inl_parentpc, 4, "runtime.inlinedCall.parentPc"),
	/* the map type descriptor: runtime.maptype (1.19-1.20), abi.MapType
	 * (1.21-1.23 buckets, 1.26+ Swiss), abi.SwissMapType (1.24-1.25) */
	F(maptype_key, 8, "runtime.maptype.key", "internal/abi.MapType.Key", "internal/abi.SwissMapType.Key"),
	F(maptype_elem, 8, "runtime.maptype.elem", "internal/abi.MapType.Elem", "internal/abi.SwissMapType.Elem"),
	F(maptype_group, 8, "runtime.maptype.bucket", "internal/abi.MapType.Bucket", "internal/abi.MapType.Group",
	  "internal/abi.SwissMapType.Group"),
	F(maptype_keysize, 1, "runtime.maptype.keysize", "internal/abi.MapType.KeySize"),
	F(maptype_elemsize, 1, "runtime.maptype.elemsize", "internal/abi.MapType.ValueSize"),
	/* 1.27 interleaves keys and values: KeyStride is the slot size there */
	F(maptype_swiss_slot, 8, "internal/abi.MapType.SlotSize", "internal/abi.SwissMapType.SlotSize",
	  "internal/abi.MapType.KeyStride"),
	F(mstats_heapstats, 0, "runtime.mstats.heapStats"),
	F(mstats_numgc, 4, "runtime.mstats.numgc"),
	F(mstats_pause_total_ns, 8, "runtime.mstats.pause_total_ns"),
	F(mstats_pause_ns, 2048, "runtime.mstats.pause_ns"),
	F(mstats_last_gc_nanotime, 8, "runtime.mstats.last_gc_nanotime"),
	F(hsd_size, 0, "runtime.heapStatsDelta"),
	F(hsd_committed, 8, "runtime.heapStatsDelta.committed"),
	F(hsd_released, 8, "runtime.heapStatsDelta.released"),
	F(hsd_inheap, 8, "runtime.heapStatsDelta.inHeap"),
	F(hsd_instacks, 8, "runtime.heapStatsDelta.inStacks"),
	F(hsd_inworkbufs, 8, "runtime.heapStatsDelta.inWorkBufs"),
	F(hsd_inptrscalarbits, 8, "runtime.heapStatsDelta.inPtrScalarBits"),
	/* the count arrays' size checks GO_SIZE_CLASSES too */
	F(hsd_largealloc, 8, "runtime.heapStatsDelta.largeAlloc"),
	F(hsd_largefree, 8, "runtime.heapStatsDelta.largeFree"),
	F(hsd_smallalloc, GO_SIZE_CLASSES * 8, "runtime.heapStatsDelta.smallAllocCount"),
	F(hsd_smallfree, GO_SIZE_CLASSES * 8, "runtime.heapStatsDelta.smallFreeCount"),
	F(mstats_stacks_sys, 8, "runtime.mstats.stacks_sys"),
	F(mstats_mspan_sys, 8, "runtime.mstats.mspan_sys"),
	F(mstats_mcache_sys, 8, "runtime.mstats.mcache_sys"),
	F(mstats_buckhash_sys, 8, "runtime.mstats.buckhash_sys"),
	F(mstats_gcmisc_sys, 8, "runtime.mstats.gcMiscSys"),
	F(mstats_other_sys, 8, "runtime.mstats.other_sys"),
	F(mstats_numforcedgc, 4, "runtime.mstats.numforcedgc"),
	F(mstats_gc_cpu_fraction, 8, "runtime.mstats.gc_cpu_fraction"),
	F(gcc_gcpercent, 4, "runtime.gcControllerState.gcPercent"),
	F(gcc_memorylimit, 8, "runtime.gcControllerState.memoryLimit"),
	F(gcc_heapminimum, 8, "runtime.gcControllerState.heapMinimum"),
	F(gcc_gcpercent_heapgoal, 8, "runtime.gcControllerState.gcPercentHeapGoal"),
	F(gcc_sweepdist_mintrigger, 8, "runtime.gcControllerState.sweepDistMinTrigger"),
	F(gcc_triggered, 8, "runtime.gcControllerState.triggered"),
	F(gcc_heaplive, 8, "runtime.gcControllerState.heapLive"),
	F(gcc_heapmarked, 8, "runtime.gcControllerState.heapMarked"),
	F(gcc_heapfree, 8, "runtime.gcControllerState.heapFree"),
	F(gcc_totalalloc, 8, "runtime.gcControllerState.totalAlloc"),
	F(gcc_totalfree, 8, "runtime.gcControllerState.totalFree"),
	F(gcc_mappedready, 8, "runtime.gcControllerState.mappedReady"),
	F(gcc_size, 0, "runtime.gcControllerState"),
	/* constants: a percentage from 1.21, a fixed headroom before */
	F(gc_limit_headroom_pct, 0, "runtime.memoryLimitHeapGoalHeadroomPercent"),
	F(gc_limit_min_headroom, 0, "runtime.memoryLimitHeapGoalHeadroom", "runtime.memoryLimitMinHeapGoalHeadroom"),
	/* bucketsize (u16) up to 1.23, GroupSize (uintptr) from 1.24: the code
	 * reads the width by map implementation */
	F(maptype_slot_size, 0, "runtime.maptype.bucketsize", "internal/abi.MapType.BucketSize",
	  "internal/abi.SwissMapType.GroupSize", "internal/abi.MapType.GroupSize"),
	/* from 1.24 runtime.loadFactorNum is the Swiss tables' (7/8) */
	UNTIL(23, bucket_load_num, "runtime.loadFactorNum"),
	F(hmap_count, 8, "runtime.hmap.count"),
	F(hmap_flags, 1, "runtime.hmap.flags"),
	F(hmap_b, 1, "runtime.hmap.B"),
	F(hmap_noverflow, 2, "runtime.hmap.noverflow"),
	F(hmap_hash0, 4, "runtime.hmap.hash0"),
	F(hmap_buckets, 8, "runtime.hmap.buckets"),
	F(hmap_oldbuckets, 8, "runtime.hmap.oldbuckets"),
	F(hmap_nevacuate, 8, "runtime.hmap.nevacuate"),
	F(hmap_extra, 8, "runtime.hmap.extra"),
	F(hmap_size, 0, "runtime.hmap"),
	F(smap_used, 8, "internal/runtime/maps.Map.used"),
	F(smap_seed, 8, "internal/runtime/maps.Map.seed"),
	F(smap_dirptr, 8, "internal/runtime/maps.Map.dirPtr"),
	F(smap_dirlen, 8, "internal/runtime/maps.Map.dirLen"),
	F(smap_globaldepth, 1, "internal/runtime/maps.Map.globalDepth"),
	F(smap_size, 0, "internal/runtime/maps.Map"),
	F(stable_used, 2, "internal/runtime/maps.table.used"),
	F(stable_capacity, 2, "internal/runtime/maps.table.capacity"),
	F(stable_index, 8, "internal/runtime/maps.table.index"),
	F(stable_groups_data, 8, "internal/runtime/maps.table.groups.data"),
	F(stable_groups_lengthmask, 8, "internal/runtime/maps.table.groups.lengthMask"),
	F(stable_size, 0, "internal/runtime/maps.table"),
};
#define NCHECKS (sizeof(checks) / sizeof(*checks))

static unsigned table_value(const struct go_layout *L, const struct field_check *c)
{
	const uint8_t *p = (const uint8_t *)L + c->offset;

	if (c->width == 4)
		return *(const uint32_t *)p;
	if (c->width == 1)
		return *p;
	return *(const uint16_t *)p;
}

/* dwarflayout's answer: "-", "N" (a size or a constant) or "OFFSET SIZE". */
struct answer {
	bool present;
	long a, b; /* b: the field's size, -1 when the answer is one number */
};

/* Checks one toolchain's build against the table; returns the number of
 * table fields that were compared with a DWARF value. */
static size_t check_layout(const char *bin)
{
	static struct answer ans[NCHECKS][5];
	char cmd[16384], line[512];
	struct target t;
	const struct go_layout *L;
	size_t k, j, compared = 0;
	FILE *p;
	int pos;

	open_target(&t, bin);
	L = go_layout_for(t.bi.ver.minor);
	if (!L)
		fail_msg("%s (%s): no layout table entry", bin, t.bi.version);
	pos = snprintf(cmd, sizeof(cmd), "%s/dwarflayout %s/%s", dir, dir, bin);
	for (k = 0; k < NCHECKS; k++)
		for (j = 0; j < 5 && checks[k].dwarf[j]; j++)
			pos += snprintf(cmd + pos, sizeof(cmd) - (size_t)pos, " %s", checks[k].dwarf[j]);
	assert_true((size_t)pos < sizeof(cmd));
	p = popen(cmd, "r");
	assert_non_null(p);
	for (k = 0; k < NCHECKS; k++)
		for (j = 0; j < 5 && checks[k].dwarf[j]; j++) {
			char name[256], v1[64], v2[64];
			int got = 0;

			if (!fgets(line, sizeof(line), p) || (got = sscanf(line, "%255s %63s %63s", name, v1, v2)) < 2)
				fail_msg("%s: dwarflayout gave no answer for %s", bin, checks[k].dwarf[j]);
			assert_string_equal(name, checks[k].dwarf[j]);
			ans[k][j].present = strcmp(v1, "-") != 0;
			ans[k][j].a = strtol(v1, NULL, 10);
			ans[k][j].b = got == 3 ? strtol(v2, NULL, 10) : -1;
		}
	assert_int_equal(pclose(p), 0);
	for (k = 0; k < NCHECKS; k++) {
		const struct field_check *c = &checks[k];
		unsigned want = table_value(L, c);
		bool any = false;

		if (c->max_minor && t.bi.ver.minor > c->max_minor)
			continue;

		for (j = 0; j < 5 && c->dwarf[j]; j++) {
			const struct answer *a = &ans[k][j];
			long got = c->width_of ? a->b : a->a;

			if (!a->present)
				continue;
			any = true;
			if (want == GO_ABSENT)
				fail_msg("%s (%s): %s exists (%ld) but the table says %s is absent", bin, t.bi.version,
					 c->dwarf[j], got, c->member);
			if ((long)want != got)
				fail_msg("%s (%s): %s is %ld in DWARF, %s is %u in the layout table", bin, t.bi.version,
					 c->dwarf[j], got, c->member, want);
			if (c->size && a->b != (long)c->size)
				fail_msg("%s (%s): %s is %ld bytes wide, the code reads %u", bin, t.bi.version,
					 c->dwarf[j], a->b, c->size);
		}
		if (!any && want != GO_ABSENT)
			fail_msg("%s (%s): the table has %s = %u but DWARF has none of %s...", bin, t.bi.version,
				 c->member, want, c->dwarf[0]);
		compared += any;
	}
	target_close(&t);
	return compared;
}

/* The constants heaptrace assumes the same in every version that has them,
 * against the runtime's own, wherever a toolchain's DWARF has one of the
 * names (the map implementation's only where it is that implementation). */
struct const_check {
	const char *what;
	long value;
	int min_minor, max_minor;
	const char *dwarf[3];
};

static const struct const_check consts[] = {
	{ "HT_GO_PAGE_SIZE", HT_GO_PAGE_SIZE, 19, 0, { "runtime.pageSize" } },
	{ "GO_SPAN_IN_USE", GO_SPAN_IN_USE, 19, 0, { "runtime.mSpanInUse" } },
	{ "GO_MALLOC_HEADER", GO_MALLOC_HEADER, 22, 0, { "runtime.mallocHeaderSize", "internal/runtime/gc.MallocHeaderSize" } },
	{ "GO_BUCKET_SLOTS", GO_BUCKET_SLOTS, 19, 23, { "runtime.bucketCnt", "internal/abi.MapBucketCount" } },
	{ "GO_BUCKET_LOAD_DEN", GO_BUCKET_LOAD_DEN, 19, 23, { "runtime.loadFactorDen" } },
	{ "GO_SWISS_SLOTS", GO_SWISS_SLOTS, 24, 0, { "internal/abi.SwissMapGroupSlots", "internal/abi.MapGroupSlots" } },
	{ "GO_SWISS_MAX_AVG_LOAD", GO_SWISS_MAX_AVG_LOAD, 24, 0, { "internal/runtime/maps.maxAvgGroupLoad" } },
	{ "GO_SWISS_MAX_TABLE_CAPACITY", GO_SWISS_MAX_TABLE_CAPACITY, 24, 0, { "internal/runtime/maps.maxTableCapacity" } },
	{ "GO_SIZE_CLASSES", GO_SIZE_CLASSES, 19, 0, { "runtime._NumSizeClasses", "internal/runtime/gc.NumSizeClasses" } },
	{ "GO_DEFAULT_HEAP_MINIMUM", GO_DEFAULT_HEAP_MINIMUM, 19, 0, { "runtime.defaultHeapMinimum" } },
};

static void test_constants_match_dwarf(void **state)
{
	int i;

	for (i = 0; i < ntoolchains; i++) {
		char cmd[8192], line[512];
		int pos, minor = toolchains[i].minor;
		size_t k, j;
		FILE *p;

		pos = snprintf(cmd, sizeof(cmd), "%s/dwarflayout %s/%.31s-gcload", dir, dir, toolchains[i].name);
		for (k = 0; k < sizeof(consts) / sizeof(*consts); k++)
			for (j = 0; j < 3 && consts[k].dwarf[j]; j++)
				pos += snprintf(cmd + pos, sizeof(cmd) - (size_t)pos, " %s", consts[k].dwarf[j]);
		p = popen(cmd, "r");
		assert_non_null(p);
		for (k = 0; k < sizeof(consts) / sizeof(*consts); k++) {
			const struct const_check *c = &consts[k];
			bool applies = go_minor_in(minor, c->min_minor, c->max_minor), any = false;

			for (j = 0; j < 3 && c->dwarf[j]; j++) {
				char name[256], val[64];

				if (!fgets(line, sizeof(line), p) || sscanf(line, "%255s %63s", name, val) != 2)
					fail_msg("%s: dwarflayout gave no answer for %s", toolchains[i].name, c->dwarf[j]);
				if (!strcmp(val, "-"))
					continue;
				any = true;
				if (applies && strtol(val, NULL, 10) != c->value)
					fail_msg("%s (Go 1.%d): %s is %s, heaptrace's %s %ld", toolchains[i].name, minor,
						 c->dwarf[j], val, c->what, c->value);
			}
			if (applies && !any)
				fail_msg("%s (Go 1.%d): none of %s... in DWARF to check %s against", toolchains[i].name,
					 minor, c->dwarf[0], c->what);
		}
		assert_int_equal(pclose(p), 0);
	}
}

static void test_layout_matches_dwarf(void **state)
{
	int i;

	for (i = 0; i < ntoolchains; i++) {
		char bin[64];
		size_t n;

		snprintf(bin, sizeof(bin), "%.31s-gcload", toolchains[i].name);
		n = check_layout(bin);
		/* bucket maps or Swiss tables: one family is absent */
		if (n < 30)
			fail_msg("%s: only %zu table fields found in DWARF", bin, n);
	}
}

/* Every fixture: the globals' candidates found by decoding the stripped
 * binary include the address its unstripped twin's symbol table gives. */
static void check_global(const char *name, const char *symbol, uint64_t field, const char *const *referrers)
{
	struct global_candidates with, without;
	struct target a, b;
	char stripped[256];
	size_t i;
	bool found = false;

	snprintf(stripped, sizeof(stripped), "%s.stripped", name);
	open_target(&a, name);
	open_target(&b, stripped);
	global_candidates(&a, symbol, field, referrers, &with);
	global_candidates(&b, symbol, field, referrers, &without);
	if (!with.from_symbol)
		fail_msg("%s: no %s symbol", name, symbol);
	assert_false(without.from_symbol);
	for (i = 0; i < without.n; i++)
		found |= without.addr[i] == with.addr[0];
	if (!found)
		fail_msg("%s: decoding %s's users did not find it at 0x%llx (%zu candidates)", stripped, symbol,
			 (unsigned long long)with.addr[0], without.n);
	target_close(&a);
	target_close(&b);
}

static void check_globals(const char *name)
{
	struct target t;
	const struct go_layout *L;

	open_target(&t, name);
	L = go_layout_for(t.bi.ver.minor);
	target_close(&t);
	assert_non_null(L);
	check_global(name, "runtime.mheap_", 0, mheap_referrers);
	check_global(name, "runtime.memstats", L->mstats_heapstats, memstats_referrers);
	check_global(name, "runtime.gcController", 0, gccontroller_referrers);
	/* goroutines are read only from a process this host runs: arm64
	 * code loads allgs' fields with ADRP+LDR, which decoding leaves out */
	if (!strstr(name, "arm64"))
		check_global(name, "runtime.allgs", 0, allgs_referrers);
}

static void test_globals_found_in_stripped_code(void **state)
{
	/* every toolchain, and the variants whose code differs (PIE, cgo, arm64) */
	static const char *const variants[] = { "gocur-mapleak-pie", "go119-cgoload", "gocur-cgoload",
						"gocur-gcload-arm64", "go122-gcload-arm64", NULL };
	char name[64];
	int i;

	for (i = 0; i < ntoolchains; i++) {
		snprintf(name, sizeof(name), "%.31s-mapleak", toolchains[i].name);
		check_globals(name);
	}
	for (i = 0; variants[i]; i++)
		check_globals(variants[i]);
}

/* pclntab's line tables against go tool addr2line, at several pcs inside
 * functions of every toolchain's fixture. */
static void test_lines_match_addr2line(void **state)
{
	const char *go = getenv("HT_GO");
	size_t i;

	assert_non_null(go);
	for (i = 0; i < (size_t)ntoolchains; i++) {
		static const char *const funcs[] = { "main.fill", "main.growLater", "main.main",
						     "runtime.mallocgc", "runtime.gcStart", NULL };
		char bin[256], cmd[8192], tmp[] = "/tmp/ht-addr-XXXXXX";
		struct target t;
		int fd, f, checked = 0;
		FILE *in, *out;
		uint64_t pcs[64];
		int npcs = 0;

		snprintf(bin, sizeof(bin), "%.31s-mapleak", toolchains[i].name);
		open_target(&t, bin);
		fd = mkstemp(tmp);
		in = fdopen(fd, "w");
		for (f = 0; funcs[f]; f++) {
			const struct go_func *fn = go_funcs_find(&t.funcs, funcs[f]);
			uint64_t step;

			assert_non_null(fn);
			step = (fn->end - fn->entry) / 7 + 1;
			for (uint64_t pc = fn->entry; pc < fn->end && npcs < 64; pc += step) {
				pcs[npcs++] = pc;
				fprintf(in, "0x%llx\n", (unsigned long long)pc);
			}
		}
		fclose(in);
		snprintf(cmd, sizeof(cmd), "%s tool addr2line %s/%s < %s", go, dir, bin, tmp);
		out = popen(cmd, "r");
		assert_non_null(out);
		for (f = 0; f < npcs; f++) {
			char fn_line[1024], file_line[4096], want[4200];
			const char *file;
			int line;

			if (!fgets(fn_line, sizeof(fn_line), out) || !fgets(file_line, sizeof(file_line), out))
				fail_msg("addr2line gave too few lines");
			file_line[strcspn(file_line, "\n")] = '\0';
			if (go_funcs_line(&t.funcs, pcs[f], &file, &line))
				fail_msg("%s: no line for 0x%llx", bin, (unsigned long long)pcs[f]);
			snprintf(want, sizeof(want), "%s:%d", file, line);
			if (strcmp(want, file_line))
				fail_msg("%s at 0x%llx: heaptrace says %s, addr2line %s", bin,
					 (unsigned long long)pcs[f], want, file_line);
			checked++;
		}
		pclose(out);
		unlink(tmp);
		assert_true(checked >= 20);
		target_close(&t);
	}
}

/* The GODEBUG settings the advice names, against each toolchain's runtime:
 * the runtime's table of settings holds each name as a string, so the
 * binary holds it exactly when the release reads the setting. */
static void test_godebug_settings_match_runtimes(void **state)
{
	int i;

	for (i = 0; i < ntoolchains; i++) {
		const struct go_godebug *g;
		char path[4200];
		struct target t;
		FILE *f;
		long size;
		char *bytes;

		snprintf(path, sizeof(path), "%.31s-gcload", toolchains[i].name);
		open_target(&t, path);
		snprintf(path, sizeof(path), "%s/%.31s-gcload", dir, toolchains[i].name);
		f = fopen(path, "rb");
		assert_non_null(f);
		fseek(f, 0, SEEK_END);
		size = ftell(f);
		rewind(f);
		bytes = malloc((size_t)size);
		assert_non_null(bytes);
		assert_int_equal(fread(bytes, 1, (size_t)size, f), (size_t)size);
		fclose(f);
		for (g = go_godebugs; g->name; g++) {
			bool has = memmem(bytes, (size_t)size, g->name, strlen(g->name)) != NULL;

			if (has != go_has_godebug(&t.bi.ver, g->name))
				fail_msg("%s (%s): the runtime %s GODEBUG %s, the table says %s", path, t.bi.version,
					 has ? "has" : "has no", g->name, has ? "it does not" : "it does");
		}
		free(bytes);
		target_close(&t);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layout_matches_dwarf),
		cmocka_unit_test(test_constants_match_dwarf),
		cmocka_unit_test(test_globals_found_in_stripped_code),
		cmocka_unit_test(test_lines_match_addr2line),
		cmocka_unit_test(test_godebug_settings_match_runtimes),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
