/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Where a program keeps the global variables that may hold pointers (its
 * .data and .bss; the runtime's GC scans the same), and, for a stripped
 * program, which functions' code takes the address of each: what names a
 * global there, as decoding the runtime's users finds runtime.mheap_. Both
 * are read while the program's file is analysed (program_facts.h).
 */
#ifndef HT_TARGET_GLOBAL_USERS_H
#define HT_TARGET_GLOBAL_USERS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct target;

/* .data and .bss, ELF addresses; size 0 when absent. */
struct data_sections {
	uint64_t data, data_size, bss, bss_size;
};

/* A data address the code of the function at `func` (its entry) takes. */
struct global_user {
	uint64_t addr, func; /* ELF addresses */
};

struct global_users {
	struct global_user *v; /* sorted by addr, then func */
	size_t n;
	bool truncated;	       /* the bound on references kept was reached */
};

/* Read once, kept in the program's facts. */
const struct data_sections *target_data_sections(const struct target *t);
/* Only for a stripped program (with a symbol table the globals have names). */
const struct global_users *target_global_users(const struct target *t);
/* The functions (entries) whose code takes `addr`, or failing that the
 * closest address below it within `near` bytes (*at says which); at most
 * max, returns how many. */
size_t global_users_of(const struct global_users *gu, uint64_t addr, uint64_t near, uint64_t *at, uint64_t *funcs,
		       size_t max);
void global_users_free(struct global_users *gu);
#endif
