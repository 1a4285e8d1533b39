/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The runtime's own state in every view: gc.since_start and the settings,
 * memory.classes, the RSS split and the limits, advice[] in JSON; one block
 * of lines (settings and history, where RSS goes, limits, advice) in the
 * text report and, shorter, in the live view.
 */
#ifndef HT_REPORT_RUNTIME_REPORT_H
#define HT_REPORT_RUNTIME_REPORT_H
#include <stdio.h>
#include <jansson.h>
#include "heap/runtime_watch.h"
#include "report/advice.h"

/* The advice for what the watch read of target t; returns how many. */
size_t runtime_advice(const struct runtime_watch *w, const struct target *t, struct advice *out, size_t max);

/* Adds since_start, gogc, gomemlimit_bytes, heap_goal_bytes,
 * heap_live_bytes, cpu_fraction (null when unknown) and, with no_probes,
 * window and source to the report's gc object. w may be NULL. */
void runtime_gc_json(json_t *gc, const struct runtime_watch *w, bool no_probes);
/* Adds classes, go_bytes, executable_bytes, not_go_bytes, the released
 * pages still resident and limits to the report's memory object. */
void runtime_memory_json(json_t *memory, const struct runtime_watch *w);
/* advice[] and runtime_state (how the globals were found, or why not). */
json_t *runtime_advice_json(const struct runtime_watch *w, const struct target *t);
json_t *runtime_state_json(const struct runtime_watch *w);

/* The block: settings and the history since start, RSS split, limits,
 * advice. live: the short form for the 80-column live view. */
void print_runtime_block(FILE *out, const struct runtime_watch *w, const struct target *t, bool live);
#endif
