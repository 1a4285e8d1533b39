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
#include "gotables/runtime_layout.h"
#include "target/target.h"

static const char *dir;
/* The fixtures built with each toolchain the layout table was taken from. */
static const char *const toolchains[] = { "go119", "go122", "gocur" };

static int setup(void **state)
{
	dir = getenv("HT_TARGETS");
	return dir == NULL;
}

static void open_target(struct target *t, const char *name)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (target_from_file(t, path))
		fail_msg("%s: %s", path, ht_last_error());
}

struct field_check {
	const char *dwarf; /* TYPE.FIELD for dwarflayout, or TYPE for its size */
	size_t offset;	   /* of the table's field */
	size_t width;	   /* bytes of the table's field */
	bool renamed;	   /* absent in some versions under this name: another entry covers it */
};

#define F(dw, member) { dw, offsetof(struct go_layout, member), sizeof(((struct go_layout *)0)->member), false }
/* Bucket maps exist up to 1.23, Swiss maps from 1.24; _type became abi.Type in 1.21. */
#define R(dw, member) { dw, offsetof(struct go_layout, member), sizeof(((struct go_layout *)0)->member), true }

static const struct field_check checks[] = {
	F("runtime.mheap.allspans", mheap_allspans),
	F("runtime.mspan.startAddr", span_startaddr),
	F("runtime.mspan.npages", span_npages),
	F("runtime.mspan.freeindex", span_freeindex),
	F("runtime.mspan.nelems", span_nelems),
	F("runtime.mspan.allocBits", span_allocbits),
	F("runtime.mspan.spanclass", span_spanclass),
	F("runtime.mspan.state", span_state),
	F("runtime.mspan.elemsize", span_elemsize),
	F("runtime.mspan.largeType", span_largetype),
	F("runtime.mspan", span_size),
	F("runtime.mstats.heapStats", mstats_heapstats),
	F("runtime.heapStatsDelta", hsd_size),
	F("runtime.heapStatsDelta.committed", hsd_committed),
	F("runtime.heapStatsDelta.released", hsd_released),
	F("runtime.heapStatsDelta.inHeap", hsd_inheap),
	F("runtime.heapStatsDelta.inStacks", hsd_instacks),
	F("runtime.heapStatsDelta.inWorkBufs", hsd_inworkbufs),
	F("runtime.heapStatsDelta.inPtrScalarBits", hsd_inptrscalarbits),
	F("runtime.moduledata.types", md_types),
	F("runtime.moduledata.etypes", md_etypes),
	F("runtime.moduledata.gofunc", md_gofunc),
	F("runtime.moduledata.typelinks", md_typelinks),
	F("runtime._func", func_size),
	F("runtime._func.nfuncdata", func_nfuncdata),
	F("runtime._func.npcdata", func_npcdata),
	F("runtime.inlinedCall", inl_size),
	R("runtime.inlinedCall.func_", inl_nameoff),
	R("runtime.inlinedCall.nameOff", inl_nameoff),
	F("runtime.inlinedCall.parentPc", inl_parentpc),
	R("runtime._type.size", type_size),
	R("runtime._type.ptrdata", type_ptrbytes),
	R("runtime._type.str", type_str),
	R("runtime._type.tflag", type_tflag),
	R("runtime._type.kind", type_kind),
	R("internal/abi.Type.Size_", type_size),
	R("internal/abi.Type.PtrBytes", type_ptrbytes),
	R("internal/abi.Type.Str", type_str),
	R("internal/abi.Type.TFlag", type_tflag),
	R("internal/abi.Type.Kind_", type_kind),
	/* the map type descriptor: runtime.maptype (1.19-1.20), abi.MapType
	 * (1.21-1.23 buckets, 1.26+ Swiss), abi.SwissMapType (1.24-1.25) */
	R("runtime.maptype.key", maptype_key),
	R("runtime.maptype.elem", maptype_elem),
	R("runtime.maptype.bucket", maptype_group),
	R("runtime.maptype.keysize", maptype_keysize),
	R("runtime.maptype.elemsize", maptype_elemsize),
	R("runtime.maptype.bucketsize", maptype_slot_size),
	R("internal/abi.MapType.Key", maptype_key),
	R("internal/abi.MapType.Elem", maptype_elem),
	R("internal/abi.MapType.Bucket", maptype_group),
	R("internal/abi.MapType.Group", maptype_group),
	R("internal/abi.MapType.KeySize", maptype_keysize),
	R("internal/abi.MapType.ValueSize", maptype_elemsize),
	R("internal/abi.MapType.BucketSize", maptype_slot_size),
	R("internal/abi.MapType.GroupSize", maptype_slot_size),
	R("internal/abi.MapType.SlotSize", maptype_swiss_slot),
	R("internal/abi.SwissMapType.Key", maptype_key),
	R("internal/abi.SwissMapType.Elem", maptype_elem),
	R("internal/abi.SwissMapType.Group", maptype_group),
	R("internal/abi.SwissMapType.GroupSize", maptype_slot_size),
	R("internal/abi.SwissMapType.SlotSize", maptype_swiss_slot),
	R("runtime.hmap.count", hmap_count),
	R("runtime.hmap.flags", hmap_flags),
	R("runtime.hmap.B", hmap_b),
	R("runtime.hmap.noverflow", hmap_noverflow),
	R("runtime.hmap.hash0", hmap_hash0),
	R("runtime.hmap.buckets", hmap_buckets),
	R("runtime.hmap.oldbuckets", hmap_oldbuckets),
	R("runtime.hmap.nevacuate", hmap_nevacuate),
	R("runtime.hmap.extra", hmap_extra),
	R("runtime.hmap", hmap_size),
	R("internal/runtime/maps.Map.used", smap_used),
	R("internal/runtime/maps.Map.seed", smap_seed),
	R("internal/runtime/maps.Map.dirPtr", smap_dirptr),
	R("internal/runtime/maps.Map.dirLen", smap_dirlen),
	R("internal/runtime/maps.Map.globalDepth", smap_globaldepth),
	R("internal/runtime/maps.Map", smap_size),
	R("internal/runtime/maps.table.used", stable_used),
	R("internal/runtime/maps.table.capacity", stable_capacity),
	R("internal/runtime/maps.table.index", stable_index),
	R("internal/runtime/maps.table.groups.data", stable_groups_data),
	R("internal/runtime/maps.table.groups.lengthMask", stable_groups_lengthmask),
	R("internal/runtime/maps.table", stable_size),
};

static unsigned table_value(const struct go_layout *L, const struct field_check *c)
{
	const uint8_t *p = (const uint8_t *)L + c->offset;

	if (c->width == 4)
		return *(const uint32_t *)p;
	return *(const uint16_t *)p;
}

static void test_layout_matches_dwarf(void **state)
{
	size_t i, k;

	for (i = 0; i < sizeof(toolchains) / sizeof(*toolchains); i++) {
		char bin[4096], cmd[16384], line[512];
		struct target t;
		const struct go_layout *L;
		FILE *p;
		int pos;

		snprintf(bin, sizeof(bin), "%s-mapleak", toolchains[i]);
		open_target(&t, bin);
		L = go_layout_for(t.bi.ver.minor);
		assert_non_null(L);
		pos = snprintf(cmd, sizeof(cmd), "%s/dwarflayout %s/%s", dir, dir, bin);
		for (k = 0; k < sizeof(checks) / sizeof(*checks); k++)
			pos += snprintf(cmd + pos, sizeof(cmd) - (size_t)pos, " %s", checks[k].dwarf);
		p = popen(cmd, "r");
		assert_non_null(p);
		for (k = 0; k < sizeof(checks) / sizeof(*checks); k++) {
			char name[256], val[64];
			unsigned want = table_value(L, &checks[k]);
			long got;

			if (!fgets(line, sizeof(line), p) || sscanf(line, "%255s %63s", name, val) != 2)
				fail_msg("%s: dwarflayout gave no answer for %s", bin, checks[k].dwarf);
			assert_string_equal(name, checks[k].dwarf);
			if (!strcmp(val, "-")) {
				/* absent in this version: the table must say so too */
				if (want != GO_ABSENT && !checks[k].renamed)
					fail_msg("%s: %s is absent but the table has %u", bin, checks[k].dwarf, want);
				continue;
			}
			got = strtol(val, NULL, 10);
			if ((long)want != got)
				fail_msg("%s (%s): %s is %ld in DWARF, %u in the layout table", bin, t.bi.version,
					 checks[k].dwarf, got, want);
		}
		pclose(p);
		target_close(&t);
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

static void test_globals_found_in_stripped_code(void **state)
{
	static const char *const fixtures[] = { "go119-mapleak", "go122-mapleak", "gocur-mapleak",
						"gocur-mapleak-pie", "go119-cgoload", "gocur-cgoload",
						"gocur-gcload-arm64", "go122-gcload-arm64", NULL };
	int i;

	for (i = 0; fixtures[i]; i++) {
		struct target t;
		const struct go_layout *L;

		open_target(&t, fixtures[i]);
		L = go_layout_for(t.bi.ver.minor);
		target_close(&t);
		check_global(fixtures[i], "runtime.mheap_", 0, mheap_referrers);
		check_global(fixtures[i], "runtime.memstats", L->mstats_heapstats, memstats_referrers);
	}
}

/* pclntab's line tables against go tool addr2line, at several pcs inside
 * functions of every toolchain's fixture. */
static void test_lines_match_addr2line(void **state)
{
	const char *go = getenv("HT_GO");
	size_t i;

	assert_non_null(go);
	for (i = 0; i < sizeof(toolchains) / sizeof(*toolchains); i++) {
		static const char *const funcs[] = { "main.fill", "main.growLater", "main.main",
						     "runtime.mallocgc", "runtime.gcStart", NULL };
		char bin[256], cmd[8192], tmp[] = "/tmp/ht-addr-XXXXXX";
		struct target t;
		int fd, f, checked = 0;
		FILE *in, *out;
		uint64_t pcs[64];
		int npcs = 0;

		snprintf(bin, sizeof(bin), "%s-mapleak", toolchains[i]);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layout_matches_dwarf),
		cmocka_unit_test(test_globals_found_in_stripped_code),
		cmocka_unit_test(test_lines_match_addr2line),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
