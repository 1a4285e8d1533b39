/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* Loads the BPF programs and attaches the plan's uprobes to one process. */
#ifndef HT_TRACE_TRACER_H
#define HT_TRACE_TRACER_H
#include "plan/probeplan.h"
#include "trace/madvise_probe.h"

struct probes_bpf;
struct bpf_link;

struct attach_point {
	int probe;   /* index into plan->probes */
	int exit;    /* -1 for the attach point, else index into code.exits */
	uint64_t addr;
	uint64_t off;  /* file offset of addr: what uprobes are attached by */
	enum ht_tier tier;
	bool attached; /* false for the madvise wrapper when the syscall is probed instead */
};

struct tracer_opts {
	const char *btf_path;	/* NULL for the running kernel's /sys/kernel/btf/vmlinux */
	uint32_t ringbuf_bytes; /* a power of two, at least a page */
	uint32_t max_procs;	/* processes traced at once */
};

struct tracer {
	struct probes_bpf *skel;
	struct madvise_probe madvise;
	/* One uprobe_multi link per tier (-1: none), so that a tier can be
	 * detached alone (--max-overhead). */
	int multi_link_fd[HT_TIER_HOT + 1];
	bool multi;	       /* uprobe_multi links, else one perf uprobe per point */
	const char *method;    /* "uprobe_multi" or "uprobe" */
	struct bpf_link *links[HT_MAX_POINTS]; /* the fallback: one per point */
	struct attach_point points[HT_MAX_POINTS];
	int npoints;
	pid_t pid;
};

struct probe_hits {
	uint64_t entries;  /* calls seen at the attach point */
	uint64_t exits;	   /* hits on all its RETs */
	uint64_t restarts; /* passes of the attach point on the way to morestack */
};

int tracer_open(struct tracer *tr, const struct tracer_opts *o);
/* Starts counting figures for process tgid, with what BPF needs to know
 * about it. */
int tracer_add_process(struct tracer *tr, pid_t tgid, const struct ht_proc_config *cfg);
/* Replaces the process's configuration (a global found later). */
int tracer_update_process(struct tracer *tr, pid_t tgid, const struct ht_proc_config *cfg);
/* Attaches every point of the plan to the target's executable (by file
 * offset), filtered to its pid, and the madvise probe; on any failure
 * detaches what it attached. */
int tracer_attach(struct tracer *tr, const struct target *t, const struct probe_plan *plan);
/* hits[i] for plan->probes[i], summed over CPUs. */
int tracer_read_hits(const struct tracer *tr, const struct probe_plan *plan, struct probe_hits *hits);
/* The process's figures as BPF has them now. */
int tracer_read_figures(const struct tracer *tr, pid_t tgid, struct ht_figures *out);
/* Detaches the probes of one tier (their hits stay readable). */
void tracer_detach_tier(struct tracer *tr, enum ht_tier tier);
void tracer_detach(struct tracer *tr);
void tracer_close(struct tracer *tr);
#endif
