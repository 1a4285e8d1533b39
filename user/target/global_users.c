// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <elf.h>
#include <stdlib.h>
#include <string.h>
#include "plan/decode.h"
#include "target/global_users.h"
#include "target/symbolize.h"
#include "target/target.h"
#include "util/log.h"

#define CHUNK (4u << 20)	/* .text read this much at a time */
#define MAX_CANDIDATES 1024	/* functions decoded per search */
#define MAX_FUNC_BYTES (1u << 20)
#define REFS_PER_FUNC 1024
#define MAX_USERS (1u << 16)

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
	if (elf_find_section(&t->elf, ".text", &s)) {
		d->text = s.addr;
		d->text_size = s.size;
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

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int cmp_user(const void *a, const void *b)
{
	const struct global_user *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	return x->func < y->func ? -1 : x->func > y->func;
}

static bool asked(const struct global_users *gu, uint64_t a)
{
	return bsearch(&a, gu->asked, gu->nasked, sizeof(a), cmp_u64) != NULL;
}

/* Is there a wanted address in [v, v + near]? (want is sorted) */
static bool wanted(const uint64_t *want, size_t n, uint64_t v, uint64_t near)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (want[mid] < v)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && want[lo] - v <= near;
}

static void add_user(struct global_users *gu, uint64_t addr, uint64_t func)
{
	if (gu->n == gu->cap) {
		size_t nc = gu->cap ? 2 * gu->cap : 256;
		struct global_user *v;

		if (nc > MAX_USERS || !(v = realloc(gu->v, nc * sizeof(*v)))) {
			gu->truncated = true;
			return;
		}
		gu->v = v;
		gu->cap = nc;
	}
	gu->v[gu->n++] = (struct global_user){ addr, func };
}

/* The functions whose code has a 32-bit displacement that, relative to
 * the end of an instruction (the displacement, then 0, 1 or 4 bytes of an
 * immediate), lands on a wanted address: candidates, to be decoded. */
static size_t scan_text(const struct target *t, const struct data_sections *d, const uint64_t *want, size_t n,
			uint64_t near, uint64_t *cand)
{
	static const unsigned imm[] = { 0, 1, 4 };
	uint8_t *buf = malloc(CHUNK + 8);
	uint64_t a, lo = want[0] - near, hi = want[n - 1];
	size_t nc = 0;

	if (!buf)
		return 0;
	for (a = d->text; a < d->text + d->text_size && nc < MAX_CANDIDATES; a += CHUNK) {
		size_t len = d->text + d->text_size - a < CHUNK + 4 ? (size_t)(d->text + d->text_size - a) : CHUNK + 4, i;

		if (len < 4 || !elf_read_at(&t->elf, a, buf, len))
			continue;
		for (i = 0; i + 4 <= len && i < CHUNK && nc < MAX_CANDIDATES; i++) {
			int32_t disp;
			unsigned k;

			memcpy(&disp, buf + i, 4);
			for (k = 0; k < 3; k++) {
				uint64_t to = a + i + 4 + imm[k] + (uint64_t)(int64_t)disp;
				struct go_func fn;

				if (to < lo || to > hi || !wanted(want, n, to, near))
					continue;
				if (go_funcs_at(&t->funcs, a + i, &fn, NULL) && !go_runtime_func(fn.name) &&
				    (!nc || cand[nc - 1] != fn.entry))
					cand[nc++] = fn.entry;
				break;
			}
		}
	}
	free(buf);
	return nc;
}

static void find(const struct target *t, const uint64_t *want, size_t nw, uint64_t near);

/* The code that takes each address, or one just below it (a field of a
 * global struct), in one pass over .text. */
void target_global_users_find(const struct target *t, const uint64_t *addrs, size_t n, uint64_t near)
{
	struct program_facts *f = t->facts;
	uint64_t *want = calloc(n ? n : 1, sizeof(*want));
	size_t i, nw = 0;

	if (!f || !want)
		goto out;
	for (i = 0; i < n; i++)
		if (!asked(&f->users, addrs[i]))
			want[nw++] = addrs[i];
	if (!nw)
		goto out;
	qsort(want, nw, sizeof(*want), cmp_u64);
	find(t, want, nw, near);
	/* searched: not again (asked[] is sorted, kept so as it grows) */
	for (i = 0; i < n; i++) {
		if (asked(&f->users, addrs[i]))
			continue;
		if (f->users.nasked == GLOBAL_USERS_ASKED) {
			f->users.truncated = true;
			break;
		}
		f->users.asked[f->users.nasked++] = addrs[i];
		qsort(f->users.asked, f->users.nasked, sizeof(*f->users.asked), cmp_u64);
	}
out:
	free(want);
}

static void find(const struct target *t, const uint64_t *want_in, size_t n, uint64_t near)
{
	const struct data_sections *d = target_data_sections(t);
	struct global_users *gu = &t->facts->users;
	uint64_t *want = malloc((n ? n : 1) * sizeof(*want)), *cand = malloc(MAX_CANDIDATES * sizeof(*cand));
	uint64_t refs[REFS_PER_FUNC];
	size_t i, k, nw = n, nc;

	if (!want || !cand || t->elf.machine != EM_X86_64 || !d->text_size)
		goto out;
	memcpy(want, want_in, n * sizeof(*want));
	nc = scan_text(t, d, want, nw, near, cand);
	gu->truncated |= nc == MAX_CANDIDATES;
	qsort(cand, nc, sizeof(*cand), cmp_u64);
	for (i = 0; i < nc; i++) {
		struct go_func fn;
		uint8_t *code;
		size_t nr;

		if ((i && cand[i] == cand[i - 1]) || !go_funcs_at(&t->funcs, cand[i], &fn, NULL) ||
		    fn.end - fn.entry > MAX_FUNC_BYTES || !(code = malloc(fn.end - fn.entry)))
			continue;
		/* decoded: the references the instructions really make */
		if (elf_read_at(&t->elf, fn.entry, code, fn.end - fn.entry)) {
			nr = decode_data_refs(t->elf.machine, code, fn.end - fn.entry, fn.entry, refs, REFS_PER_FUNC);
			for (k = 0; k < nr; k++)
				if (wanted(want, nw, refs[k], near))
					add_user(gu, refs[k], fn.entry);
		}
		free(code);
	}
	if (gu->n) {
		qsort(gu->v, gu->n, sizeof(*gu->v), cmp_user);
		for (i = 1, k = 1; i < gu->n; i++)
			if (cmp_user(&gu->v[i], &gu->v[k - 1]))
				gu->v[k++] = gu->v[i];
		gu->n = k;
	}
out:
	free(want);
	free(cand);
}

size_t target_global_users_of(const struct target *t, uint64_t addr, uint64_t near, uint64_t *at, uint64_t *funcs,
			      size_t max)
{
	const struct global_users *gu = t->facts ? &t->facts->users : NULL;
	size_t lo = 0, hi, n = 0, i;
	uint64_t a;

	if (!gu)
		return 0;
	hi = gu->n;
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
	gu->v = NULL;
	gu->n = gu->cap = 0;
}
