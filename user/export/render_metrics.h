/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * heaptrace's metrics (design.md section 5, "Exports") rendered from trace
 * snapshots: what /metrics serves and --textfile writes. Every family is
 * written once, with one series per snapshot (pid on each), so that host
 * mode can render many targets into one exposition; a series whose figure
 * is unknown (the runtime's page accounting not found yet, say) is left
 * out rather than written as 0.
 *
 * Per-map series are the top N maps by retained bytes at this rendering: a
 * map that left the top N, or was freed, has no series any more.
 */
#ifndef HT_EXPORT_RENDER_METRICS_H
#define HT_EXPORT_RENDER_METRICS_H
#include <stddef.h>
#include "export/metrics_text.h"
#include "report/report.h"

/* --top-maps default: per-map series for this many maps, per target. */
#define RENDER_TOP_MAPS_DEFAULT 20
/* --top-maps at most: a scrape of 10,000 maps is already large. */
#define RENDER_TOP_MAPS_MAX 10000

/* Appends every heaptrace family for the n snapshots to w (which the caller
 * finishes). Returns w's error state: -1 after ht_fail. */
int render_metrics(struct metrics_writer *w, const struct trace_snapshot *const *v, size_t n, unsigned top_maps);

/* The whole exposition of one format, in a buffer the caller frees. */
int render_metrics_text(const struct trace_snapshot *const *v, size_t n, unsigned top_maps, enum metrics_format format,
			char **text, size_t *len);
#endif
