/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* Host mode's live view: one row per traced process, the most retained by
 * maps first, as many as the terminal has rows for. */
#ifndef HT_REPORT_HOST_VIEW_H
#define HT_REPORT_HOST_VIEW_H
#include "report/report.h"

struct host_row {
	const struct trace_snapshot *snap;
	const struct ht_figures *prev; /* at the previous view: the interval's figures */
	uint64_t window_ns;
	const char *container_id;      /* "" outside a container */
};

struct host_view {
	FILE *out;
	bool tty;
};

void host_view_init(struct host_view *v, FILE *out);
/* traced: processes followed now; others: counts for the header line. */
void host_view_tick(struct host_view *v, struct host_row *rows, size_t n, const char *summary);
#endif
