/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* Go's pclntab (Go 1.18+ formats): function entries and names. A pure parser
 * over bytes: every offset read from the table is bounds-checked. */
#ifndef HT_TARGET_GOPCLNTAB_H
#define HT_TARGET_GOPCLNTAB_H
#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>
#include "gotables/runtime_layout.h"
#include "util/bytesrc.h"

#define PCLNTAB_MAGIC_118 0xfffffff0u /* Go 1.18, 1.19 */
#define PCLNTAB_MAGIC_120 0xfffffff1u /* Go 1.20 and later */
#define PCLNTAB_MAGIC_116 0xfffffffau /* Go 1.16, 1.17: not supported */
#define PCLNTAB_MAGIC_12  0xfffffffbu /* Go 1.2-1.15: not supported */

struct pclntab {
	struct bytesrc src; /* memory while a program is analysed, its file after */
	size_t size;
	uint32_t magic;
	uint8_t minlc, ptrsize;
	uint64_t nfunc, nfiles;
	uint64_t textstart_raw; /* header field as stored; 0 from Go 1.26 on */
	uint64_t funcname_off, cu_off, filetab_off, pctab_off, pcln_off;
};

/* Byte offset of the header's textStart field (relocated in PIE binaries). */
#define PCLNTAB_TEXTSTART_FIELD 24

/* Parses the table in memory (data must outlive t, or pclntab_use_file). */
int pclntab_parse(struct pclntab *t, const uint8_t *data, size_t size);
/* From now on reads the same table from fd at file offset `off` (where the
 * memory came from): the strings returned before stay valid as long as the
 * memory does, the ones returned after as long as t (pclntab_close). */
void pclntab_use_file(struct pclntab *t, int fd, uint64_t off);
void pclntab_close(struct pclntab *t);
/* Function i in [0, nfunc): entry and end as offsets from the text start,
 * and its NUL-terminated name. */
int pclntab_func(const struct pclntab *t, uint64_t i, uint32_t *entryoff, uint32_t *endoff,
		 const char **name);
/* Source file and line of pc_off (an offset from function i's entry), from
 * the function's pc-file and pc-line tables. */
int pclntab_line(const struct pclntab *t, uint64_t i, uint32_t pc_off, const char **file, int *line);
/* The value of function i's PCDATA table k at pc_off (runtime.pcdatavalue);
 * -1 when the function has no such table or it does not cover pc_off. The
 * _func layout (where pcdata[] starts) comes from L. */
int pclntab_pcdata(const struct pclntab *t, const struct go_layout *L, uint64_t i, unsigned k, uint32_t pc_off,
		   int32_t *val);
/* The stack pointer's distance below the function's entry SP at pc_off
 * (its pc-sp table: the frame size there, return address excluded). */
int pclntab_spdelta(const struct pclntab *t, uint64_t i, uint32_t pc_off, int32_t *val);
/* Function i's FUNCDATA k: an offset from moduledata.gofunc; -1 if none. */
int pclntab_funcdata(const struct pclntab *t, const struct go_layout *L, uint64_t i, unsigned k, uint32_t *off);
/* The NUL-terminated name at nameoff in funcnametab, or NULL. */
const char *pclntab_name(const struct pclntab *t, int32_t nameoff);
/* The index of the function whose [entry, end) holds text offset pc_off, or
 * -1: a binary search of functab (its entries are sorted), which needs no
 * table of its own. */
int64_t pclntab_find_func(const struct pclntab *t, uint64_t pc_off);
#endif
