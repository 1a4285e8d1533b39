/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* The logical frames at a code address: the functions the compiler inlined
 * there, from pclntab's inline tree (FUNCDATA_InlTree, PCDATA_InlTreeIndex),
 * as the runtime's inlineUnwinder reads them. */
#ifndef HT_TARGET_GOINLINE_H
#define HT_TARGET_GOINLINE_H
#include <stddef.h>
#include <stdint.h>
#include "target/target.h"
#include "gotables/runtime_layout.h"

struct go_frame {
	const char *func; /* NULL when no function contains the address */
	const char *file; /* NULL when the line tables do not cover it */
	int line;
	uint64_t pc;	  /* the address of the frame: where it is, or the call it is at */
};

/* Fills out[0..max) with the frames at `pc` (an ELF address inside a
 * function: for a return address, the call, i.e. the address - 1),
 * innermost first: each inlined function with its own file:line, then the
 * function the code is in at the line of the outermost inlined call. L NULL
 * (a Go version heaptrace has no layout for) gives the physical frame only.
 * Returns the number of frames, 0 if no function contains pc. */
size_t go_inline_frames(const struct target *t, const struct go_layout *L, uint64_t pc, struct go_frame *out,
			size_t max);
/* Reads what go_inline_frames needs of the program's file that the file
 * alone has (a relocated pointer), while it is there (program_facts.h). */
void go_inline_prepare(const struct target *t);
#endif
