/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* How heaptrace sees madvise: the best method this kernel offers, by
 * trying, cheapest for the rest of the host first: a kprobe on the syscall;
 * else a uprobe on the Go runtime's own wrapper (the target alone pays);
 * else the syscall tracepoints, then raw syscall tracepoints, which put
 * every syscall of every task on the slow path. */
#ifndef HT_TRACE_MADVISE_PROBE_H
#define HT_TRACE_MADVISE_PROBE_H
#include <stdbool.h>

struct probes_bpf;
struct bpf_link;

struct madvise_probe {
	struct bpf_link *enter, *exit;
	struct bpf_link *pm_enter, *pm_exit; /* process_madvise, beside a kprobe or tracepoint pair */
	bool process_madvise;	/* process_madvise(2) is seen too (not at the runtime's madvise wrapper) */
	const char *method; /* "kprobe", "uprobe", "tracepoint", "raw_tracepoint" */
	bool wrapper;	    /* "uprobe": the tracer attaches the planned runtime.madvise points */
	bool host_wide;	    /* the method slows down every process's syscalls */
};

/* "DONTNEED", "FREE", "HUGEPAGE"...; NULL for an advice without a name. */
const char *madvise_advice_name(unsigned advice);
/* Does the advice give pages back (DONTNEED, FREE, REMOVE...)? The others
 * are hints about an address range (HUGEPAGE, NOHUGEPAGE, RANDOM...), whose
 * lengths are not memory released. */
bool madvise_releases(unsigned advice);

/* wrapper_planned: the plan has runtime.madvise's entry and RETs. */
int madvise_probe_attach(struct probes_bpf *skel, struct madvise_probe *mp, bool wrapper_planned);
void madvise_probe_detach(struct madvise_probe *mp);
#endif
