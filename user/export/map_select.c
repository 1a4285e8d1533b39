// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <stdbool.h>
#include <stdlib.h>
#include "export/map_select.h"

bool map_ranks_before(const struct tracked_map *a, const struct tracked_map *b)
{
	uint64_t x = tracked_retained(a), y = tracked_retained(b);

	return x != y ? x > y : a->m.addr < b->m.addr;
}

/* out[0..n) is a heap whose root is the one ranked last. */
static void sift_down(const struct tracked_map **h, size_t n, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, w = i;
		const struct tracked_map *t;

		if (l < n && map_ranks_before(h[w], h[l]))
			w = l;
		if (r < n && map_ranks_before(h[w], h[r]))
			w = r;
		if (w == i)
			return;
		t = h[i];
		h[i] = h[w];
		h[w] = t;
		i = w;
	}
}

static void sift_up(const struct tracked_map **h, size_t i)
{
	while (i) {
		size_t p = (i - 1) / 2;
		const struct tracked_map *t;

		if (!map_ranks_before(h[p], h[i]))
			return;
		t = h[i];
		h[i] = h[p];
		h[p] = t;
		i = p;
	}
}

size_t map_select_top(const struct map_tracker *mt, const struct tracked_map **out, size_t max)
{
	size_t i, n = 0, k;

	if (!max)
		return 0;
	for (i = 0; i < mt->n; i++) {
		const struct tracked_map *m = &mt->v[i];

		if (!m->parsed || m->freed)
			continue;
		if (n < max) {
			out[n] = m;
			sift_up(out, n++);
		} else if (map_ranks_before(m, out[0])) {
			out[0] = m;
			sift_down(out, n, 0);
		}
	}
	/* heap sort: the last-ranked root goes to the end each time */
	for (k = n; k > 1; k--) {
		const struct tracked_map *t = out[0];

		out[0] = out[k - 1];
		out[k - 1] = t;
		sift_down(out, k - 1, 0);
	}
	return n;
}
