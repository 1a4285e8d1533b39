// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <stdlib.h>
#include <string.h>
#include "exe_cache.h"
#include "util/log.h"

void exe_cache_init(struct exe_cache *c, enum ht_tier max_tier)
{
	memset(c, 0, sizeof(*c));
	c->max_tier = max_tier;
}

static bool same_file(const struct target *a, const struct target *b)
{
	return a->exe_dev == b->exe_dev && a->exe_ino == b->exe_ino && a->exe_mtime_ns == b->exe_mtime_ns &&
	       a->exe_size == b->exe_size;
}

static void analyze(struct exe_cache *c, struct exe_entry *e, const struct target *t)
{
	e->prog = *t;
	c->analyses++;
	if (target_read_program(&e->prog)) {
		snprintf(e->why, sizeof(e->why), "%s", ht_last_error());
		return;
	}
	if (!e->prog.host_arch) {
		snprintf(e->why, sizeof(e->why), "pid %d runs %s code, not this host's", t->pid,
			 elf_machine_name(e->prog.elf.machine));
		return;
	}
	if (plan_probes(&e->prog, c->max_tier, &e->plan)) {
		snprintf(e->why, sizeof(e->why), "%s", ht_last_error());
		return;
	}
	e->usable = true;
}

struct exe_entry *exe_cache_get(struct exe_cache *c, const struct target *t)
{
	struct exe_entry *e;
	size_t i;

	for (i = 0; i < c->n; i++)
		if (same_file(&c->v[i]->prog, t))
			return c->v[i];
	if (c->n == c->cap) {
		size_t nc = c->cap ? c->cap * 2 : 16;
		struct exe_entry **v = realloc(c->v, nc * sizeof(*v));

		if (!v)
			return NULL;
		c->v = v;
		c->cap = nc;
	}
	e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	analyze(c, e, t);
	c->v[c->n++] = e;
	return e;
}

int exe_entry_add_to_tracer(struct exe_entry *e, struct tracer *tr)
{
	if (e->in_tracer)
		return 0;
	if (tracer_add_plan(tr, &e->prog, &e->plan, &e->pp))
		return -1;
	e->in_tracer = true;
	return 0;
}

void exe_cache_free(struct exe_cache *c)
{
	size_t i;

	for (i = 0; i < c->n; i++) {
		target_close(&c->v[i]->prog);
		free(c->v[i]);
	}
	free(c->v);
	memset(c, 0, sizeof(*c));
}
