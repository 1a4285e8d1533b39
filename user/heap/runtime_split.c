// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <string.h>
#include "heap/runtime_split.h"

static uint64_t sub0(uint64_t a, uint64_t b)
{
	return a > b ? a - b : 0;
}

static uint64_t min64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

void rt_memory_split(const struct rt_classes *c, const struct rt_memstats *ms, const struct rss_split *s,
		     struct rt_memory *out)
{
	memset(out, 0, sizeof(*out));
	out->rss = s->all.rss;
	out->exe_bytes = s->exe.rss;
	if (s->go_named) {
		/* The heap's mappings hold the committed heap (objects, unused,
		 * free, stacks, work bufs) and the released pages, which should
		 * not be resident: what is beyond the committed bytes was
		 * released and is back (or never left). */
		out->go_bytes = s->go.rss;
		out->go_measured = true;
		out->released_resident = min64(sub0(s->go_heap.rss, ms->committed), c->heap_released);
		out->released_lazyfree = min64(s->go_heap.lazyfree, out->released_resident);
		out->heap_anon_huge = s->go_heap.anon_huge;
		if (s->go_heap.anon_huge)
			out->released_huge = out->released_resident - out->released_lazyfree;
	} else {
		/* Only LazyFree tells released pages that are resident here;
		 * C allocators use MADV_FREE too, so no more than the runtime
		 * released is taken for its own. */
		out->released_lazyfree = min64(s->all.lazyfree, c->heap_released);
		out->released_resident = out->released_lazyfree;
		out->go_bytes = c->total - c->heap_released + out->released_resident;
		out->heap_anon_huge = s->all.anon_huge;
		/* pages it mapped and never touched are not resident: no more
		 * than what the program file leaves of RSS is Go's */
		if (out->go_bytes > sub0(out->rss, out->exe_bytes))
			out->go_bytes = sub0(out->rss, out->exe_bytes);
	}
	out->not_go_bytes = sub0(sub0(out->rss, out->exe_bytes), out->go_bytes);
}
