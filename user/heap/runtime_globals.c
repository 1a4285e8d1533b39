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

/* What the symbol table and the referrers' code say of `symbol`, read once
 * while the program's file is there (program_facts.h). */
static const struct global_memo *memo_of(const struct target *t, const char *symbol,
					 const char *const referrers[])
{
	struct program_facts *pf = t->facts;
	struct symbol_query q = { .name = symbol };
	struct global_memo *m;
	size_t i, r;

	for (i = 0; pf && i < pf->nglobals; i++)
		if (!strcmp(pf->globals[i].symbol, symbol))
			return &pf->globals[i];
	if (!pf || pf->nglobals == PROGRAM_GLOBALS || t->elf.trimmed)
		return NULL;
	m = &pf->globals[pf->nglobals++];
	memset(m, 0, sizeof(*m));
	m->symbol = symbol;
	elf_symbols(&t->elf, STT_OBJECT, match_symbol, &q);
	m->found = q.found;
	m->value = q.value;
	for (r = 0; referrers[r]; r++) {
		const struct go_func *f = go_funcs_find(&t->funcs, referrers[r]);
		const uint8_t *code;

		if (!f || f->end <= f->entry || !(code = elf_vaddr_bytes(&t->elf, f->entry, f->end - f->entry)))
			continue;
		m->nrefs += decode_data_refs(t->elf.machine, code, f->end - f->entry, f->entry, m->refs + m->nrefs,
					     PROGRAM_GLOBAL_REFS - m->nrefs);
	}
	return m;
}

void global_candidates(const struct target *t, const char *symbol, uint64_t field,
		       const char *const referrers[], struct global_candidates *out)
{
	const struct global_memo *m = memo_of(t, symbol, referrers);
	size_t i;

	memset(out, 0, sizeof(*out));
	if (!m)
		return;
	if (m->found) {
		add(out, &t->elf, m->value + field);
		out->from_symbol = out->n == 1;
	}
	for (i = 0; i < m->nrefs; i++)
		add(out, &t->elf, m->refs[i]);
}

/* Every global a stage looks for, with the functions that use it. */
static const struct {
	const char *symbol;
	const char *const *referrers;
} known[] = {
	{ "runtime.mheap_", mheap_referrers },	    /* heap/gomap_tracker.c */
	{ "runtime.memstats", memstats_referrers }, /* heap/page_stats.c, heap/runtime_state.c */
	{ "runtime.gcController", gccontroller_referrers }, /* heap/runtime_state.c */
	{ "runtime.allgs", allgs_referrers },	    /* heap/goroutines.c */
};

void runtime_globals_prepare(const struct target *t)
{
	size_t i;

	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		memo_of(t, known[i].symbol, known[i].referrers);
}
