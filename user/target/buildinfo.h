/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* .go.buildinfo: the Go version and main module a binary was built from. */
#ifndef HT_TARGET_BUILDINFO_H
#define HT_TARGET_BUILDINFO_H
#include <stdbool.h>
#include "target/elf_image.h"

struct go_version {
	int major, minor, patch; /* go1.22.12 -> 1, 22, 12 */
};

struct go_buildinfo {
	char version[64];     /* as the toolchain wrote it, e.g. "go1.22.12" */
	struct go_version ver;
	char main_path[256];  /* "path" line: the main package */
	char module[256];     /* "mod" line: the main module, if any */
};

int buildinfo_read(const struct elf_image *img, struct go_buildinfo *out);
/* Parses "go1.22.12", "go1.21rc2", "devel go1.27-abcdef ...". */
int go_version_parse(const char *s, struct go_version *out);
/* a <=> b by major.minor only */
int go_version_cmp_minor(struct go_version a, int major, int minor);
#endif
