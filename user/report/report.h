/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* What every view of a trace reads (the live view, the final report as text
 * and as JSON, the exports), and the final report's writers. */
#ifndef HT_REPORT_REPORT_H
#define HT_REPORT_REPORT_H
#include <stdbool.h>
#include <stdio.h>
#include <time.h>
#include <jansson.h>
#include "heap/gomap_tracker.h"
#include "heap/page_stats.h"
#include "heap/smaps.h"
#include "target/labels.h"
#include "trace/consumer.h"
#include "trace/figures.h"
#include "trace/overhead.h"
#include "trace/tracer.h"

/* One target's trace as it stands: filled by the session at every tick and
 * at the end. */
struct trace_snapshot {
	const struct target *target;
	const struct probe_plan *plan;
	const struct probe_hits *hits;	  /* per plan probe */
	const struct ht_figures *figures; /* the whole run so far */
	const struct event_tally *tally;
	const struct map_tracker *maps;
	const struct overhead *overhead;
	struct smaps mem;		  /* the kernel's view, last read */
	bool have_mem;
	struct heap_stats heap;		  /* the runtime's page accounting, last read */
	bool have_heap;
	uint64_t duration_ns;		  /* traced so far */
	struct timespec started_at, ended_at; /* wall clock (ended_at zero while running) */
	const char *stop_reason;	  /* NULL while running */
	const char *attach_method;	  /* "uprobe_multi" or "uprobe" */
	uint32_t ringbuf_kb;		  /* the event ring buffer's size */
	const struct madvise_probe *madvise;
	bool reuse_probed;		  /* sysUsedOS is hot-tier: not probed by default */
	const struct proc_labels *labels; /* host mode: comm, container; NULL for one target */
	/* madvise latency timed a part of the time (exe_link's sampled tier):
	 * how long it was, of duration_ns; all the time when !latency_sampled */
	bool latency_sampled;
	uint64_t latency_sampled_ns;
};

void report_text(FILE *out, const struct trace_snapshot *r);
/* Writes to an already opened stream; returns -1 with a message on error. */
int report_json(FILE *out, const struct trace_snapshot *r);
/* The same report as an object (host mode lists one per process), and
 * writing one (it is freed). */
json_t *report_json_object(const struct trace_snapshot *r);
int report_json_write(FILE *out, json_t *root);

/* Shared by the live view and the final report: d for the interval (or the
 * whole run), total for the run so far, NULL in the final report. */
void print_gc_lines(FILE *out, const struct trace_snapshot *r, const struct ht_figures *d,
		    const struct ht_figures *total);
void print_madvise_lines(FILE *out, const struct ht_figures *d, const struct ht_figures *total);
void print_memory_line(FILE *out, const struct smaps *m);
/* The --ringbuf-kb to suggest after a loss: four times this run's. */
unsigned larger_ringbuf_kb(const struct trace_snapshot *r);
#endif
