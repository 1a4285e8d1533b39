/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* The probe plan: for a target, which runtime functions to probe, at which
 * instruction, and every RET for exits. Built without touching the target. */
#ifndef HT_PLAN_PROBEPLAN_H
#define HT_PLAN_PROBEPLAN_H
#include "plan/decode.h"
#include "gotables/runtime_probes.h"
#include "target/target.h"

#define PLAN_MAX_PROBES 32

#define PLAN_MAX_CALL_SITES 16

struct planned_probe {
	const struct probe_spec *spec;
	struct go_func func;
	struct func_code code;
	/* spec->call_sites: every direct call of the function, decoded */
	uint64_t calls[PLAN_MAX_CALL_SITES];
	int ncalls;
};

struct skipped_probe {
	const struct probe_spec *spec;
	bool absent; /* the function is not in the program: it can never run */
	char why[256];
};

struct probe_plan {
	struct planned_probe probes[PLAN_MAX_PROBES];
	int n;
	struct skipped_probe skipped[PLAN_MAX_PROBES];
	int nskipped;
	int npoints; /* attach points: entries plus exits of probes that want them */
};

/* Plans every table entry for the target's Go version up to max_tier.
 * Fails only when no probe at all can be planned. */
int plan_probes(const struct target *t, enum ht_tier max_tier, struct probe_plan *plan);
bool plan_has_handler(const struct probe_plan *plan, enum ht_handler h);
/* Every function of the program that reaches handler h is probed: at least
 * one is, and none that the program contains was skipped. */
bool plan_covers_handler(const struct probe_plan *plan, enum ht_handler h);
#endif
