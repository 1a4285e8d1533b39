// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* libFuzzer: a whole program file through every reader heaptrace runs on a
 * target (ELF, .go.buildinfo, pclntab, moduledata, .symtab, the planner's
 * decoding and call sites, the inline tree, the map type descriptors), from
 * memory; then as heaptrace reads it from a file, analysed, trimmed, and
 * asked to name addresses a stack could hold (any: a target writes its own
 * frame pointers). Seeded with real Go binaries. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "plan/probeplan.h"
#include <sys/mman.h>
#include <unistd.h>
#include "target/gomaptypes.h"
#include "target/goinline.h"
#include "target/symbolize.h"

/* The inline tree at a few pcs of every function, and the map types. */
static void read_types_and_inlining(struct target *t)
{
	struct go_map_types mt;
	struct go_frame fr[16];
	size_t i;

	for (i = 0; i < t->funcs.npcln; i++) {
		const struct go_func *f = &t->funcs.pcln[i];

		go_inline_frames(t, t->layout, f->entry + (f->end - f->entry) / 2, fr, 16);
	}
	if (go_map_types_load(&t->elf, t->funcs.moduledata, t->layout, &mt) == 0)
		go_map_types_free(&mt);
}

/* As a cached program: read from its file, trimmed, then symbolizing. */
static void from_file(const uint8_t *data, size_t size)
{
	int fd = memfd_create("fuzz-program", MFD_CLOEXEC);
	struct go_frame fr[64];
	uint64_t stack[8];
	char path[64], site[256];
	struct target t;
	size_t i;

	if (fd < 0)
		return;
	if (write(fd, data, size) == (ssize_t)size) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		if (target_from_file(&t, path) == 0) {
			go_inline_prepare(&t);
			target_trim(&t);
			/* addresses from the input's tail, and around the text */
			for (i = 0; i < 8; i++) {
				stack[i] = t.funcs.text_start + (uint64_t)i * 0x1234;
				if (size >= 64)
					memcpy(&stack[i], data + size - 64 + 8 * i, 8);
			}
			go_stack_frames(&t, stack, 8, fr, 64);
			go_stack_site(&t, stack, 8, site, sizeof(site));
		}
		target_close(&t);
	}
	close(fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* libelf may touch the image: give it memory of its own. */
	uint8_t *copy = malloc(size ? size : 1);
	struct target t;
	struct probe_plan plan;

	if (!copy)
		return 0;
	memcpy(copy, data, size);
	memset(&t, 0, sizeof(t));
	if (elf_image_from_memory(&t.elf, copy, size) == 0) {
		if (go_funcs_load(&t.elf, &t.funcs) == 0) {
			if (buildinfo_read(&t.elf, &t.bi) == 0) {
				snprintf(t.exe, sizeof(t.exe), "fuzz");
				t.map_impl = "buckets";
				plan_probes(&t, HT_TIER_HOT, &plan);
				t.layout = go_layout_for(t.bi.ver.minor);
				read_types_and_inlining(&t);
			}
			go_funcs_free(&t.funcs);
		}
	}
	elf_image_close(&t.elf);
	free(copy);
	from_file(data, size);
	return 0;
}
