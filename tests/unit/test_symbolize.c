// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The inline tree and stack symbolizing on real binaries built by
 * tools/build-targets.sh (Go 1.19, 1.22, current), read from the stripped
 * twin. Oracles: Go's DWARF (tests/tools/inlframes: inlined subroutines,
 * call lines and the line table, nothing from pclntab) for every frame, and
 * `go tool addr2line` for the innermost line and the physical function.
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
#include "target/symbolize.h"
#include "target/target.h"

static const char *dir, *go;
/* Every toolchain, a program with deep inlining (net/http), and PIE. */
static const char *const binaries[] = { "go119-mapleak", "go119-httpsvc", "go122-mapleak", "go122-httpsvc",
					"gocur-mapleak", "gocur-httpsvc", "gocur-mapleak-pie", "go122-gcload-pie",
					NULL };

static int setup(void **state)
{
	dir = getenv("HT_TARGETS");
	go = getenv("HT_GO");
	return !dir || !go;
}

static void open_target(struct target *t, const char *name, const char *suffix)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s%s", dir, name, suffix);
	if (target_from_file(t, path))
		fail_msg("%s: %s", path, ht_last_error());
}

#define MAX_PCS 20000
#define MAX_FRAMES 16

/* Functions with inlined code of every kind: the fixture's own, the
 * runtime's allocator and map code, net/http's (several levels deep). */
static bool interesting(const char *name)
{
	static const char *const picks[] = { "runtime.mallocgc", "runtime.mapassign_fast64", "runtime.mapassign",
					     "runtime.growslice", "internal/runtime/maps.(*Map).putSlotSmall",
					     "internal/runtime/maps.(*table).grow", "runtime.gcStart",
					     "net/http.(*conn).serve", "net/http.(*response).finishRequest",
					     "net/textproto.MIMEHeader.Set", "net/http.Header.Set", NULL };
	int i;

	if (!strncmp(name, "main.", 5))
		return true;
	for (i = 0; picks[i]; i++)
		if (!strcmp(name, picks[i]))
			return true;
	return false;
}

/* Writes every pc of the interesting functions to a temporary file. */
static size_t pick_pcs(const struct target *t, uint64_t *pcs, char *tmp)
{
	int fd = mkstemp(tmp);
	FILE *f = fdopen(fd, "w");
	size_t i, n = 0;

	assert_non_null(f);
	for (i = 0; i < t->funcs.npcln; i++) {
		const struct go_func *fn = &t->funcs.pcln[i];
		uint64_t pc;

		if (!interesting(fn->name))
			continue;
		for (pc = fn->entry; pc < fn->end && n < MAX_PCS; pc++) {
			pcs[n++] = pc;
			fprintf(f, "0x%llx\n", (unsigned long long)pc);
		}
	}
	fclose(f);
	return n;
}

static void format_frames(const struct go_frame *fr, size_t n, char *buf, size_t len)
{
	size_t i, pos = 0;

	buf[0] = '\0';
	for (i = 0; i < n && pos < len; i++)
		pos += (size_t)snprintf(buf + pos, len - pos, "%s%s %s:%d", i ? " | " : "", fr[i].func ? fr[i].func : "?",
					fr[i].file ? fr[i].file : "?", fr[i].line);
}

/* The site go_stack_site gives for a stack whose innermost frame is in the
 * runtime and whose caller is at `ret` (a return address): the first
 * frame of the oracle's line that is not the runtime's, as "F (file:line)". */
static bool oracle_site(const char *frames, char *buf, size_t len)
{
	char copy[8192], *save = NULL, *f;

	snprintf(copy, sizeof(copy), "%s", frames);
	for (f = strtok_r(copy, "|", &save); f; f = strtok_r(NULL, "|", &save)) {
		char name[2048], loc[4096];

		if (sscanf(f, " %2047s %4095s", name, loc) != 2 || go_runtime_func(name))
			continue;
		snprintf(buf, len, "%s (%s)", name, loc);
		return true;
	}
	return false;
}

/* Every pc of the interesting functions: each frame (name, file, line)
 * against DWARF; every 16th inlined one also as the caller in a stack
 * whose innermost frame is runtime.mallocgc, with a made-up load bias, for
 * go_stack_frames and go_stack_site. */
static void check_binary(const char *bin)
{
	static uint64_t pcs[MAX_PCS];
	char tmp[] = "/tmp/ht-inl-XXXXXX", cmd[8192], line[8192], want[8192], got[8192];
	const uint64_t bias = 0x7f0000000000ull;
	struct target t;
	size_t n, k, inlined = 0, sites = 0, bad = 0;
	const struct go_func *malloc;
	FILE *out;

	open_target(&t, bin, ".stripped");
	malloc = go_funcs_find(&t.funcs, "runtime.mallocgc");
	assert_non_null(malloc);
	n = pick_pcs(&t, pcs, tmp);
	assert_true(n > 1000);
	snprintf(cmd, sizeof(cmd), "%s/inlframes %s/%s < %s", dir, dir, bin, tmp);
	out = popen(cmd, "r");
	assert_non_null(out);
	for (k = 0; k < n; k++) {
		struct go_frame fr[MAX_FRAMES], sf[2 * MAX_FRAMES];
		size_t nf = go_inline_frames(&t, t.layout, pcs[k], fr, MAX_FRAMES);
		char *sp, site[4200], wsite[8192];

		if (!fgets(line, sizeof(line), out))
			fail_msg("%s: inlframes gave too few lines", bin);
		line[strcspn(line, "\n")] = '\0';
		sp = strchr(line, ' ');
		assert_non_null(sp);
		snprintf(want, sizeof(want), "%s", sp + 1);
		/* Alignment padding after a function's code: pclntab counts it
		 * in the function, DWARF does not, and neither has a line. */
		if (!strcmp(want, "?") && nf == 1 && !fr[0].file)
			continue;
		format_frames(fr, nf, got, sizeof(got));
		if (strcmp(want, got) && bad++ < 10)
			print_message("%s at 0x%llx:\n  heaptrace %s\n  dwarf     %s\n", bin, (unsigned long long)pcs[k],
				      got, want);
		if (nf < 2 || inlined++ % 16)
			continue;
		{
			uint64_t stack[2] = { malloc->entry + 4 + bias, pcs[k] + 1 + bias };
			struct target tb = t;
			size_t ns;

			tb.load_bias = bias;
			ns = go_stack_frames(&tb, stack, 2, sf, 2 * MAX_FRAMES);
			if (ns < 1 + nf || strcmp(sf[0].func, "runtime.mallocgc") || sf[1].pc != pcs[k] + bias)
				fail_msg("%s: the stack at 0x%llx gives %zu frames, first %s", bin,
					 (unsigned long long)pcs[k], ns, sf[0].func);
			if (!oracle_site(want, wsite, sizeof(wsite)))
				continue;
			if (!go_stack_site(&tb, stack, 2, site, sizeof(site)) || strcmp(site, wsite))
				fail_msg("%s: site at 0x%llx is %s, DWARF says %s", bin, (unsigned long long)pcs[k], site,
					 wsite);
			sites++;
		}
	}
	pclose(out);
	unlink(tmp);
	print_message("%s: %zu pcs, %zu inlined, %zu sites, %zu differ\n", bin, n, inlined, sites, bad);
	if (bad)
		fail_msg("%s: %zu pcs whose frames differ from DWARF's", bin, bad);
	assert_true(inlined > 500 && sites > 20);
	target_close(&t);
}

static void test_frames_match_dwarf(void **state)
{
	int i;

	for (i = 0; binaries[i]; i++)
		check_binary(binaries[i]);
}

/* go tool addr2line names the physical function and the innermost line:
 * the outermost and innermost of our frames, at pcs spread over the text. */
static void test_ends_match_addr2line(void **state)
{
	int b;

	for (b = 0; binaries[b]; b++) {
		char tmp[] = "/tmp/ht-a2l-XXXXXX", cmd[8192];
		static uint64_t pcs[4096];
		struct target t;
		size_t i, n = 0, checked = 0;
		FILE *in, *out;

		open_target(&t, binaries[b], ".stripped");
		in = fdopen(mkstemp(tmp), "w");
		assert_non_null(in);
		for (i = 0; i < t.funcs.npcln && n < 4096; i += 3) {
			const struct go_func *fn = &t.funcs.pcln[i];
			const char *file;
			int line;

			/* a pc with a line, a third into the function */
			pcs[n] = fn->entry + (fn->end - fn->entry) / 3;
			if (!go_funcs_line(&t.funcs, pcs[n], &file, &line))
				fprintf(in, "0x%llx\n", (unsigned long long)pcs[n++]);
		}
		fclose(in);
		snprintf(cmd, sizeof(cmd), "%s tool addr2line %s/%s < %s", go, dir, binaries[b], tmp);
		out = popen(cmd, "r");
		assert_non_null(out);
		for (i = 0; i < n; i++) {
			char fn_line[2048], file_line[4096], inner[4200];
			struct go_frame fr[MAX_FRAMES];
			size_t nf = go_inline_frames(&t, t.layout, pcs[i], fr, MAX_FRAMES);

			if (!fgets(fn_line, sizeof(fn_line), out) || !fgets(file_line, sizeof(file_line), out))
				fail_msg("addr2line gave too few lines");
			fn_line[strcspn(fn_line, "\n")] = file_line[strcspn(file_line, "\n")] = '\0';
			assert_true(nf >= 1);
			snprintf(inner, sizeof(inner), "%s:%d", fr[0].file, fr[0].line);
			if (strcmp(fr[nf - 1].func, fn_line) || strcmp(inner, file_line))
				fail_msg("%s at 0x%llx: outermost %s, innermost at %s; addr2line %s %s", binaries[b],
					 (unsigned long long)pcs[i], fr[nf - 1].func, inner, fn_line, file_line);
			checked++;
		}
		pclose(out);
		unlink(tmp);
		assert_true(checked > 500);
		target_close(&t);
	}
}

/* A layout-less target (a Go version heaptrace does not know) still names
 * the physical function. */
static void test_unknown_layout_gives_the_physical_frame(void **state)
{
	struct target t;
	const struct go_func *fn;
	struct go_frame fr[4];

	open_target(&t, "gocur-mapleak", ".stripped");
	fn = go_funcs_find(&t.funcs, "main.main");
	assert_non_null(fn);
	assert_int_equal(go_inline_frames(&t, NULL, fn->entry + 0x40, fr, 4), 1);
	assert_string_equal(fr[0].func, "main.main");
	assert_int_equal(go_inline_frames(&t, t.layout, fn->end + 0x100000000ull, fr, 4), 0);
	target_close(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_frames_match_dwarf),
		cmocka_unit_test(test_ends_match_addr2line),
		cmocka_unit_test(test_unknown_layout_gives_the_physical_frame),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
