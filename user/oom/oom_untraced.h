/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Host mode: OOM kills of Go processes heaptrace follows but was not
 * tracing (refused by --max-procs, or not attached yet). Their record has
 * what is known without a trace, the program and the kill (oom.traced
 * false, and a limitation saying so), and their heaptrace_oom_kills_total
 * series is kept as a traced process's is. Bounded: the newest
 * OOM_UNTRACED_KEEP processes remembered, and as many kills.
 */
#ifndef HT_OOM_OOM_UNTRACED_H
#define HT_OOM_OOM_UNTRACED_H
#include <stdio.h>
#include "oom/oom_event.h"
#include "report/report.h"
#include "target/labels.h"
#include "target/target.h"

#define OOM_UNTRACED_KEEP 64

struct oom_untraced {
	struct target t;	/* pid, exe, Go version, map_impl: nothing open */
	struct proc_labels labels;
	unsigned long long starttime;
	bool killed;
	struct oom_event ev;
	struct trace_snapshot snap; /* once killed: its series (gone) */
};

struct oom_untraced_list {
	struct oom_untraced *known[OOM_UNTRACED_KEEP]; /* oldest first */
	int nknown;
	struct oom_untraced *kills[OOM_UNTRACED_KEEP];
	int nkills;
	uint64_t kills_total;
};

/* A Go process heaptrace follows and does not trace: `t` identified, `prog`
 * its program (exe_cache.h). */
void oom_untraced_remember(struct oom_untraced_list *l, const struct target *t, const struct target *prog,
			   const struct proc_labels *labels, unsigned long long starttime);
/* An OOM record (HT_REC_OOM_VICTIM) about a process no session traces: if
 * it is one remembered, the kill is kept (its series counts it) and
 * returned; oom_untraced_write then writes its record to dir (NULL: none)
 * and says it on out. NULL if it is not one. */
struct oom_untraced *oom_untraced_kill(struct oom_untraced_list *l, const void *data, size_t len);
void oom_untraced_write(struct oom_untraced *u, const char *dir, FILE *out);
/* Appends the kills' snapshots (for the exports) to v; their count. */
size_t oom_untraced_snapshots(const struct oom_untraced_list *l, const struct trace_snapshot **v, size_t max);
void oom_untraced_free(struct oom_untraced_list *l);
#endif
