// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <string.h>
#include "target/goinline.h"

/* A corrupt tree must not spin: Go inlines a few levels deep at most. */
#define MAX_INLINE_DEPTH 64

/* The runtime address of function fn's inline tree (ELF addresses), 0 if it
 * has none. Funcdata offsets are from moduledata.gofunc: go:func.* in
 * .rodata up to 1.25, inside .gopclntab from 1.26. */
static uint64_t inline_tree(const struct go_funcs *f, const struct elf_image *img, const struct go_layout *L,
			    uint64_t i)
{
	uint64_t gofunc;
	uint32_t off;

	if (!L || !f->moduledata || pclntab_funcdata(&f->tab, L, i, GO_FUNCDATA_INLTREE, &off))
		return 0;
	if (!elf_read_word(img, f->moduledata + L->md_gofunc, &gofunc) || !gofunc)
		return 0;
	return gofunc + off;
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

size_t go_inline_frames(const struct go_funcs *f, const struct elf_image *img, const struct go_layout *L,
			uint64_t pc, struct go_frame *out, size_t max)
{
	const struct go_func *fn = go_funcs_at(f, pc);
	uint64_t i, tree;
	uint32_t off;
	size_t n = 0;
	int depth;

	if (!fn || !max)
		return 0;
	i = (uint64_t)(fn - f->pcln);
	off = (uint32_t)(pc - fn->entry);
	tree = inline_tree(f, img, L, i);
	/* Each step: the entry at `off` names the inlined function whose code
	 * this is (its line is the line tables' at off); its parentPc is an
	 * instruction of the caller at the call site, from which the next
	 * entry (or none: the physical function) goes on. */
	for (depth = 0; tree && depth < MAX_INLINE_DEPTH && n + 1 < max; depth++) {
		const uint8_t *e;
		int32_t ix, nameoff, parent;
		const char *name;

		if (pclntab_pcdata(&f->tab, L, i, GO_PCDATA_INLTREEINDEX, off, &ix) || ix < 0)
			break;
		e = elf_vaddr_bytes(img, tree + (uint64_t)ix * L->inl_size, L->inl_size);
		if (!e)
			break;
		memcpy(&nameoff, e + L->inl_nameoff, 4);
		memcpy(&parent, e + L->inl_parentpc, 4);
		name = pclntab_name(&f->tab, nameoff);
		if (!name || parent < 0 || (uint64_t)parent >= fn->end - fn->entry)
			break;
		set_frame(f, i, off, name, fn->entry + off, &out[n++]);
		off = (uint32_t)parent;
	}
	set_frame(f, i, off, fn->name, fn->entry + off, &out[n++]);
	return n;
}
