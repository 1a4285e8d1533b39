// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <string.h>
#include "target/goinline.h"

/* A corrupt tree must not spin: Go inlines a few levels deep at most. */
#define MAX_INLINE_DEPTH 64

/* The runtime address of function fn's inline tree (ELF addresses), 0 if it
 * has none. Funcdata offsets are from moduledata.gofunc: go:func.* in
 * .rodata up to 1.25, inside .gopclntab from 1.26. */
/* moduledata.gofunc: a relocated pointer, read while the file's
 * relocations are there. */
static uint64_t gofunc_of(const struct target *t, const struct go_layout *L)
{
	struct program_facts *pf = t->facts;
	uint64_t v = 0;

	if (!pf) {
		elf_read_word(&t->elf, t->funcs.moduledata + L->md_gofunc, &v);
		return v;
	}
	if (!pf->gofunc_done && !t->elf.trimmed) {
		pf->gofunc_done = true;
		elf_read_word(&t->elf, t->funcs.moduledata + L->md_gofunc, &pf->gofunc);
	}
	return pf->gofunc;
}

void go_inline_prepare(const struct target *t)
{
	if (t->layout && t->funcs.moduledata)
		gofunc_of(t, t->layout);
}

static uint64_t inline_tree(const struct target *t, const struct go_layout *L, uint64_t i)
{
	uint64_t gofunc;
	uint32_t off;

	if (!L || !t->funcs.moduledata || pclntab_funcdata(&t->funcs.tab, L, i, GO_FUNCDATA_INLTREE, &off))
		return 0;
	gofunc = gofunc_of(t, L);
	return gofunc ? gofunc + off : 0;
}

static void set_frame(const struct go_funcs *f, uint64_t i, uint32_t off, const char *name, uint64_t pc,
		      struct go_frame *fr)
{
	fr->func = name;
	fr->pc = pc;
	if (pclntab_line(&f->tab, i, off, &fr->file, &fr->line)) {
		fr->file = NULL;
		fr->line = 0;
	}
}

size_t go_inline_frames(const struct target *t, const struct go_layout *L, uint64_t pc, struct go_frame *out,
			size_t max)
{
	const struct go_funcs *f = &t->funcs;
	struct go_func fn;
	uint64_t i, tree;
	uint32_t off;
	size_t n = 0;
	int depth;

	if (!max || !go_funcs_at(f, pc, &fn, &i))
		return 0;
	off = (uint32_t)(pc - fn.entry);
	tree = inline_tree(t, L, i);
	/* Each step: the entry at `off` names the inlined function whose code
	 * this is (its line is the line tables' at off); its parentPc is an
	 * instruction of the caller at the call site, from which the next
	 * entry (or none: the physical function) goes on. */
	for (depth = 0; tree && depth < MAX_INLINE_DEPTH && n + 1 < max; depth++) {
		uint8_t e[64];
		int32_t ix, nameoff, parent;
		const char *name;

		if (pclntab_pcdata(&f->tab, L, i, GO_PCDATA_INLTREEINDEX, off, &ix) || ix < 0)
			break;
		/* read from the file (not relocated: offsets, no pointers) */
		if (L->inl_size > sizeof(e) || !elf_read_at(&t->elf, tree + (uint64_t)ix * L->inl_size, e, L->inl_size))
			break;
		memcpy(&nameoff, e + L->inl_nameoff, 4);
		memcpy(&parent, e + L->inl_parentpc, 4);
		name = pclntab_name(&f->tab, nameoff);
		if (!name || parent < 0 || (uint64_t)parent >= fn.end - fn.entry)
			break;
		set_frame(f, i, off, name, fn.entry + off, &out[n++]);
		off = (uint32_t)parent;
	}
	set_frame(f, i, off, fn.name, fn.entry + off, &out[n++]);
	return n;
}
