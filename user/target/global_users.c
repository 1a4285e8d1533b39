// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <stdlib.h>
#include <string.h>
#include "plan/decode.h"
#include "target/global_users.h"
#include "target/symbolize.h"
#include "target/target.h"
#include "util/log.h"

/* References kept (16 bytes each); a function's code is decoded only up to
 * this size, and this many references of one function are kept. */
#define MAX_USERS (1u << 20)
#define MAX_FUNC_BYTES (1u << 20)
#define REFS_PER_FUNC 512

static void read_sections(const struct target *t, struct data_sections *d)
{
	struct elf_section s;

	memset(d, 0, sizeof(*d));
	if (elf_find_section(&t->elf, ".data", &s)) {
		d->data = s.addr;
		d->data_size = s.size;
	}
	if (elf_find_section(&t->elf, ".bss", &s)) {
		d->bss = s.addr;
		d->bss_size = s.size;
	}
}

const struct data_sections *target_data_sections(const struct target *t)
{
	static const struct data_sections none;
	struct program_facts *f = t->facts;

	if (!f)
		return &none;
	if (!f->sections_done && !t->elf.trimmed) {
		f->sections_done = true;
		read_sections(t, &f->sections);
	}
	return &f->sections;
}

static bool in_sections(const struct data_sections *d, uint64_t a)
{
	return (a >= d->data && a - d->data < d->data_size) || (a >= d->bss && a - d->bss < d->bss_size);
}

static int cmp_user(const void *a, const void *b)
{
	const struct global_user *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	return x->func < y->func ? -1 : x->func > y->func;
}

/* Every function but the runtime's: the runtime's globals hold no program map. */
static void read_users(const struct target *t, struct global_users *gu)
{
	const struct data_sections *d = target_data_sections(t);
	const struct go_funcs *f = &t->funcs;
	uint64_t refs[REFS_PER_FUNC];
	size_t i, cap = 0, k, w;

	memset(gu, 0, sizeof(*gu));
	for (i = 0; i < f->npcln && !gu->truncated; i++) {
		const struct go_func *fn = &f->pcln[i];
		const uint8_t *code;
		size_t n;

		if (go_runtime_func(fn->name) || fn->end <= fn->entry || fn->end - fn->entry > MAX_FUNC_BYTES ||
		    !(code = elf_vaddr_bytes(&t->elf, fn->entry, fn->end - fn->entry)))
			continue;
		n = decode_data_refs(t->elf.machine, code, fn->end - fn->entry, fn->entry, refs, REFS_PER_FUNC);
		for (k = 0; k < n; k++) {
			if (!in_sections(d, refs[k]))
				continue;
			if (gu->n == cap) {
				size_t nc = cap ? 2 * cap : 4096;
				struct global_user *v;

				if (nc > MAX_USERS || !(v = realloc(gu->v, nc * sizeof(*v)))) {
					gu->truncated = true;
					break;
				}
				gu->v = v;
				cap = nc;
			}
			gu->v[gu->n++] = (struct global_user){ refs[k], fn->entry };
		}
	}
	if (!gu->n)
		return;
	qsort(gu->v, gu->n, sizeof(*gu->v), cmp_user);
	for (k = 1, w = 1; k < gu->n; k++)
		if (cmp_user(&gu->v[k], &gu->v[w - 1]))
			gu->v[w++] = gu->v[k];
	gu->n = w;
}

const struct global_users *target_global_users(const struct target *t)
{
	static const struct global_users none;
	struct program_facts *f = t->facts;

	if (!f)
		return &none;
	if (!f->users_done && !t->elf.trimmed && t->funcs.pcln) {
		f->users_done = true;
		if (go_funcs_stripped(&t->funcs))
			read_users(t, &f->users);
	}
	return &f->users;
}

size_t global_users_of(const struct global_users *gu, uint64_t addr, uint64_t near, uint64_t *at, uint64_t *funcs,
		       size_t max)
{
	size_t lo = 0, hi = gu->n, n = 0, i;
	uint64_t a;

	/* the last reference at or below addr */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (gu->v[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo || addr - gu->v[lo - 1].addr > near)
		return 0;
	a = gu->v[lo - 1].addr;
	for (i = lo; i > 0 && gu->v[i - 1].addr == a; i--)
		;
	for (; i < gu->n && gu->v[i].addr == a && n < max; i++)
		funcs[n++] = gu->v[i].func;
	*at = a;
	return n;
}

void global_users_free(struct global_users *gu)
{
	free(gu->v);
	memset(gu, 0, sizeof(*gu));
}
