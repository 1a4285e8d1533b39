/* The final report of a trace: text for people, JSON (schema 1) for scripts. */
#ifndef HT_REPORT_H
#define HT_REPORT_H
#include <stdio.h>
#include "tracer.h"

struct trace_result {
	const struct target *target;
	const struct probe_plan *plan;
	const struct probe_hits *hits; /* per plan probe */
	uint64_t duration_ns;
	uint64_t lost_events;
	const char *stop_reason;
	const char *attach_method; /* "uprobe_multi" or "uprobe" */
};

void report_text(FILE *out, const struct trace_result *r);
/* Writes to an already opened stream; returns -1 with a message on error. */
int report_json(FILE *out, const struct trace_result *r);
#endif
