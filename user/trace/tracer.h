/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The BPF side, loaded once for every process traced: the programs and
 * maps, each executable's attach points (its plan, at its own range of
 * cookies), each process's figures and configuration, and the madvise
 * probe. probe_set.h attaches a plan's points to one process.
 */
#ifndef HT_TRACE_TRACER_H
#define HT_TRACE_TRACER_H
#include "plan/probeplan.h"
#include "trace/madvise_probe.h"

struct probes_bpf;
struct bpf_link;

struct attach_point {
	int probe;   /* index into plan->probes */
	int exit;    /* -1 for the attach point, else index into code.exits */
	int call;    /* -1, else index into the probe's calls (a call site) */
	uint64_t addr;
	uint64_t off;  /* file offset of addr: what uprobes are attached by */
	enum ht_tier tier;
	bool attached; /* false for the madvise wrapper when the syscall is probed instead */
};

/* One executable's attach points, at cookies base + i. */
struct plan_points {
	uint32_t base;
	struct attach_point points[HT_EXE_POINTS];
	int npoints;
};

struct tracer_opts {
	uint32_t ringbuf_bytes; /* a power of two, at least a page */
	uint32_t max_procs;	/* processes traced at once */
	uint32_t max_exes;	/* distinct executables among them */
};

struct tracer {
	struct probes_bpf *skel;
	bool multi;	    /* uprobe_multi links, else one perf uprobe per point */
	const char *method; /* "uprobe_multi" or "uprobe" */
	struct madvise_probe madvise;
	bool madvise_chosen;
	uint32_t max_exes;   /* executable 0 is heaptrace's own (hit_cost.c) */
	uint8_t *exe_slot_used; /* [1..max_exes]: cookie ranges given to a plan */
	struct bpf_link *exec_link;
};

struct probe_hits {
	uint64_t entries;  /* calls seen at the attach point */
	uint64_t calls;	   /* hits on its call sites (probe_spec.call_sites) */
	uint64_t exits;	   /* hits on all its RETs */
	uint64_t restarts; /* passes of the attach point on the way to morestack */
	uint64_t work_ns;  /* its handlers' time in the target (ht_point_count) */
};

int tracer_open(struct tracer *tr, const struct tracer_opts *o);
/* Gives an executable's plan its cookies and tells BPF what each point is;
 * the first plan also decides how madvise is seen (madvise_probe.h). */
int tracer_add_plan(struct tracer *tr, const struct target *t, const struct probe_plan *plan,
		    struct plan_points *pp);
/* Gives a plan's cookies back (an executable the cache forgot). */
void tracer_remove_plan(struct tracer *tr, const struct plan_points *pp);
/* Starts counting figures for process tgid, with what BPF needs to know
 * about it; _update replaces the configuration, _remove forgets both. */
int tracer_add_process(struct tracer *tr, pid_t tgid, const struct ht_proc_config *cfg);
int tracer_update_process(struct tracer *tr, pid_t tgid, const struct ht_proc_config *cfg);
void tracer_remove_process(struct tracer *tr, pid_t tgid);
/* The process's figures as BPF has them now. */
int tracer_read_figures(const struct tracer *tr, pid_t tgid, struct ht_figures *out);
/* hits[i] for plan->probes[i], from the process's figures. */
void probe_hits_of(const struct plan_points *pp, const struct probe_plan *plan, const struct ht_figures *f,
		   struct probe_hits *hits);
/* Host mode: a record for every exec on the host (HT_REC_EXEC). */
int tracer_watch_execs(struct tracer *tr);
uint64_t tracer_execs_lost(const struct tracer *tr);
void tracer_close(struct tracer *tr);
#endif
