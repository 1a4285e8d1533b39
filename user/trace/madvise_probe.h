/* The madvise syscall probe: the best method this kernel offers, chosen by
 * trying kprobe, then the syscall tracepoints, then raw syscall tracepoints. */
#ifndef HT_TRACE_MADVISE_PROBE_H
#define HT_TRACE_MADVISE_PROBE_H

struct probes_bpf;
struct bpf_link;

struct madvise_probe {
	struct bpf_link *enter, *exit;
	const char *method; /* "kprobe", "tracepoint", "raw_tracepoint" */
};

/* "DONTNEED", "FREE", "HUGEPAGE"...; NULL for an advice without a name. */
const char *madvise_advice_name(unsigned advice);

int madvise_probe_attach(struct probes_bpf *skel, struct madvise_probe *mp);
void madvise_probe_detach(struct madvise_probe *mp);
#endif
