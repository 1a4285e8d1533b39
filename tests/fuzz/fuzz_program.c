/* libFuzzer: a whole program file through every reader heaptrace runs on a
 * target (ELF, .go.buildinfo, pclntab, moduledata, .symtab, the planner's
 * decoding). Seeded with real Go binaries. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "plan/probeplan.h"

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
			}
			go_funcs_free(&t.funcs);
		}
	}
	elf_image_close(&t.elf);
	free(copy);
	return 0;
}
