/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* The figures BPF keeps per process (struct ht_figures), as snapshots:
 * differences between two (the live view's interval, the whole run) and
 * the arithmetic the views share. */
#ifndef HT_TRACE_FIGURES_H
#define HT_TRACE_FIGURES_H
#include <stdint.h>
#include <linux/types.h>
#include "heaptrace.h"

/* out = now - before, field by field; a histogram's max_ns is that of `now`
 * (a maximum cannot be subtracted). */
void figures_delta(const struct ht_figures *now, const struct ht_figures *before, struct ht_figures *out);
/* Upper bound of the slot below which fraction q of the samples lie, never
 * above the largest sample seen; 0 for an empty histogram. */
uint64_t hist_quantile_ns(const struct ht_hist *h, double q);
/* One value into a histogram, as BPF's hist_add does (figures read from
 * the target's memory rather than counted by a probe). */
void hist_record(struct ht_hist *h, uint64_t ns);
/* a += b (merging two histograms: the GC's and the others' pauses). */
void hist_merge(struct ht_hist *a, const struct ht_hist *b);
#endif
