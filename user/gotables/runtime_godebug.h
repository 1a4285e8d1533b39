/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* The GODEBUG settings heaptrace's advice names, and the first release
 * that has each: the unit tests check every toolchain's runtime for the
 * setting's name against this table. */
#ifndef HT_GOTABLES_RUNTIME_GODEBUG_H
#define HT_GOTABLES_RUNTIME_GODEBUG_H
#include <stdbool.h>
#include "target/buildinfo.h"

struct go_godebug {
	const char *name;
	int minor, patch; /* first release that has it: go1.minor.patch */
};

extern const struct go_godebug go_godebugs[]; /* NULL-terminated */
/* Does Go version v read GODEBUG=name=...? */
bool go_has_godebug(const struct go_version *v, const char *name);
#endif
