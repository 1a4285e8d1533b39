/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Where a program keeps the global variables that may hold pointers (its
 * .data and .bss; the runtime's GC scans the same), read while its file is
 * analysed; and, for a stripped program, which functions' code takes the
 * address of a global: what names a global there, as decoding the runtime's
 * users finds runtime.mheap_.
 *
 * Decoding every function of a large program takes seconds (17 s for
 * Debian's Prometheus), and only a few globals ever need a name: those that
 * hold a map. So the code is searched when asked, for those addresses
 * together: one pass over .text (read from the file) for RIP-relative
 * displacements that land near them, then each function found decoded to
 * confirm it. What was found is kept in the program's facts.
 */
#ifndef HT_TARGET_GLOBAL_USERS_H
#define HT_TARGET_GLOBAL_USERS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct target;

/* .data, .bss and .text, ELF addresses; size 0 when absent. */
struct data_sections {
	uint64_t data, data_size, bss, bss_size, text, text_size;
};

/* A data address the code of the function at `func` (its entry) takes. */
struct global_user {
	uint64_t addr, func; /* ELF addresses */
};

#define GLOBAL_USERS_ASKED 4096 /* addresses searched for, kept */

struct global_users {
	struct global_user *v; /* sorted by addr, then func */
	size_t n, cap;
	uint64_t asked[GLOBAL_USERS_ASKED]; /* sorted: the addresses already searched for */
	size_t nasked;
	bool truncated;	       /* a bound was reached: some are not searched */
};

/* Read once at analysis, kept in the program's facts. */
const struct data_sections *target_data_sections(const struct target *t);
/* Searches the code for the functions that take addresses within `near`
 * bytes below each of addrs[0..n) (ELF addresses), those not searched yet;
 * x86-64 only. Needs the file (read with pread after the analysis). */
void target_global_users_find(const struct target *t, const uint64_t *addrs, size_t n, uint64_t near);
/* What was found for addr: the functions (entries) whose code takes it,
 * or failing that the closest address below it within `near` (*at says
 * which); at most max, returns how many. */
size_t target_global_users_of(const struct target *t, uint64_t addr, uint64_t near, uint64_t *at, uint64_t *funcs,
			      size_t max);
void global_users_free(struct global_users *gu);
#endif
