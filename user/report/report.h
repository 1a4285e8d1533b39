/* The final report of a trace: text for people, JSON (schema 1) for scripts. */
#ifndef HT_REPORT_REPORT_H
#define HT_REPORT_REPORT_H
#include <stdbool.h>
#include <stdio.h>
#include "heap/page_stats.h"
#include "heap/gomap_tracker.h"
#include "trace/overhead.h"
#include "trace/consumer.h"
#include "heap/smaps.h"
#include "trace/bpf_stats.h"
#include "trace/tracer.h"

struct trace_result {
	const struct target *target;
	const struct probe_plan *plan;
	const struct probe_hits *hits; /* per plan probe */
	const struct stats *total;     /* the whole run */
	const struct event_tally *tally;
	struct smaps mem;	       /* at the end; zero if the target was gone */
	bool have_mem;
	uint64_t duration_ns;
	const char *stop_reason;
	const char *attach_method;     /* "uprobe_multi" or "uprobe" */
	const char *madvise_method;
	bool reuse_probed;	       /* sysUsedOS is hot-tier: not probed by default */
	const struct map_tracker *maps;
	struct heap_stats heap;	       /* the runtime's page accounting at the end */
	bool have_heap;
	const struct overhead *overhead;
};

void report_text(FILE *out, const struct trace_result *r);
/* Writes to an already opened stream; returns -1 with a message on error. */
int report_json(FILE *out, const struct trace_result *r);

/* Shared by the live view and the final report: d for the interval (or the
 * whole run), total for the run so far, NULL in the final report. */
void print_gc_line(FILE *out, const struct stats *d, const struct stats *total);
void print_madvise_lines(FILE *out, const struct stats *d, const struct stats *total);
void print_memory_line(FILE *out, const struct smaps *m);
#endif
