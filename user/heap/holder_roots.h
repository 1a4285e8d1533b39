/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* Where the holder search starts: the program's global variables (.data,
 * .bss) and each frame of each goroutine that is not running, its stack
 * read once and unwound with pclntab. Bounded in goroutines and stack bytes. */
#ifndef HT_HEAP_HOLDER_ROOTS_H
#define HT_HEAP_HOLDER_ROOTS_H
#include "heap/goroutines.h"
#include "heap/holders.h"

/* Stack bytes read for one search, all goroutines together. */
#define HOLDER_STACK_BYTES (256u << 20)

struct holder_roots {
	struct root_range *v;
	size_t n, cap;
	uint8_t **stacks;	/* each goroutine's bytes, freed with the roots */
	size_t nstacks;
	size_t goroutines, not_walked; /* read; running or cut short, their frames not scanned */
	bool stacks_truncated;	/* HOLDER_STACK_BYTES reached */
	char why_no_goroutines[160]; /* "" when they were read */
};

/* What the search needs of the program's file, read while it is analysed:
 * its sections, its DWARF, and (stripped) which code uses which global. */
void holders_prepare(const struct target *t);
/* The roots of the process now. *allgs: runtime.allgs once found (0: look
 * for it). Never fails: what it cannot read it says. */
void holder_roots_read(struct holder_roots *r, struct memsrc *mem, const struct target *t, uint64_t *allgs);
void holder_roots_free(struct holder_roots *r);
#endif
