// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <string.h>
#include "heap/goheap.h"
#include "heap/page_stats.h"
#include "heap/runtime_globals.h"

#define GENERATIONS 3 /* consistentHeapStats.stats */
#define MAX_HSD 2048

static int64_t sum(const struct go_layout *L, const uint8_t *raw, uint16_t off)
{
	int64_t total = 0, v;
	int g;

	if (off == GO_ABSENT)
		return 0;
	for (g = 0; g < GENERATIONS; g++) {
		memcpy(&v, raw + (size_t)g * L->hsd_size + off, 8);
		total += v;
	}
	return total;
}

bool heapstats_decode(const struct go_layout *L, const uint8_t *raw, struct heap_stats *out)
{
	/* The deltas of all generations add up to the totals: read() folds
	 * the previous generation into the current one and zeroes it. */
	int64_t committed = sum(L, raw, L->hsd_committed), released = sum(L, raw, L->hsd_released);
	int64_t inheap = sum(L, raw, L->hsd_inheap), stacks = sum(L, raw, L->hsd_instacks);
	int64_t workbufs = sum(L, raw, L->hsd_inworkbufs), bits = sum(L, raw, L->hsd_inptrscalarbits);
	int64_t used = inheap + stacks + workbufs + bits;

	/* Pages move in whole runtime pages. */
	if (committed <= 0 || released < 0 || inheap <= 0 || stacks < 0 || workbufs < 0 || bits < 0 ||
	    used > committed || committed % HT_GO_PAGE_SIZE || released % HT_GO_PAGE_SIZE || inheap % HT_GO_PAGE_SIZE ||
	    stacks % HT_GO_PAGE_SIZE)
		return false;
	*out = (struct heap_stats){ .committed = (uint64_t)committed, .released = (uint64_t)released,
				    .free_unreleased = (uint64_t)(committed - used), .in_heap = (uint64_t)inheap };
	return true;
}

void heapstats_open(struct heapstats_reader *r, const struct target *t)
{
	memset(r, 0, sizeof(*r));
	r->t = t;
	r->L = t->layout;
	memsrc_process(&r->mem, t->pid);
	/* Decoded once: until the runtime has started, every read tries them. */
	if (r->L)
		global_candidates(t, "runtime.memstats", r->L->mstats_heapstats, memstats_referrers, &r->candidates);
}

/* Two equal reads in a row: a writer mid-update would make them differ. */
static bool read_stable(struct heapstats_reader *r, uint64_t addr, struct heap_stats *out)
{
	uint8_t a[GENERATIONS * MAX_HSD], b[GENERATIONS * MAX_HSD];
	size_t len = (size_t)GENERATIONS * r->L->hsd_size;
	int tries;

	if (len > sizeof(a))
		return false;
	for (tries = 0; tries < 5; tries++) {
		if (!mem_read(&r->mem, addr, a, len) || !mem_read(&r->mem, addr, b, len))
			return false;
		if (!memcmp(a, b, len))
			return heapstats_decode(r->L, a, out);
	}
	return heapstats_decode(r->L, b, out);
}

bool heapstats_read(struct heapstats_reader *r, struct heap_stats *out)
{
	const struct global_candidates *c = &r->candidates;
	size_t i;

	if (!r->L || !r->t->host_arch)
		return false;
	if (r->addr)
		return read_stable(r, r->addr, out);
	for (i = 0; i < c->n; i++)
		if (read_stable(r, c->addr[i] + r->t->load_bias, out)) {
			r->addr = c->addr[i] + r->t->load_bias;
			r->how = i == 0 && c->from_symbol ? "symbol" : "decoded";
			return true;
		}
	return false;
}
