// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* libFuzzer: a whole program file through every reader heaptrace runs on a
 * target (ELF, .go.buildinfo, pclntab, moduledata, .symtab, the planner's
 * decoding, the inline tree, the map type descriptors). Seeded with real Go
 * binaries. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "plan/probeplan.h"
#include "target/gomaptypes.h"
#include "target/goinline.h"

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
	return 0;
}
