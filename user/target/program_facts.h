/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * What the stages after the analysis read from a program's file, kept for
 * when the file's bytes are gone (elf_image_trim): each figure is read on
 * its first use and remembered here, and the executable cache makes that
 * first use happen before it trims (exe_cache.c). A figure asked for only
 * after the trim is not there: it reads as absent, never as a guess.
 */
#ifndef HT_TARGET_PROGRAM_FACTS_H
#define HT_TARGET_PROGRAM_FACTS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "heaptrace.h"
#include "target/gomaptypes.h"
#include "target/global_users.h"
#include "target/godwarf.h"

#define PROGRAM_GLOBALS 8	  /* runtime globals heaptrace looks for */
#define PROGRAM_GLOBAL_REFS 256 /* data addresses their referrers' code takes */

/* A runtime global: its symbol, or what the code of the functions known to
 * use it refers to (heap/runtime_globals.c). ELF addresses. */
struct global_memo {
	const char *symbol; /* the caller's static string */
	bool found;
	uint64_t value;
	uint64_t refs[PROGRAM_GLOBAL_REFS];
	size_t nrefs;
};

/* A global variable (.symtab STT_OBJECT), by address. */
struct data_symbol {
	uint64_t addr, size; /* ELF address */
	const char *name;    /* in data_symbols.names */
};

struct data_symbols {
	struct data_symbol *v; /* sorted by addr */
	size_t n;
	char *names;
};

struct program_facts {
	struct global_memo globals[PROGRAM_GLOBALS];
	size_t nglobals;
	/* trace/proc_config.c: runtime.madvise's code, the GC's stop sites */
	bool madvise_done, stop_sites_done;
	uint64_t madvise_lo, madvise_hi;
	uint64_t stop_sites[HT_STW_SITES];
	/* heap/gotypes.c: moduledata.types; target/goinline.c: moduledata.gofunc */
	bool types_base_done, gofunc_done;
	uint64_t types_base, gofunc;
	/* export/render_pprof.c: the build id pprof readers match by */
	bool build_id_done;
	char build_id[130]; /* "" when none */
	/* target/gomaptypes.c: every map type of the program */
	bool maptypes_done;
	struct go_map_types maptypes;
	/* the program's global variables (none when stripped) */
	bool data_symbols_done;
	struct data_symbols data;
	/* target/global_users.c: .data, .bss and .text; what code takes the
	 * addresses of the globals asked about (stripped programs, found when
	 * asked); target/godwarf.c: their DWARF */
	bool sections_done, dwarf_done;
	struct data_sections sections;
	struct global_users users;
	struct go_dwarf dwarf;
};
#endif
