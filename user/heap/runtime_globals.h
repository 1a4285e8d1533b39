/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* Where a runtime global variable (runtime.mheap_, runtime.memstats) lives in
 * a binary: its .symtab symbol when there is one, otherwise every data
 * address that the code of the functions known to use it refers to. The
 * caller validates candidates against the structure in the process. */
#ifndef HT_HEAP_RUNTIME_GLOBALS_H
#define HT_HEAP_RUNTIME_GLOBALS_H
#include <stddef.h>
#include <stdint.h>
#include "target/target.h"

#define GLOBAL_MAX_CANDIDATES 256

struct global_candidates {
	uint64_t addr[GLOBAL_MAX_CANDIDATES]; /* ELF virtual addresses, symbol first */
	size_t n;
	bool from_symbol; /* addr[0] is the symbol's value */
};

/* Candidates for `symbol` (+ add, for a field of it when found by symbol).
 * Only addresses in writable segments are kept, each once. */
void global_candidates(const struct target *t, const char *symbol, uint64_t add,
		       const char *const referrers[], struct global_candidates *out);
/* Reads what global_candidates needs of every global heaptrace looks for,
 * while the program's file is there (program_facts.h). */
void runtime_globals_prepare(const struct target *t);
#endif
