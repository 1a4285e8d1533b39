// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <stdlib.h>
#include "export/intern.h"

int64_t intern_find(const struct intern *t, uint64_t hash, intern_eq_fn eq, const void *ctx)
{
	size_t i;

	if (!t->cap)
		return -1;
	for (i = hash & (t->cap - 1); t->slots[i].pos1; i = (i + 1) & (t->cap - 1))
		if (t->slots[i].hash == hash && eq(ctx, t->slots[i].pos1 - 1))
			return t->slots[i].pos1 - 1;
	return -1;
}

static void place(struct intern_slot *slots, size_t cap, uint64_t hash, uint32_t pos1)
{
	size_t i;

	for (i = hash & (cap - 1); slots[i].pos1; i = (i + 1) & (cap - 1))
		;
	slots[i].hash = hash;
	slots[i].pos1 = pos1;
}

int intern_add(struct intern *t, uint64_t hash, uint32_t pos)
{
	if (2 * (t->n + 1) > t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 64, i;
		struct intern_slot *s = calloc(cap, sizeof(*s));

		if (!s)
			return -1;
		for (i = 0; i < t->cap; i++)
			if (t->slots[i].pos1)
				place(s, cap, t->slots[i].hash, t->slots[i].pos1);
		free(t->slots);
		t->slots = s;
		t->cap = cap;
	}
	place(t->slots, t->cap, hash, pos + 1);
	t->n++;
	return 0;
}

void intern_free(struct intern *t)
{
	free(t->slots);
	t->slots = NULL;
	t->cap = t->n = 0;
}

uint64_t intern_hash(uint64_t h, const void *data, size_t len)
{
	const unsigned char *p = data;

	while (len--)
		h = (h ^ *p++) * 1099511628211ull;
	return h;
}
