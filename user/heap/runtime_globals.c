// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <elf.h>
#include <string.h>
#include "plan/decode.h"
#include "heap/runtime_globals.h"

struct symbol_query {
	const char *name;
	uint64_t value;
	bool found;
};

static void match_symbol(void *ctx, const GElf_Sym *s, const char *name)
{
	struct symbol_query *q = ctx;

	if (!q->found && !strcmp(name, q->name)) {
		q->value = s->st_value;
		q->found = true;
	}
}

static void add(struct global_candidates *c, const struct elf_image *img, uint64_t a)
{
	size_t i;

	if (c->n == GLOBAL_MAX_CANDIDATES || !elf_vaddr_in_segment(img, a, PF_W))
		return;
	for (i = 0; i < c->n; i++)
		if (c->addr[i] == a)
			return;
	c->addr[c->n++] = a;
}

void global_candidates(const struct target *t, const char *symbol, uint64_t field,
		       const char *const referrers[], struct global_candidates *out)
{
	struct symbol_query q = { .name = symbol };
	size_t r;

	memset(out, 0, sizeof(*out));
	elf_symbols(&t->elf, STT_OBJECT, match_symbol, &q);
	if (q.found) {
		add(out, &t->elf, q.value + field);
		out->from_symbol = out->n == 1;
	}
	for (r = 0; referrers[r]; r++) {
		const struct go_func *f = go_funcs_find(&t->funcs, referrers[r]);
		uint64_t refs[GLOBAL_MAX_CANDIDATES];
		const uint8_t *code;
		size_t n, i;

		if (!f || f->end <= f->entry || !(code = elf_vaddr_bytes(&t->elf, f->entry, f->end - f->entry)))
			continue;
		n = decode_data_refs(t->elf.machine, code, f->end - f->entry, f->entry, refs,
				     GLOBAL_MAX_CANDIDATES);
		for (i = 0; i < n; i++)
			add(out, &t->elf, refs[i]);
	}
}
