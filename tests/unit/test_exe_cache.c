// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The executable cache and what it keeps of a program (issue 21): symbols
 * read from the file after the analysis equal those read during it; nothing
 * of the file stays mapped, so a truncated file fails a lookup instead of
 * killing heaptrace; files of one content share one analysis, but only when
 * their probed code is the same bytes; the cache stays bounded whatever the
 * host runs. On the Go programs of tools/build-targets.sh; no root needed.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include "exe_cache.h"
#include "target/goinline.h"
#include "util/log.h"
#include "toolchains.h"

static const char *dir;
static char tmpdir[] = "/tmp/ht-exe-cache-XXXXXX";
static struct toolchain toolchains[MAX_TOOLCHAINS];
static int ntoolchains;

static int setup(void **state)
{
	dir = getenv("HT_TARGETS");
	if (!dir)
		fail_msg("HT_TARGETS is not set: run through 'make unit'");
	ntoolchains = toolchains_load(dir, toolchains, MAX_TOOLCHAINS);
	if (!mkdtemp(tmpdir))
		fail_msg("mkdtemp: %s", strerror(errno));
	return ntoolchains < 3;
}

static int teardown(void **state)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	return system(cmd) != 0;
}

static void copy_file(const char *from, const char *to)
{
	char cmd[8600];

	snprintf(cmd, sizeof(cmd), "cp %s %s", from, to);
	if (system(cmd))
		fail_msg("%s failed", cmd);
}

/* A target as target_identify leaves it, for a file (no process). */
static void identify_file(const char *path, struct target *t)
{
	memset(t, 0, sizeof(*t));
	t->exe_fd = open(path, O_RDONLY | O_CLOEXEC);
	if (t->exe_fd < 0)
		fail_msg("%s: %s", path, strerror(errno));
	t->exe_open = true;
	snprintf(t->exe, sizeof(t->exe), "%s", path);
	snprintf(t->open_path, sizeof(t->open_path), "/proc/self/fd/%d", t->exe_fd);
	assert_int_equal(file_identity_of(t->exe_fd, &t->id), 0);
}

#define SAMPLES 300

struct frame_text {
	char text[512];
};

/* The frames of SAMPLES pcs spread over the program's functions, as text. */
static size_t sample_frames(const struct target *t, const uint64_t *pcs, size_t n, struct frame_text *out)
{
	struct go_frame fr[16];
	size_t i, k, got = 0;

	for (i = 0; i < n; i++) {
		size_t nf = go_inline_frames(t, t->layout, pcs[i], fr, 16);
		size_t o = 0;

		for (k = 0; k < nf && o < sizeof(out[i].text); k++)
			o += (size_t)snprintf(out[i].text + o, sizeof(out[i].text) - o, "%s@%s:%d;",
					      fr[k].func ? fr[k].func : "?", fr[k].file ? fr[k].file : "?", fr[k].line);
		out[i].text[o < sizeof(out[i].text) ? o : sizeof(out[i].text) - 1] = '\0';
		got += nf > 0;
	}
	return got;
}

static size_t pick_pcs(const struct target *t, uint64_t *pcs)
{
	size_t i, n = 0, step = t->funcs.npcln / SAMPLES + 1;

	for (i = 0; i < t->funcs.npcln && n < SAMPLES; i += step) {
		const struct go_func *f = &t->funcs.pcln[i];

		pcs[n++] = f->entry + (f->end - f->entry) / 2;
	}
	return n;
}

/* Is anything of `path` mapped into this process? */
static bool mapped(const char *path)
{
	char line[4600];
	bool hit = false;
	FILE *f = fopen("/proc/self/maps", "r");

	while (f && fgets(line, sizeof(line), f))
		hit |= strstr(line, path) != NULL;
	if (f)
		fclose(f);
	return hit;
}

static void test_symbols_after_trim_equal_those_before(void **state)
{
	static struct frame_text before[SAMPLES], after[SAMPLES];
	uint64_t pcs[SAMPLES];
	const char *suffix[] = { "", ".stripped" };
	int i, s;

	for (i = 0; i < ntoolchains; i++) {
		for (s = 0; s < 2; s++) {
			char path[4200];
			struct target t;
			size_t n, named, k;

			snprintf(path, sizeof(path), "%s/%s-gcload%s", dir, toolchains[i].name, suffix[s]);
			if (target_from_file(&t, path))
				fail_msg("%s: %s", path, ht_last_error());
			n = pick_pcs(&t, pcs);
			named = sample_frames(&t, pcs, n, before);
			assert_true(named > n * 9 / 10);
			go_inline_prepare(&t);
			target_trim(&t);
			assert_null(t.funcs.pcln);
			assert_int_equal(t.elf.read_bytes, 0);
			assert_false(mapped(path));
			assert_int_equal(sample_frames(&t, pcs, n, after), named);
			for (k = 0; k < n; k++)
				if (strcmp(before[k].text, after[k].text))
					fail_msg("%s pc 0x%llx: before the trim %s, after %s", path,
						 (unsigned long long)pcs[k], before[k].text, after[k].text);
			target_close(&t);
		}
	}
}

static void test_truncated_file_fails_lookups_not_heaptrace(void **state)
{
	char from[4200], path[4200];
	uint64_t pcs[SAMPLES];
	struct frame_text fr[SAMPLES];
	struct target t;
	size_t n;

	snprintf(from, sizeof(from), "%s/gocur-gcload", dir);
	snprintf(path, sizeof(path), "%s/truncated", tmpdir);
	copy_file(from, path);
	if (target_from_file(&t, path))
		fail_msg("%s: %s", path, ht_last_error());
	n = pick_pcs(&t, pcs);
	go_inline_prepare(&t);
	target_trim(&t);
	assert_int_equal(truncate(path, 0), 0);
	/* a SIGBUS here would end the test binary */
	assert_int_equal(sample_frames(&t, pcs, n, fr), 0);
	target_close(&t);
}

static void test_copies_share_one_analysis(void **state)
{
	char from[4200], a[4200], b[4200];
	struct target ta, tb;
	struct exe_cache c;
	struct exe_entry *ea, *eb;

	snprintf(from, sizeof(from), "%s/gocur-mapleak.stripped", dir);
	snprintf(a, sizeof(a), "%s/image-a", tmpdir);
	snprintf(b, sizeof(b), "%s/image-b", tmpdir);
	copy_file(from, a);
	copy_file(from, b);
	exe_cache_init(&c, HT_TIER_WARM);
	identify_file(a, &ta);
	identify_file(b, &tb);
	ea = exe_cache_get(&c, &ta);
	eb = exe_cache_get(&c, &tb);
	assert_non_null(ea);
	assert_true(ea->usable);
	assert_ptr_equal(ea, eb);
	assert_int_equal(c.analyses, 1);
	assert_int_equal(c.shared_by_content, 1);
	/* the same file again: found by its identity */
	assert_ptr_equal(exe_cache_get(&c, &ta), ea);
	assert_int_equal(c.analyses, 1);
	target_close(&ta);
	target_close(&tb);
	exe_cache_free(&c);
}

/* A copy whose probed code differs, all else equal (size, head, tail, build
 * id): it gets an analysis of its own, never the other file's plan. */
static void test_other_code_is_analysed_apart(void **state)
{
	char from[4200], a[4200], b[4200];
	struct target ta, tb;
	struct exe_cache c;
	struct exe_entry *ea, *eb;
	uint64_t off;
	uint8_t byte;
	int fd;

	snprintf(from, sizeof(from), "%s/gocur-gcload", dir);
	snprintf(a, sizeof(a), "%s/code-a", tmpdir);
	snprintf(b, sizeof(b), "%s/code-b", tmpdir);
	copy_file(from, a);
	copy_file(from, b);
	exe_cache_init(&c, HT_TIER_WARM);
	identify_file(a, &ta);
	ea = exe_cache_get(&c, &ta);
	assert_true(ea && ea->usable && ea->plan.n > 0);
	/* one byte in the middle of the first probed function's code */
	assert_int_equal(elf_vaddr_to_offset(&ea->prog.elf, ea->plan.probes[0].func.entry +
						   (ea->plan.probes[0].func.end - ea->plan.probes[0].func.entry) / 2,
					     &off), 0);
	assert_true(off > 64 * 1024);
	fd = open(b, O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, &byte, 1, (off_t)off), 1);
	byte ^= 0xff;
	assert_int_equal(pwrite(fd, &byte, 1, (off_t)off), 1);
	close(fd);
	identify_file(b, &tb);
	eb = exe_cache_get(&c, &tb);
	assert_non_null(eb);
	assert_ptr_not_equal(ea, eb);
	assert_int_equal(c.code_mismatches, 1);
	assert_int_equal(c.analyses, 2);
	target_close(&ta);
	target_close(&tb);
	exe_cache_free(&c);
}

static long rss_kb(void)
{
	char line[256];
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "r");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb;
}

/* 2,000 programs that are not Go, each a file of its own: the cache keeps a
 * bounded number of refusals and aliases, and heaptrace's memory with them. */
static void test_thousands_of_refusals_stay_bounded(void **state)
{
	struct exe_cache c;
	long before, after;
	int i;

	exe_cache_init(&c, HT_TIER_WARM);
	before = rss_kb();
	for (i = 0; i < 2000; i++) {
		char path[4200], body[64];
		struct target t;
		struct exe_entry *e;
		int fd;

		snprintf(path, sizeof(path), "%s/script-%d", tmpdir, i);
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0755);
		assert_true(fd >= 0);
		snprintf(body, sizeof(body), "#!/bin/sh\necho %d\n", i);
		assert_int_equal(write(fd, body, strlen(body)), (ssize_t)strlen(body));
		close(fd);
		identify_file(path, &t);
		e = exe_cache_get(&c, &t);
		assert_true(e && !e->usable);
		target_close(&t);
		unlink(path);
	}
	after = rss_kb();
	assert_true(c.nrefused <= EXE_MAX_REFUSED);
	assert_true(c.nalias <= EXE_MAX_ALIASES);
	print_message("2000 refusals: %zu kept, %zu aliases, %zu bytes, RSS +%ld KiB\n", c.nrefused, c.nalias,
		      exe_cache_bytes(&c), after - before);
	assert_true(after - before < 8 * 1024);
	exe_cache_free(&c);
}

/* Go programs of distinct content, more than the cache keeps: the idle
 * ones least recently used go, and what is kept stays within its bounds. */
static void test_distinct_programs_are_evicted(void **state)
{
	char from[4200];
	struct exe_cache c;
	int i, n = EXE_MAX_ENTRIES + 12;

	snprintf(from, sizeof(from), "%s/gocur-gcload.stripped", dir);
	exe_cache_init(&c, HT_TIER_WARM);
	for (i = 0; i < n; i++) {
		char path[4200];
		struct target t;
		struct exe_entry *e;
		int fd;

		snprintf(path, sizeof(path), "%s/prog-%d", tmpdir, i);
		copy_file(from, path);
		/* a different tail: a different content key */
		fd = open(path, O_WRONLY | O_APPEND);
		assert_true(fd >= 0);
		assert_int_equal(write(fd, &i, sizeof(i)), (ssize_t)sizeof(i));
		close(fd);
		identify_file(path, &t);
		e = exe_cache_get(&c, &t);
		assert_true(e && e->usable);
		target_close(&t);
		unlink(path);
	}
	assert_int_equal(c.analyses, (uint64_t)n);
	assert_true(c.n <= EXE_MAX_ENTRIES);
	assert_true(c.evicted >= 12);
	assert_true(exe_cache_bytes(&c) <= EXE_MAX_BYTES);
	print_message("%d programs: %zu kept, %llu evicted, %zu bytes\n", n, c.n, (unsigned long long)c.evicted,
		      exe_cache_bytes(&c));
	exe_cache_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_symbols_after_trim_equal_those_before),
		cmocka_unit_test(test_truncated_file_fails_lookups_not_heaptrace),
		cmocka_unit_test(test_copies_share_one_analysis),
		cmocka_unit_test(test_other_code_is_analysed_apart),
		cmocka_unit_test(test_thousands_of_refusals_stay_bounded),
		cmocka_unit_test(test_distinct_programs_are_evicted),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
