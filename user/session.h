/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* One trace of one process: start (plan, load, attach, walk the heap), a
 * tick per interval, finish (final reads, detach, report). The driver waits
 * on every session's file descriptors and ticks each one when it is due. */
#ifndef HT_SESSION_H
#define HT_SESSION_H
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include "heaptrace.h"
#include "export/exporter.h"
#include "report/live_view.h"
#include "report/report.h"
#include "target/target.h"

struct session_opts {
	uint64_t duration_ns; /* 0: until Ctrl-C or the target exits */
	uint64_t interval_ns;
	bool quiet;
	FILE *json_out;	      /* NULL: no JSON report */
	FILE *out;	      /* live view and text report */
	const char *btf_path;
	uint32_t ringbuf_bytes;
	bool launched;	      /* target is our stopped child: release it once attached */
	enum ht_tier max_tier; /* HT_TIER_WARM by default; HOT with --hot */
	double max_overhead_pct; /* --max-overhead, of one CPU; 0: none */
	struct exporter_opts exports; /* --listen, --textfile, --pprof, --top-maps */
};

struct session {
	const struct session_opts *o;
	struct target *t;
	struct probe_plan plan;
	struct tracer tr;
	struct ring_buffer *rb;
	struct event_tally tally;
	struct map_tracker maps;
	struct heapstats_reader hsr;
	struct ht_proc_config cfg;
	struct overhead ovh;
	struct live_view view;
	struct ht_figures figures;
	struct probe_hits hits[PLAN_MAX_PROBES];
	struct trace_snapshot snap;
	struct exporter *exporter; /* NULL without exports */
	int pidfd;
	uint64_t start, next_tick, last_tick, deadline, next_mem;
	const char *stop_reason; /* set once the trace ends */
};

/* Set from the SIGINT/SIGTERM handler. */
extern volatile sig_atomic_t session_stop_signal;

/* Plans, loads and attaches; on failure (-1, ht_last_error() set) nothing
 * is left attached and session_close() is still to be called. */
int session_start(struct session *s, const struct session_opts *o, struct target *t);
/* Waits for events and ticks until every session has ended (a signal, the
 * duration, the target gone). */
void sessions_run(struct session *const *v, int n);
/* Final reads, detach, the report. */
int session_finish(struct session *s);
void session_close(struct session *s);
#endif
