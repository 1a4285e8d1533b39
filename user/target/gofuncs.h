/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* A Go binary's functions: names, entries and ends, from .symtab when it is
 * there and from pclntab always (the two are checked against each other). */
#ifndef HT_TARGET_GOFUNCS_H
#define HT_TARGET_GOFUNCS_H
#include <stdbool.h>
#include "target/elf_image.h"
#include "target/gopclntab.h"

struct go_func {
	const char *name;
	uint64_t entry, end; /* virtual addresses, as nm prints them */
};

/*
 * While a program is analysed, the tables below hold every function; then
 * go_funcs_compact() frees them and reads pclntab from the file instead:
 * go_funcs_at and go_funcs_line go on working (a binary search of pclntab's
 * own function table), go_funcs_find no longer does.
 */
struct go_funcs {
	struct pclntab tab;
	uint64_t pcln_vaddr;
	uint64_t text_start;
	const char *text_start_source; /* "pclntab header" or "runtime.firstmoduledata" */
	uint64_t moduledata;	       /* runtime.firstmoduledata, 0 if not found */
	uint64_t pcln_file_off;	       /* where the table is in the file */
	bool stripped;		       /* no .symtab */
	struct go_func *pcln;	       /* every pclntab function, by entry */
	size_t npcln;
	struct go_func *symtab;	       /* STT_FUNC symbols, by entry; NULL when stripped */
	size_t nsymtab;
};

/* Fails with "has no .gopclntab" for programs that are not Go. */
int go_funcs_load(const struct elf_image *img, struct go_funcs *out);
void go_funcs_free(struct go_funcs *f);
bool go_funcs_stripped(const struct go_funcs *f);
/* By exact name; from .symtab when present, else pclntab. */
const struct go_func *go_funcs_find(const struct go_funcs *f, const char *name);
/* The function containing pc (pclntab) into *out, and its pclntab index
 * (may be NULL); false if none. */
bool go_funcs_at(const struct go_funcs *f, uint64_t pc, struct go_func *out, uint64_t *index);
/* Frees the tables; pclntab is read from fd (the program's file, which must
 * outlive f) from now on. */
void go_funcs_compact(struct go_funcs *f, int fd);
/* Source file and line of pc (pclntab), 0 on success. */
int go_funcs_line(const struct go_funcs *f, uint64_t pc, const char **file, int *line);
#endif
