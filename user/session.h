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
#include "run.h"
#include "target/target.h"
#include "trace/consumer.h"
#include "trace/probe_set.h"

struct session_opts {
	uint64_t duration_ns; /* 0: until Ctrl-C or the target exits */
	uint64_t interval_ns;
	bool quiet;
	FILE *json_out;	      /* NULL: no JSON report */
	FILE *out;	      /* live view and text report */
	uint32_t ringbuf_bytes;
	bool launched;	      /* target is our stopped child: release it once attached */
	enum ht_tier max_tier; /* HT_TIER_WARM by default; HOT with --hot */
	double max_overhead_pct; /* --max-overhead, of one CPU; 0: none */
	bool host;	      /* one of many (--all): no messages, live view or report of its own */
	uint64_t walk_delay_ns; /* host: walk the heap this long after attaching */
	struct exporter_opts exports; /* --listen, --textfile, --pprof, --top-maps */
};

struct session {
	const struct session_opts *o;
	struct target *t;
	struct tracer *tr;	/* shared by every session of the run */
	struct exe_entry *entry;	/* its executable (exe_cache.h), in use while traced */
	const struct probe_plan *plan;	/* the executable's */
	const struct plan_points *pp;	/* its points, at their cookies */
	struct exe_link *link;	/* the probes it is traced through */
	bool added;		/* the tracer counts figures for it */
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
	uint64_t walk_at;	/* host: when the heap walk is due (0: done or none) */
	/* what the last full read saw: a process that has not run since is not
	 * read again until IDLE_FULL_NS (session.c) */
	unsigned long long read_cpu_ticks;
	uint64_t read_hits, read_at;
	uint64_t sampled_at_start; /* the link's sampled time when the trace began */
	const char *stop_reason; /* set once the trace ends */
};

/* Set from the SIGINT/SIGTERM and SIGHUP handlers. */
extern volatile sig_atomic_t session_stop_signal;
extern volatile sig_atomic_t session_hup;

/* Plans and attaches to t with the shared tracer; on failure (-1,
 * ht_last_error() set) nothing is left attached and session_close() is
 * still to be called. */
int session_start(struct session *s, const struct session_opts *o, struct target *t, struct run *run,
		  struct exe_entry *e);

#define SESSIONS_MAX 512
struct session_group {
	struct session **v;
	int n;
};
/* For consumer_open(): the tally of the session tracing tgid (ctx: a
 * struct session_group). */
struct event_tally *session_tally_of(void *ctx, pid_t tgid);
/* Waits for records and ticks until every session has ended (a signal, the
 * duration, the target gone). */
void sessions_run(struct consumer *c, struct session_group *g);
/* Ends the session if its trace is over (a signal, the duration, the
 * target gone: `exited` when its pidfd said so); true once it has ended. */
bool session_ended(struct session *s, uint64_t now, bool exited);
/* Reads and shows what is due at `now`; when to call again. */
void session_tick(struct session *s, uint64_t now);
uint64_t session_next_wakeup(const struct session *s);
/* Walks the heap for maps that grew before the trace, within budget_ns. */
void session_walk(struct session *s, uint64_t budget_ns);
/* Final reads, detach, the report. */
int session_finish(struct session *s);
void session_close(struct session *s);
/* Its probes go (with the file's last traced process, in host mode). */
void session_detach(struct session *s);
#endif
