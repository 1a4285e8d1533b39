/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The Go runtime's own state read from a running target, with no probe:
 * runtime.memstats (page accounting, the runtime's other mapped memory,
 * the last 256 pauses, the collection count) and runtime.gcController
 * (GOGC, GOMEMLIMIT, the heap goal's inputs). Both globals are found once
 * (their symbols, or in stripped binaries the addresses that the runtime
 * functions using them refer to, validated by what they hold); then each
 * read is one process_vm_readv of about 12 KiB: each range twice, so that a
 * read racing the runtime's own update is seen and done again.
 *
 *	struct runtime_state_reader r;
 *	struct runtime_state s;
 *	runtime_state_open(&r, target);      // after target_read_program/borrow
 *	if (runtime_state_read(&r, &s))      // each interval
 *		... s.ms.numgc, s.classes.total, s.heap_goal ...
 *	runtime_state_close(&r);
 */
#ifndef HT_HEAP_RUNTIME_STATE_H
#define HT_HEAP_RUNTIME_STATE_H
#include <stdbool.h>
#include <stdint.h>
#include "heap/memsrc.h"
#include "heap/runtime_decode.h"
#include "heap/runtime_globals.h"
#include "target/target.h"

/* One reading of the runtime's state. */
struct runtime_state {
	bool have_memstats;	  /* ms and classes */
	bool have_controller;	  /* gc and heap_goal */
	struct rt_memstats ms;
	struct rt_classes classes;
	struct rt_gccontroller gc;
	uint64_t heap_goal;	  /* /gc/heap/goal:bytes */
	uint64_t read_ns;	  /* CLOCK_MONOTONIC of the read */
};

struct runtime_state_reader {
	struct memsrc mem;
	const struct target *t;
	const struct go_layout *L;
	uint64_t memstats, controller;	   /* runtime addresses; 0 until found */
	const char *memstats_how, *controller_how; /* "symbol" or "decoded" */
	struct global_candidates ms_cand, gc_cand;
	char why[256];			   /* what is not available, and why ("" when all is) */
	uint64_t reads, retries, torn;	   /* reads done, read again after a race, given up */
};

/* Prepares the reader (nothing is read yet): the candidates for both
 * globals come from the program's symbols and code. */
void runtime_state_open(struct runtime_state_reader *r, const struct target *t);
/* Reads the runtime's state now; finds the globals first if they are not
 * found yet (a launched program before its runtime starts has neither).
 * True when at least memstats was read; what was not is said in r->why. */
bool runtime_state_read(struct runtime_state_reader *r, struct runtime_state *out);
void runtime_state_close(struct runtime_state_reader *r);
#endif
