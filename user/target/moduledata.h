/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* runtime.firstmoduledata, found in a binary's data by what it points at. */
#ifndef HT_TARGET_MODULEDATA_H
#define HT_TARGET_MODULEDATA_H
#include <stdint.h>
#include "target/elf_image.h"
#include "target/gopclntab.h"

struct moduledata {
	uint64_t addr; /* where runtime.firstmoduledata lives */
	uint64_t minpc, maxpc, text, etext;
};

/*
 * Finds the moduledata whose pcHeader is the pclntab at pcln_vaddr, and
 * validates it (funcnametab and ftab slices match the header, minpc is the
 * first function's entry, text lies in an executable segment).
 */
int moduledata_find(const struct elf_image *img, const struct pclntab *tab, uint64_t pcln_vaddr,
		    struct moduledata *out);
#endif
