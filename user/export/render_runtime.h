/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The metric families of the runtime's own state (report/runtime_report.h):
 * memory classes, settings, the RSS split, the limits, advice. Written after
 * render_metrics()'s families, with the same labels on every series.
 */
#ifndef HT_EXPORT_RENDER_RUNTIME_H
#define HT_EXPORT_RENDER_RUNTIME_H
#include <stddef.h>
#include "export/metrics_text.h"
#include "report/report.h"

/* common[i] (ncommon[i] labels) go on every series of v[i]. */
int render_runtime_metrics(struct metrics_writer *w, const struct trace_snapshot *const *v, size_t n,
			   const struct metrics_label *const *common, const size_t *ncommon);
#endif
