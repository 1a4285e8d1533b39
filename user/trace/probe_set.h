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
	char path[64];		/* what the points are attached to ("/proc/self/fd/N") */
	int multi_link_fd[HT_TIERS]; /* -1: none */
	struct bpf_link *links[HT_EXE_POINTS];
};

/* Attaches the points of every tier but the sampled one by file offset to
 * `path` (a descriptor of the executable that outlives ps), filtered to
 * pid, or for every process that runs the file (pid 0); on failure nothing
 * is left attached. */
int probe_set_attach(struct probe_set *ps, const struct tracer *tr, const struct plan_points *pp, const char *path,
		     pid_t pid);
/* Attaches one tier's points (the sampled tier, a window at a time). */
int probe_set_attach_tier(struct probe_set *ps, enum ht_tier tier);
/* Has the plan points of this tier? */
bool probe_set_has_tier(const struct probe_set *ps, enum ht_tier tier);
/* Detaches the probes of one tier, or all. The kernel's wait for the
 * detach happens out of heaptrace's way (util/fd_closer.h). */
void probe_set_detach_tier(struct probe_set *ps, enum ht_tier tier);
void probe_set_detach(struct probe_set *ps);
#endif
