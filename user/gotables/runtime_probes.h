/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* Which Go runtime functions heaptrace probes, per Go version family, and
 * where each handler finds the arguments and results it reads.
 * This table is the only place that knows runtime symbol names. */
#ifndef HT_GOTABLES_RUNTIME_PROBES_H
#define HT_GOTABLES_RUNTIME_PROBES_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>
#include "heaptrace.h"

#define PROBE_MAX_ARGS HT_POINT_ARGS

/* An argument (or result) the handler reads as a<slot>: `index` is its
 * position among the integer arguments (receiver first) of the register
 * ABI, or HT_ARG_STACK | n for word n of an assembly function's frame. */
struct probe_arg {
	const char *name;
	uint8_t slot;  /* a0..a3 of the handler */
	uint8_t index;
};

struct probe_spec {
	const char *symbol;
	int min_minor, max_minor; /* Go 1.min .. 1.max inclusive; 0 = unbounded */
	enum ht_tier tier;
	enum ht_handler handler;
	bool exits;    /* handler measures exits (latency): probe every RET */
	bool optional; /* absent when the program never calls it; no warning */
	bool assembly; /* a NOSPLIT assembly function: no prologue, probed at its entry */
	const char *what;
	struct probe_arg args[PROBE_MAX_ARGS];	  /* read at the attach point */
	struct probe_arg results[PROBE_MAX_ARGS]; /* read at the RETs */
	/* Also probe every direct call of the function (in any function: the
	 * callers are small and inlined here and there), reading `args` at
	 * the call; the calls count it, exactly and cheaply (a call is
	 * emulated, the assembly function's entry single-stepped). */
	bool call_sites;
	/* Its RETs only time it (the entry counts it): sampled points
	 * (HT_TIER_SAMPLED); with call_sites, the entry too, as long as call
	 * sites were found to count it. */
	bool timing_sampled;
};

extern const struct probe_spec runtime_probes[];
extern const size_t runtime_probes_len;

/* The tables' one version rule: Go 1.minor in [min, max], 0 = unbounded. */
bool go_minor_in(int minor, int min, int max);
/* Does the table entry apply to Go 1.minor? */
bool probe_applies(const struct probe_spec *s, int minor);

/* Register names of the Go register ABI's integer arguments (Go 1.17+);
 * "stack+N" for an assembly function's frame word. */
const char *abi_arg_reg(uint16_t machine, unsigned index, char *buf, size_t len);
const char *tier_name(enum ht_tier t);
/* The name of a stopTheWorldWithSema reason, or NULL where the version
 * passes none. */
const char *stw_reason_name(int go_minor, unsigned reason);
/* The stwReason values of the GC's two pauses (0 where none is passed). */
unsigned stw_reason_sweep_term(int go_minor);
unsigned stw_reason_mark_term(int go_minor);
#define STW_REASONS_MAX 32
/* Oldest and newest Go minor versions the tables know. */
#define GO_MIN_SUPPORTED_MINOR 19
#define GO_MAX_KNOWN_MINOR 27
#endif
