// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The readers and the planner on real Go binaries built by
 * tools/build-targets.sh (every toolchain of tools/toolchains; stripped and
 * not; cgo, PIE, arm64). Independent oracles: nm for function entries, llvm-objdump for
 * instruction boundaries. No root needed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>
#include <cmocka.h>
#include "util/log.h"
#include "plan/probeplan.h"
#include "heap/gomap_tracker.h"
#include "heap/page_stats.h"
#include "toolchains.h"

#define MAX_TARGETS 64
static char names[MAX_TARGETS][64];
static int ntargets;
static const char *dir;
static struct toolchain toolchains[MAX_TOOLCHAINS];
static int ntoolchains;

static void path_of(char *buf, size_t len, const char *name, const char *suffix)
{
	snprintf(buf, len, "%s/%.63s%s", dir, name, suffix);
}

static int load_manifest(void **state)
{
	char path[2100];
	FILE *f;

	dir = getenv("HT_TARGETS");
	if (!dir)
		fail_msg("HT_TARGETS is not set: run through 'make unit'");
	path_of(path, sizeof(path), "manifest", "");
	f = fopen(path, "r");
	if (!f)
		fail_msg("cannot read %s", path);
	while (ntargets < MAX_TARGETS && fgets(names[ntargets], sizeof(names[0]), f)) {
		names[ntargets][strcspn(names[ntargets], "\n")] = '\0';
		if (names[ntargets][0])
			ntargets++;
	}
	fclose(f);
	ntoolchains = toolchains_load(dir, toolchains, MAX_TOOLCHAINS);
	/* the manifest lists every toolchain and variant */
	return ntargets < 8 || ntoolchains < 3;
}

static bool is_arm64(const char *name)
{
	return strstr(name, "arm64") != NULL;
}

static void open_planned(const char *name, const char *suffix, struct target *t, struct probe_plan *p)
{
	char path[2100];

	path_of(path, sizeof(path), name, suffix);
	if (target_from_file(t, path))
		fail_msg("%s: %s", path, ht_last_error());
	if (plan_probes(t, HT_TIER_HOT, p))
		fail_msg("%s: %s", path, ht_last_error());
}

/* nm's address for symbol `sym` in file, or 0. */
static uint64_t nm_addr(const char *name, const char *sym)
{
	char cmd[2600], line[1024], path[2100];
	uint64_t addr = 0;
	FILE *f;

	path_of(path, sizeof(path), name, "");
	snprintf(cmd, sizeof(cmd), "%s --defined-only '%s'", is_arm64(name) ? "llvm-nm" : "nm", path);
	f = popen(cmd, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		unsigned long long a;
		char type, s[900];

		if (sscanf(line, "%llx %c %899s", &a, &type, s) == 3 && (type == 'T' || type == 't') &&
		    !strcmp(s, sym))
			addr = a;
	}
	pclose(f);
	return addr;
}

static void test_version_and_layout(void **state)
{
	bool seen[MAX_TOOLCHAINS] = { false };
	int i;

	for (i = 0; i < ntargets; i++) {
		struct target t, ts;
		struct probe_plan p, ps;
		/* the go command's own version of the toolchain that built it */
		const struct toolchain *tc = toolchain_of(toolchains, ntoolchains, names[i]);
		int want;

		if (!tc)
			fail_msg("%s: built by no toolchain of the toolchains file", names[i]);
		seen[tc - toolchains] = true;
		want = tc->minor;

		open_planned(names[i], "", &t, &p);
		open_planned(names[i], ".stripped", &ts, &ps);
		if (t.bi.ver.minor != want || ts.bi.ver.minor != want)
			fail_msg("%s: Go minor %d/%d, want %d", names[i], t.bi.ver.minor, ts.bi.ver.minor, want);
		if (go_funcs_stripped(&t.funcs) || !go_funcs_stripped(&ts.funcs))
			fail_msg("%s: stripped flags wrong", names[i]);
		if (strcmp(t.map_impl, want >= 24 ? "swiss" : "buckets"))
			fail_msg("%s: map_impl %s", names[i], t.map_impl);
		if (t.elf.pie != (strstr(names[i], "-pie") != NULL))
			fail_msg("%s: PIE flag wrong", names[i]);
		if (t.funcs.text_start != ts.funcs.text_start)
			fail_msg("%s: text start differs when stripped", names[i]);
		/* Go 1.26 no longer writes the text start in the pclntab header. */
		if (want >= 26 && (t.funcs.tab.textstart_raw || strcmp(t.funcs.text_start_source, "runtime.firstmoduledata")))
			fail_msg("%s: expected the text start from moduledata", names[i]);
		target_close(&t);
		target_close(&ts);
	}
	for (i = 0; i < ntoolchains; i++)
		if (!seen[i])
			fail_msg("no program built with %s in the manifest", toolchains[i].name);
}

static void test_entries_match_nm(void **state)
{
	int i, j, checked = 0;

	for (i = 0; i < ntargets; i++) {
		struct target t;
		struct probe_plan p;

		open_planned(names[i], ".stripped", &t, &p);
		if (p.n < 8)
			fail_msg("%s: only %d probes planned", names[i], p.n);
		for (j = 0; j < p.n; j++, checked++) {
			uint64_t want = nm_addr(names[i], p.probes[j].spec->symbol);

			if (p.probes[j].func.entry != want)
				fail_msg("%s: %s planned at 0x%llx, nm says 0x%llx", names[i], p.probes[j].spec->symbol,
					 (unsigned long long)p.probes[j].func.entry, (unsigned long long)want);
		}
		target_close(&t);
	}
	assert_true(checked > 50);
}

/*
 * The default tiers (cold and warm) on every toolchain's build: only
 * functions whose measured rate on real servers is per GC cycle, per
 * scavenger pass or per growth of a large table (runtime_probes.c says each
 * rate). A function that runs per request -- map creation, a small map's
 * first growths, every assignment, allocation, stack growth -- must never
 * enter them: on a Go 1.26 etcd growToSmall alone cost 16-18% of its puts.
 */
static void test_default_tiers_hold_no_per_operation_function(void **state)
{
	static const char *const per_gc_or_large_growth[] = {
		"runtime.gcStart", "runtime.gcMarkTermination", "runtime.stopTheWorldWithSema",
		"runtime.startTheWorldWithSema", "runtime.sysUnusedOS", "runtime.(*pageAlloc).scavenge",
		"runtime.(*scavengerState).run", "runtime/debug.freeOSMemory", "runtime.madvise.abi0",
		"runtime.(*mheap).grow", "runtime.hashGrow", "internal/runtime/maps.(*table).grow",
		"internal/runtime/maps.(*table).split", NULL,
	};
	static const char *const per_operation[] = {
		"internal/runtime/maps.(*Map).growToSmall", "internal/runtime/maps.(*Map).growToTable",
		"runtime.mapassign", "runtime.mapassign_fast64", "runtime.mapassign_faststr", "runtime.sysUsedOS",
		"runtime.sysHugePageOS", NULL,
	};
	int i, j, k, hot_seen = 0;

	for (i = 0; i < ntargets; i++) {
		struct target t;
		struct probe_plan p;

		open_planned(names[i], ".stripped", &t, &p);
		for (j = 0; j < p.n; j++) {
			const struct probe_spec *s = p.probes[j].spec;
			bool allowed = false;

			for (k = 0; per_operation[k]; k++)
				if (!strcmp(s->symbol, per_operation[k])) {
					if (s->tier != HT_TIER_HOT)
						fail_msg("%s: %s runs per operation but is in the %s tier", names[i],
							 s->symbol, tier_name(s->tier));
					hot_seen++;
				}
			if (s->tier == HT_TIER_HOT)
				continue;
			for (k = 0; per_gc_or_large_growth[k]; k++)
				allowed |= !strcmp(s->symbol, per_gc_or_large_growth[k]);
			if (!allowed)
				fail_msg("%s: %s is in the %s tier without a measured rate that allows it (add it to this "
					 "test with its rate on real servers, or make it hot)", names[i], s->symbol,
					 tier_name(s->tier));
		}
		target_close(&t);
	}
	assert_true(hot_seen >= ntargets * 4); /* the list names functions the programs have */
}

static void test_stripped_plan_identical(void **state)
{
	int i, j, k;

	for (i = 0; i < ntargets; i++) {
		struct target t, ts;
		struct probe_plan p, ps;

		open_planned(names[i], "", &t, &p);
		open_planned(names[i], ".stripped", &ts, &ps);
		if (p.n != ps.n || p.nskipped != ps.nskipped)
			fail_msg("%s: %d/%d probes unstripped, %d/%d stripped", names[i], p.n, p.nskipped, ps.n, ps.nskipped);
		for (j = 0; j < p.n; j++) {
			const struct planned_probe *a = &p.probes[j], *b = &ps.probes[j];

			if (a->spec != b->spec || a->func.entry != b->func.entry || a->code.attach != b->code.attach ||
			    a->code.nexits != b->code.nexits)
				fail_msg("%s: %s planned differently when stripped", names[i], a->spec->symbol);
			for (k = 0; k < a->code.nexits; k++)
				if (a->code.exits[k] != b->code.exits[k])
					fail_msg("%s: %s exit %d differs when stripped", names[i], a->spec->symbol, k);
		}
		target_close(&t);
		target_close(&ts);
	}
}

/* llvm-objdump's instruction starts in [lo, hi) and which of them are RETs
 * or conditional branches. */
struct insns {
	uint64_t addr[8192];
	char kind[8192]; /* 'r' ret, 'j' conditional branch, '.' other */
	int n;
};

static void objdump(const char *name, uint64_t lo, uint64_t hi, struct insns *out)
{
	char cmd[2700], line[512], path[2100];
	FILE *f;

	path_of(path, sizeof(path), name, "");
	snprintf(cmd, sizeof(cmd),
		 "llvm-objdump -d --no-show-raw-insn --start-address=0x%llx --stop-address=0x%llx '%s'",
		 (unsigned long long)lo, (unsigned long long)hi, path);
	f = popen(cmd, "r");
	assert_non_null(f);
	out->n = 0;
	while (fgets(line, sizeof(line), f) && out->n < 8192) {
		unsigned long long a;
		char mn[64] = "";

		if (sscanf(line, " %llx: %63s", &a, mn) < 1 || !strchr(line, ':') || strchr(line, '<') == line)
			continue;
		if (a < lo || a >= hi)
			continue;
		out->addr[out->n] = a;
		out->kind[out->n] = !strncmp(mn, "ret", 3) ? 'r' :
				    (mn[0] == 'j' && strcmp(mn, "jmp")) || !strncmp(mn, "b.", 2) ? 'j' : '.';
		out->n++;
	}
	pclose(f);
}

static char kind_at(const struct insns *in, uint64_t a)
{
	int i;

	for (i = 0; i < in->n; i++)
		if (in->addr[i] == a)
			return in->kind[i];
	return 0;
}

static void test_points_are_instruction_boundaries(void **state)
{
	static struct insns in;
	int i, j, k;

	for (i = 0; i < ntargets; i++) {
		struct target t;
		struct probe_plan p;

		open_planned(names[i], ".stripped", &t, &p);
		for (j = 0; j < p.n; j++) {
			const struct planned_probe *pp = &p.probes[j];
			char ka;
			int rets = 0;

			objdump(names[i], pp->func.entry, pp->func.end, &in);
			ka = kind_at(&in, pp->code.attach);
			if (pp->code.attach < pp->func.entry || pp->code.attach >= pp->func.end || !ka)
				fail_msg("%s: %s attach 0x%llx is not an instruction of the function", names[i],
					 pp->spec->symbol, (unsigned long long)pp->code.attach);
			if (pp->code.attach_kind == ATTACH_STACK_CHECK_BRANCH && ka != 'j')
				fail_msg("%s: %s attach 0x%llx is not a conditional branch", names[i],
					 pp->spec->symbol, (unsigned long long)pp->code.attach);
			for (k = 0; k < pp->code.nexits; k++)
				if (kind_at(&in, pp->code.exits[k]) != 'r')
					fail_msg("%s: %s exit 0x%llx is not a RET instruction", names[i],
						 pp->spec->symbol, (unsigned long long)pp->code.exits[k]);
			for (k = 0; k < in.n; k++)
				rets += in.kind[k] == 'r';
			if (rets != pp->code.nexits)
				fail_msg("%s: %s has %d RETs, planned %d", names[i], pp->spec->symbol, rets,
					 pp->code.nexits);
		}
		target_close(&t);
	}
}

static void test_cgo_text_start_is_not_text_section(void **state)
{
	int i, seen = 0;

	for (i = 0; i < ntargets; i++) {
		struct elf_section text;
		struct target t;
		struct probe_plan p;

		if (!strstr(names[i], "cgo"))
			continue;
		open_planned(names[i], ".stripped", &t, &p);
		assert_true(elf_find_section(&t.elf, ".text", &text));
		/* C code comes first: offsets from .text would be wrong. */
		if (t.funcs.text_start == text.addr)
			fail_msg("%s: text start equals .text; the cgo case is not exercised", names[i]);
		seen++;
		target_close(&t);
	}
	assert_true(seen >= 2);
}

/* A copy of program `name` whose .go.buildinfo names Go 1.minor instead
 * (the version string edited in place, at the same length), in out. */
static void forge_version(const char *name, int minor, char *out, size_t outlen)
{
	static const char magic[] = "\xff Go buildinf:";
	char path[2100], ver[64], forged[64];
	uint8_t *img, *hdr, *p;
	size_t len, vlen;
	const char *dot;
	FILE *f;
	int fd;

	path_of(path, sizeof(path), name, "");
	f = fopen(path, "rb");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	len = (size_t)ftell(f);
	rewind(f);
	img = malloc(len);
	assert_non_null(img);
	assert_int_equal(fread(img, 1, len, f), len);
	fclose(f);
	hdr = memmem(img, len, magic, sizeof(magic) - 1);
	assert_non_null(hdr);
	/* Go 1.18+: flags bit 2, then varint-length strings after the 32-byte header */
	assert_true(hdr[15] & 2);
	p = hdr + 32;
	vlen = p[0];
	assert_true(vlen < sizeof(ver) && vlen > 5);
	memcpy(ver, p + 1, vlen);
	ver[vlen] = '\0';
	dot = strchr(ver + 4, '.'); /* go1.MINOR.PATCH */
	snprintf(forged, sizeof(forged), "go1.%d%s", minor, dot ? dot : "");
	if (strlen(forged) != vlen)
		fail_msg("%s: cannot forge %s as %s (lengths differ)", name, ver, forged);
	memcpy(p + 1, forged, vlen);
	snprintf(out, outlen, "/tmp/ht-forged-%s-XXXXXX", forged);
	fd = mkstemp(out);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, img, len), (ssize_t)len);
	close(fd);
	free(img);
}

/* A Go newer than the tables is traced with the newest probe entries; what
 * needs the runtime's layout says it is missing, naming the version. */
static void test_newer_go_traced_without_layout(void **state)
{
	const struct toolchain *newest = NULL;
	struct target t, real;
	struct probe_plan p, pr;
	struct map_tracker mt;
	struct heapstats_reader hr;
	struct heap_stats hs;
	char path[256], name[64], want[256];
	int i;

	for (i = 0; i < ntoolchains; i++)
		if (!newest || toolchains[i].minor > newest->minor)
			newest = &toolchains[i];
	assert_int_equal(newest->minor, GO_MAX_KNOWN_MINOR); /* a newer Go: a new table entry and toolchain */
	snprintf(name, sizeof(name), "%.31s-gcload", newest->name);
	forge_version(name, GO_MAX_KNOWN_MINOR + 1, path, sizeof(path));
	if (target_from_file(&t, path))
		fail_msg("%s: %s", path, ht_last_error());
	assert_int_equal(t.bi.ver.minor, GO_MAX_KNOWN_MINOR + 1);
	assert_null(t.layout);
	assert_string_equal(t.map_impl, "swiss");
	if (plan_probes(&t, HT_TIER_HOT, &p))
		fail_msg("%s: %s", path, ht_last_error());
	open_planned(name, "", &real, &pr);
	assert_int_equal(p.n, pr.n);
	for (i = 0; i < p.n; i++) {
		assert_ptr_equal(p.probes[i].spec, pr.probes[i].spec);
		assert_int_equal(p.probes[i].code.attach, pr.probes[i].code.attach);
	}
	map_tracker_open(&mt, &t);
	snprintf(want, sizeof(want),
		 "no runtime layout for go1.%d (heaptrace's layout table ends at Go 1.%d), so the runtime's page accounting is not shown either",
		 GO_MAX_KNOWN_MINOR + 1, GO_MAX_KNOWN_MINOR);
	assert_string_equal(mt.unavailable, want);
	assert_int_equal(mt.mheap, 0);
	/* growth records still arrive: they must not be followed (nothing
	 * could read them back) nor crash on the missing layout */
	map_tracker_grew(&mt, 0xc000100000ull, 0x4a0000, 1000, NULL, 0);
	assert_int_equal(mt.n, 0);
	map_tracker_refresh(&mt);
	map_tracker_close(&mt);
	heapstats_open(&hr, &t);
	assert_false(heapstats_read(&hr, &hs));
	target_close(&t);
	target_close(&real);
	unlink(path);
}

/* A Go older than the tables is refused, naming its version. */
static void test_older_go_refused_naming_it(void **state)
{
	char path[256], name[64], want[128];
	struct target t;

	snprintf(name, sizeof(name), "%.31s-gcload", toolchains[0].name);
	assert_int_equal(toolchains[0].minor, GO_MIN_SUPPORTED_MINOR);
	forge_version(name, GO_MIN_SUPPORTED_MINOR - 1, path, sizeof(path));
	assert_int_not_equal(target_from_file(&t, path), 0);
	snprintf(want, sizeof(want), "was built by go1.%d.", GO_MIN_SUPPORTED_MINOR - 1);
	if (!strstr(ht_last_error(), want) || !strstr(ht_last_error(), "no probe or layout table for Go before 1.19"))
		fail_msg("unexpected message: %s", ht_last_error());
	target_close(&t);
	unlink(path);
}

static void test_non_go_program_refused(void **state)
{
	struct target t;

	assert_int_not_equal(target_from_file(&t, "/bin/true"), 0);
	assert_non_null(strstr(ht_last_error(), "not a Go program"));
	target_close(&t);
}

/* A target identified but not read (host mode drops every process its
 * filters do not want) owns no ELF descriptor: closing it must leave fd 0,
 * which another part of heaptrace may have opened since, alone. */
static void test_closing_an_identified_target_closes_only_its_own(void **state)
{
	struct target t;
	int fd0 = dup(0), fd;

	assert_true(fd0 >= 0);
	close(0);
	fd = open("/dev/null", O_RDONLY); /* takes fd 0, as a socket would */
	assert_int_equal(fd, 0);
	assert_int_equal(target_identify(&t, getpid()), 0);
	target_close(&t);
	assert_int_not_equal(fcntl(0, F_GETFD), -1);
	assert_int_not_equal(target_identify(&t, -1), 0);
	target_close(&t);
	assert_int_not_equal(target_from_file(&t, "/nonexistent/heaptrace-test"), 0);
	target_close(&t);
	assert_int_not_equal(fcntl(0, F_GETFD), -1);
	dup2(fd0, 0);
	close(fd0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_version_and_layout),
		cmocka_unit_test(test_entries_match_nm),
		cmocka_unit_test(test_default_tiers_hold_no_per_operation_function),
		cmocka_unit_test(test_stripped_plan_identical),
		cmocka_unit_test(test_points_are_instruction_boundaries),
		cmocka_unit_test(test_cgo_text_start_is_not_text_section),
		cmocka_unit_test(test_newer_go_traced_without_layout),
		cmocka_unit_test(test_older_go_refused_naming_it),
		cmocka_unit_test(test_non_go_program_refused),
		cmocka_unit_test(test_closing_an_identified_target_closes_only_its_own),
	};

	return cmocka_run_group_tests_name("targets", tests, load_manifest, NULL);
}
