// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <string.h>
#include "gotables/runtime_godebug.h"

const struct go_godebug go_godebugs[] = {
	/* sysUnused with MADV_DONTNEED instead of MADV_FREE (the default
	 * again from 1.16; 1.12-1.15 used MADV_FREE) */
	{ "madvdontneed", 12, 0 },
	/* no transparent huge pages for the heap: added in 1.21.6 and 1.22 */
	{ "disablethp", 21, 6 },
	{ NULL, 0, 0 },
};

bool go_has_godebug(const struct go_version *v, const char *name)
{
	const struct go_godebug *g;

	for (g = go_godebugs; g->name; g++)
		if (!strcmp(g->name, name))
			return v->major > 1 || v->minor > g->minor || (v->minor == g->minor && v->patch >= g->patch);
	return false;
}
