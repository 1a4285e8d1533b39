// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* libFuzzer: pclntab bytes through the parser, every function record, its
 * line tables and its inline-tree tables (both _func layouts).
 * Seeded with real binaries' .gopclntab sections. */
#include <stdint.h>
#include <string.h>
#include "target/gopclntab.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pclntab t;
	uint64_t i;

	if (pclntab_parse(&t, data, size))
		return 0;
	for (i = 0; i < t.nfunc; i++) {
		uint32_t e, end;
		const char *name;

		const char *file;
		int line;

		if (pclntab_func(&t, i, &e, &end, &name) == 0 && strlen(name) > t.size)
			__builtin_trap();
		/* the pc-file and pc-line tables, at the entry and the middle */
		if (pclntab_line(&t, i, 0, &file, &line) == 0 && strlen(file) > t.size)
			__builtin_trap();
		pclntab_line(&t, i, (end - e) / 2, &file, &line);
		for (int v = 0; v < 2; v++) {
			const struct go_layout *L = go_layout_for(v ? 26 : 19);
			int32_t ix;
			uint32_t off;

			pclntab_pcdata(&t, L, i, GO_PCDATA_INLTREEINDEX, (end - e) / 2, &ix);
			pclntab_funcdata(&t, L, i, GO_FUNCDATA_INLTREE, &off);
		}
	}
	return 0;
}
