/* What one probe hit costs the target on this machine, measured at start-up
 * on heaptrace's own code, and the target time that the hits counted so far
 * cost: the overhead estimate of the live view, the report and --max-overhead. */
#ifndef HT_TRACE_HIT_COST_H
#define HT_TRACE_HIT_COST_H
#include <stdbool.h>
#include <stdint.h>
#include "plan/probeplan.h"
#include "trace/tracer.h"

struct hit_cost {
	uint64_t branch_ns; /* a conditional branch (the stack check): the kernel emulates it */
	uint64_t entry_ns;  /* an ordinary instruction (a function's first): single-stepped */
	uint64_t ret_ns;    /* a RET (the exit points) */
	bool measured;
};

/* Attaches heaptrace's uprobe program to three instructions of a function of
 * its own, times a few hundred calls with and without each probe, detaches.
 * The program returns at once outside the target, so this is the kernel's
 * trap and dispatch: the bulk of a hit. */
int hit_cost_measure(struct tracer *tr, struct hit_cost *out);

/* Target time spent in probes for `hits` (per plan probe). With `tier` >= 0
 * only the probes of that tier. */
uint64_t hit_cost_ns(const struct hit_cost *c, const struct probe_plan *plan, const struct probe_hits *hits,
		     int tier);
/* Hits at entries and exits, of every probe or (tier >= 0) of one tier. */
uint64_t probe_hits_total(const struct probe_plan *plan, const struct probe_hits *hits, int tier);
#endif
