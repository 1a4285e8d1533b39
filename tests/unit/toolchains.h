// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The toolchains the test programs were built with: HT_TARGETS/toolchains,
 * written by tools/build-targets.sh from tools/toolchains, one
 * "NAME MINOR INTEGRATION" a line. Every unit test that checks something per
 * Go version iterates over this list, so a toolchain added there is checked. */
#ifndef HT_TESTS_TOOLCHAINS_H
#define HT_TESTS_TOOLCHAINS_H
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define MAX_TOOLCHAINS 32

struct toolchain {
	char name[32]; /* prefix of the programs' names: NAME-gcload... */
	int minor;     /* Go 1.MINOR, from the go command itself */
	bool integration;
};

/* Returns how many were read (0 when the file is missing or empty). */
static inline int toolchains_load(const char *dir, struct toolchain *out, int max)
{
	char path[4200], line[256], integ[16];
	int n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/toolchains", dir);
	f = fopen(path, "r");
	if (!f)
		return 0;
	while (n < max && fgets(line, sizeof(line), f))
		if (sscanf(line, "%31s %d %15s", out[n].name, &out[n].minor, integ) == 3) {
			out[n].integration = !strcmp(integ, "yes");
			n++;
		}
	fclose(f);
	return n;
}

/* The toolchain whose programs' names start with "NAME-", or NULL. */
static inline const struct toolchain *toolchain_of(const struct toolchain *tc, int n, const char *program)
{
	int i;

	for (i = 0; i < n; i++) {
		size_t len = strlen(tc[i].name);

		if (!strncmp(program, tc[i].name, len) && program[len] == '-')
			return &tc[i];
	}
	return NULL;
}
#endif
