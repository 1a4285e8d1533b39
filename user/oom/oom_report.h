/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * An OOM kill in the reports: the JSON report's `oom` object (with its maps
 * ordered by table bytes, the memory they hold at the kill), and the line
 * that says it.
 */
#ifndef HT_OOM_OOM_REPORT_H
#define HT_OOM_OOM_REPORT_H
#include <stdio.h>
#include <jansson.h>
#include "oom/oom_event.h"

struct trace_snapshot;

/* Adds r->oom to a report object of r (report_json_object) as "oom", and
 * orders its "maps" by table_bytes, largest first. */
void oom_report_json(json_t *root, const struct trace_snapshot *r);
/* "the OOM killer (memory cgroup limit 160 MiB)": what killed it. */
void oom_killer_words(const struct oom_event *ev, char *buf, size_t len);
/* The verdict, where the record is, and last "heaptrace: pid N was killed
 * by the OOM killer (memory cgroup limit 160 MiB)"; exe (host mode) adds a
 * first line naming the program. */
void oom_report_text(FILE *out, const struct oom_event *ev, const char *exe);
/* The wall clock of a CLOCK_MONOTONIC time. */
void oom_wall_clock(uint64_t mono_ns, struct timespec *out);
#endif
