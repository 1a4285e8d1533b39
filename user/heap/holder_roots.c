// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "heap/holder_roots.h"
#include "target/global_users.h"
#include "target/godwarf.h"
#include "target/symbolize.h"
#include "util/log.h"

#define FRAMES_PER_G 1024

void holders_prepare(const struct target *t)
{
	target_data_sections(t);
	target_dwarf(t);
}

static struct root_range *room(struct holder_roots *r)
{
	if (r->n == r->cap) {
		size_t nc = r->cap ? 2 * r->cap : 256;
		struct root_range *v = realloc(r->v, nc * sizeof(*v));

		if (!v)
			return NULL;
		r->v = v;
		r->cap = nc;
	}
	return &r->v[r->n];
}

static void add_global_range(struct holder_roots *r, uint64_t lo, uint64_t size)
{
	struct root_range *rr;

	if (!size || !(rr = room(r)))
		return;
	*rr = (struct root_range){ .lo = lo, .hi = lo + size, .kind = ROOT_GLOBAL };
	r->n++;
}

/* Reads the stacks of the goroutines that are not running, in one batch,
 * and makes a root of each frame. */
static void add_stacks(struct holder_roots *r, struct memsrc *mem, const struct target *t, const struct goroutines *gs)
{
	struct memrange *mr = calloc(gs->n ? gs->n : 1, sizeof(*mr));
	struct stack_frame *fr = malloc(FRAMES_PER_G * sizeof(*fr));
	size_t i, k, total = 0;

	r->stacks = calloc(gs->n ? gs->n : 1, sizeof(*r->stacks));
	if (!mr || !fr || !r->stacks) {
		r->not_walked = gs->n;
		goto out;
	}
	for (i = 0; i < gs->n; i++) {
		const struct goroutine *g = &gs->v[i];
		uint64_t len = g->sp ? g->hi - g->sp : 0;

		if (!len || len > GOROUTINE_STACK_MAX || total + len > HOLDER_STACK_BYTES) {
			r->stacks_truncated |= len && total + len > HOLDER_STACK_BYTES;
			r->not_walked++;
			continue;
		}
		if (!(r->stacks[i] = malloc(len))) {
			r->not_walked++;
			continue;
		}
		total += len;
		mr[i] = (struct memrange){ .addr = g->sp, .buf = r->stacks[i], .len = len };
	}
	r->nstacks = gs->n;
	mem->readv(mem, mr, gs->n);
	for (i = 0; i < gs->n; i++) {
		const struct goroutine *g = &gs->v[i];
		size_t nf;

		if (!mr[i].len)
			continue;
		if (!mr[i].ok) {
			r->not_walked++;
			continue;
		}
		nf = goroutine_unwind(t, g, r->stacks[i], mr[i].len, fr, FRAMES_PER_G);
		if (!nf)
			r->not_walked++;
		for (k = 0; k < nf; k++) {
			struct root_range *rr;
			struct go_func fn;

			/* the runtime's frames hold a program's map only while its
			 * caller does (and keep stale words after) */
			if (go_funcs_at(&t->funcs, fr[k].pc - t->load_bias - (k ? 1 : 0), &fn, NULL) &&
			    go_runtime_func(fn.name))
				continue;
			if (!(rr = room(r)))
				break;
			*rr = (struct root_range){ .lo = fr[k].sp, .hi = fr[k].end, .kind = ROOT_STACK, .goid = g->goid,
						   .pc = fr[k].pc, .ret = k > 0, .mem = r->stacks[i] + (fr[k].sp - g->sp) };
			r->n++;
		}
	}
out:
	free(mr);
	free(fr);
}

void holder_roots_read(struct holder_roots *r, struct memsrc *mem, const struct target *t, uint64_t *allgs)
{
	const struct data_sections *d = target_data_sections(t);
	struct goroutines gs;

	memset(r, 0, sizeof(*r));
	add_global_range(r, d->data + t->load_bias, d->data_size);
	add_global_range(r, d->bss + t->load_bias, d->bss_size);
	if (!*allgs)
		*allgs = goroutines_locate(mem, t, r->why_no_goroutines, sizeof(r->why_no_goroutines));
	if (!*allgs)
		return;
	if (goroutines_read(mem, t->layout, *allgs, &gs)) {
		snprintf(r->why_no_goroutines, sizeof(r->why_no_goroutines), "%s", ht_last_error());
		*allgs = 0; /* look again next time */
		return;
	}
	r->goroutines = gs.n;
	add_stacks(r, mem, t, &gs);
	goroutines_free(&gs);
}

void holder_roots_free(struct holder_roots *r)
{
	size_t i;

	for (i = 0; r->stacks && i < r->nstacks; i++)
		free(r->stacks[i]);
	free(r->stacks);
	free(r->v);
	memset(r, 0, sizeof(*r));
}
