/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* What one probe hit costs the target on this machine, and the target time
 * that the hits counted so far cost: the overhead estimate of the live view,
 * the report and --max-overhead.
 *
 * A hit is the kernel's trap (which depends on the probed instruction) plus
 * the handler's work. The trap is timed on heaptrace's own code, with the
 * real BPF program, once per boot: the result is kept in /run/heaptrace.
 * The handler's work (a count, a record, a stack) is timed by the BPF
 * program itself on every hit in the target (ht_point_count.work_ns): what
 * a stack walk and the map lookups cost depends on the target's stack depth
 * and on how cold its caches leave them, which no calibration on
 * heaptrace's own code can reproduce (it read 15-25% low on real servers,
 * issue 11). */
#ifndef HT_TRACE_HIT_COST_H
#define HT_TRACE_HIT_COST_H
#include <stdbool.h>
#include <stdint.h>
#include "plan/probeplan.h"
#include "trace/tracer.h"

struct hit_cost {
	/* the trap alone, by instruction */
	uint64_t branch_ns; /* a conditional branch (the stack check): the kernel emulates it */
	uint64_t entry_ns;  /* an ordinary instruction (a function's first): single-stepped */
	uint64_t ret_ns;    /* a RET (the exit points) */
	bool measured;
	bool partial;	    /* the trace ended before every round: used, not cached */
	bool cached;	    /* read from this boot's cache, not measured by this run */
};

/* Times a hit of each instruction kind on heaptrace's own code: one
 * uprobe_multi link on a few functions of its own, a few hundred calls each
 * with and without it, in rounds spread over about a second. `stop` (may be
 * NULL) is polled between and within rounds: set, the measurement keeps the
 * rounds it finished, and fails if there are none. */
int hit_cost_measure(struct tracer *tr, struct hit_cost *out, const volatile int *stop);
/* This boot's measurement, if a run made one (same kernel and heaptrace). */
bool hit_cost_load_cached(struct hit_cost *out);
void hit_cost_save_cached(const struct hit_cost *c);

/* Target time spent in probes for `hits` (per plan probe): their traps and
 * their handlers' measured work. With `tier` >= 0 only the probes of that
 * tier. */
uint64_t hit_cost_ns(const struct hit_cost *c, const struct probe_plan *plan, const struct probe_hits *hits,
		     int tier);
/* Hits at entries and exits, of every probe or (tier >= 0) of one tier. */
uint64_t probe_hits_total(const struct probe_plan *plan, const struct probe_hits *hits, int tier);
/* The handlers' measured time, of every probe or (tier >= 0) of one tier. */
uint64_t probe_work_ns(const struct probe_plan *plan, const struct probe_hits *hits, int tier);
/* Their mean time per hit of every probe; 0 with no hits. */
uint64_t handler_ns_per_hit(const struct probe_plan *plan, const struct probe_hits *hits);
#endif
