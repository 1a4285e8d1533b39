/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* One process's uprobes: its executable's plan points, filtered to its
 * pid, in one uprobe_multi link per tier (so that --max-overhead can detach
 * a tier alone), or one perf uprobe per point on older kernels. */
#ifndef HT_TRACE_PROBE_SET_H
#define HT_TRACE_PROBE_SET_H
#include "trace/tracer.h"

struct bpf_link;

struct probe_set {
	const struct tracer *tr;
	const struct plan_points *pp;
	pid_t pid;
	int multi_link_fd[HT_TIER_HOT + 1]; /* -1: none */
	struct bpf_link *links[HT_EXE_POINTS];
};

/* Attaches by file offset to `path` (the process's executable), filtered to
 * pid, or for every process that runs the file (pid 0); on failure nothing
 * is left attached. */
int probe_set_attach(struct probe_set *ps, const struct tracer *tr, const struct plan_points *pp, const char *path,
		     pid_t pid);
/* Detaches the probes of one tier, or all. The kernel's wait for the
 * detach happens out of heaptrace's way (util/fd_closer.h). */
void probe_set_detach_tier(struct probe_set *ps, enum ht_tier tier);
void probe_set_detach(struct probe_set *ps);
#endif
