/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* The live view: one screen a tick, what happened in the interval and in
 * total. Redraws in place on a terminal; plain blocks in a log file. */
#ifndef HT_REPORT_LIVE_VIEW_H
#define HT_REPORT_LIVE_VIEW_H
#include <stdbool.h>
#include <stdio.h>
#include "report/report.h"

struct live_view {
	FILE *out;
	bool tty;
	struct ht_figures prev;
};

void live_view_init(struct live_view *v, FILE *out);
void live_view_tick(struct live_view *v, const struct trace_snapshot *r);
#endif
