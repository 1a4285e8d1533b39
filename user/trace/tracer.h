/* Loads the BPF programs and attaches the plan's uprobes to one process. */
#ifndef HT_TRACE_TRACER_H
#define HT_TRACE_TRACER_H
#include "plan/probeplan.h"

struct probes_bpf;
struct bpf_link;

struct attach_point {
	int probe;   /* index into plan->probes */
	int exit;    /* -1 for the attach point, else index into code.exits */
	uint64_t addr;
	uint64_t off;  /* file offset of addr: what uprobes are attached by */
	enum ht_tier tier;
};

#include "trace/madvise_probe.h"

struct tracer {
	struct probes_bpf *skel;
	struct madvise_probe madvise;
	/* One uprobe_multi link per tier (-1: none), so that a tier can be
	 * detached alone (--max-overhead). */
	int multi_link_fd[HT_TIER_HOT + 1];
	const char *method;    /* "uprobe_multi" or "uprobe" */
	struct bpf_link *links[HT_MAX_POINTS]; /* the fallback: one per point */
	struct attach_point points[HT_MAX_POINTS];
	int npoints;
};

struct probe_hits {
	uint64_t entries; /* hits at the attach point */
	uint64_t exits;	  /* hits on all its RETs */
};

/* btf_path: NULL for the running kernel's /sys/kernel/btf/vmlinux;
 * ringbuf_bytes: a power of two, at least a page. */
/* map_count_off: where a map header keeps its entry count (layout table). */
int tracer_open(struct tracer *tr, pid_t tgid, const char *btf_path, uint32_t ringbuf_bytes,
		uint32_t map_count_off);
/* Attaches every point of the plan to the file at `binary` (by file offset),
 * filtered to pid; on any failure detaches what it attached. */
int tracer_attach(struct tracer *tr, const struct target *t, const struct probe_plan *plan);
/* hits[i] for plan->probes[i], summed over CPUs. */
int tracer_read_hits(const struct tracer *tr, const struct probe_plan *plan, struct probe_hits *hits);
/* Detaches the probes of one tier (their hits stay readable). */
void tracer_detach_tier(struct tracer *tr, enum ht_tier tier);
void tracer_detach(struct tracer *tr);
void tracer_close(struct tracer *tr);
#endif
