// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <stddef.h>
#include "trace/figures.h"

static void hist_delta(struct ht_hist *out, const struct ht_hist *now)
{
	out->max_ns = now->max_ns;
}

void figures_delta(const struct ht_figures *now, const struct ht_figures *before, struct ht_figures *out)
{
	const __u64 *a = (const __u64 *)now, *b = (const __u64 *)before;
	__u64 *o = (__u64 *)out;
	size_t i;
	int k;

	/* Every field is a __u64 counter, histograms too, but for their max. */
	_Static_assert(sizeof(struct ht_figures) % sizeof(__u64) == 0, "figures are u64 words");
	for (i = 0; i < sizeof(*now) / sizeof(__u64); i++)
		o[i] = a[i] - b[i];
	hist_delta(&out->gc_pause, &now->gc_pause);
	hist_delta(&out->gc_stopping, &now->gc_stopping);
	hist_delta(&out->other_pause, &now->other_pause);
	hist_delta(&out->other_stopping, &now->other_stopping);
	hist_delta(&out->scavenge, &now->scavenge);
	hist_delta(&out->scavenger_run, &now->scavenger_run);
	hist_delta(&out->free_os_memory, &now->free_os_memory);
	hist_delta(&out->heap_grow, &now->heap_grow);
	for (k = 0; k < HT_MAX_ADVICE; k++)
		hist_delta(&out->madvise[k].latency, &now->madvise[k].latency);
}

uint64_t hist_quantile_ns(const struct ht_hist *h, double q)
{
	uint64_t seen = 0, total = 0;
	int s;

	for (s = 0; s < HT_HIST_SLOTS; s++)
		total += h->slots[s];
	if (!total)
		return 0;
	for (s = 0; s < HT_HIST_SLOTS; s++) {
		seen += h->slots[s];
		if ((double)seen >= q * (double)total) {
			uint64_t bound = 1ull << (s + 1);

			/* the slot's bound can lie above every sample in it */
			return h->max_ns && h->max_ns < bound ? h->max_ns : bound;
		}
	}
	return h->max_ns;
}

void hist_merge(struct ht_hist *a, const struct ht_hist *b)
{
	int s;

	a->count += b->count;
	a->sum_ns += b->sum_ns;
	if (b->max_ns > a->max_ns)
		a->max_ns = b->max_ns;
	for (s = 0; s < HT_HIST_SLOTS; s++)
		a->slots[s] += b->slots[s];
}

void hist_record(struct ht_hist *h, uint64_t ns)
{
	int slot = ns ? 63 - __builtin_clzll(ns) : 0;

	if (slot >= HT_HIST_SLOTS)
		slot = HT_HIST_SLOTS - 1;
	h->count++;
	h->sum_ns += ns;
	h->slots[slot]++;
	if (ns > h->max_ns)
		h->max_ns = ns;
}
