/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* The lines a trace prints as it goes: started, the heap walk, a tier
 * detached by the budget, the hot probes' summary. */
#ifndef HT_REPORT_MESSAGES_H
#define HT_REPORT_MESSAGES_H
#include "report/report.h"
#include "export/exporter.h"

/* hot_ns: the bound of a --hot trace, 0 without --hot. */
void report_started(FILE *out, const struct trace_snapshot *r, uint64_t hot_ns);
/* error: why the walk failed, or NULL. */
void report_heap_walk(FILE *out, const struct map_tracker *mt, const char *error);
void report_budget_detach(FILE *out, const struct overhead *o, enum ht_tier tier);
/* Where the exports go; nothing without them (e NULL). */
void report_exports(FILE *out, const struct exporter *e);
void report_hot_summary(FILE *out, const struct trace_snapshot *r);
#endif
