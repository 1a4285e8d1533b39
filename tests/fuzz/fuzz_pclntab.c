/* libFuzzer: pclntab bytes through the parser and every function record.
 * Seeded with real binaries' .gopclntab sections. */
#include <stdint.h>
#include <string.h>
#include "gopclntab.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pclntab t;
	uint64_t i;

	if (pclntab_parse(&t, data, size))
		return 0;
	for (i = 0; i < t.nfunc; i++) {
		uint32_t e, end;
		const char *name;

		if (pclntab_func(&t, i, &e, &end, &name) == 0 && strlen(name) > t.size)
			__builtin_trap();
	}
	return 0;
}
