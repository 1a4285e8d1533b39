/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* The overhead estimate: hits per probe in each interval times the per-hit
 * cost (trap and handler), shown live and in the report; and the
 * --max-overhead budget, which detaches the costliest tier above it. */
#ifndef HT_TRACE_OVERHEAD_H
#define HT_TRACE_OVERHEAD_H
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include "trace/hit_cost.h"

/* The per-hit cost, one for every session of a run: this boot's, or
 * measured in a thread beside the trace (a few tens of ms). */
struct calibration {
	struct hit_cost cost;	/* valid once `ready` */
	int ready;		/* set by the measuring thread (atomic) */
	int stop;		/* tells the measuring thread to give up */
	pthread_t thread;
	bool thread_started;
	struct tracer *tr;
	char unavailable[200];	/* why there is no estimate, when !cost.measured */
};

/* Never fails: without it there is no estimate, and `unavailable` says why. */
void calibration_start(struct calibration *c, struct tracer *tr);
/* Ends the measurement (giving up if it is not done) and keeps it for the
 * next run; before the programs go. */
void calibration_finish(struct calibration *c);

struct overhead {
	const struct calibration *cal;
	struct hit_cost cost;	/* the calibration's, once ready */
	char unavailable[200];	/* why there is no estimate, when !cost.measured */
	double budget_pct;	/* of one CPU; 0: no budget */
	struct probe_hits prev[PLAN_MAX_PROBES];
	uint64_t window_hits, window_cost_ns, window_ns; /* the last interval */
	bool detached[HT_TIER_HOT + 1];			 /* by the budget */
};

void overhead_start(struct overhead *o, const struct calibration *cal, double budget_pct);
/* Takes the calibration's result as it stands: before the report. */
void overhead_finish(struct overhead *o);
/* One interval of window_ns ended, with these hits so far: estimates their
 * cost; over the budget, returns the costliest tier above cold to detach
 * (and counts it detached), else -1. */
int overhead_tick(struct overhead *o, const struct probe_plan *plan, const struct probe_hits *now,
		  uint64_t window_ns);
/* Percent of one CPU that cost_ns over window_ns is. */
double overhead_pct(uint64_t cost_ns, uint64_t window_ns);
/* "N hits/s ~X% CPU" for the last interval (no share when not measured). */
void overhead_describe(const struct overhead *o, char *buf, size_t len);
#endif
