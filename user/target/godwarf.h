/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * What a Go program's DWARF says of its global variables that may hold
 * pointers (those in .data and .bss): name, address, size and type, and of
 * the types reachable from them, what naming a field at an offset needs
 * (struct fields, pointer, slice, array and map elements). Read once with
 * libdw while the file is analysed, kept compact in the program's facts;
 * nothing when the program has no DWARF (stripped, or linked with -w).
 */
#ifndef HT_TARGET_GODWARF_H
#define HT_TARGET_GODWARF_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct target;

#define DW_NONE UINT32_MAX

struct dw_type {
	uint32_t name;	  /* offset in names */
	uint32_t size;
	uint8_t kind;	  /* GO_KIND_* (DWARF's DW_AT_go_kind), 0 if not said */
	uint32_t elem;	  /* pointer, slice, array, map value; DW_NONE */
	uint32_t key;	  /* map key */
	uint32_t count;	  /* array length */
	uint32_t fields, nfields; /* struct: its fields in go_dwarf.fields */
	uint64_t rtype;	  /* its runtime type descriptor, an offset from moduledata.types; 0 if none */
};

struct dw_field {
	uint32_t name, offset, type;
};

struct dw_global {
	uint64_t addr, size; /* ELF addresses */
	uint32_t name, type;
};

struct go_dwarf {
	struct dw_type *types;
	size_t ntypes;
	struct dw_field *fields;
	size_t nfields;
	struct dw_global *globals; /* by address */
	size_t nglobals;
	char *names;
	size_t names_len;
	bool truncated;		   /* a bound on what is kept was reached */
};

/* Read once (needs the file: at analysis), kept in the program's facts. */
const struct go_dwarf *target_dwarf(const struct target *t);
/* The global holding ELF address addr, or NULL. */
const struct dw_global *go_dwarf_global_at(const struct go_dwarf *d, uint64_t addr);
const char *go_dwarf_name(const struct go_dwarf *d, uint32_t off);
const struct dw_type *go_dwarf_type(const struct go_dwarf *d, uint32_t i);
void go_dwarf_free(struct go_dwarf *d);
#endif
