/* Snapshots of the BPF side's counters and histograms, and differences
 * between two snapshots (the live view's interval, the whole run). */
#ifndef HT_TRACE_BPF_STATS_H
#define HT_TRACE_BPF_STATS_H
#include <stdint.h>
#include <linux/types.h>
#include "heaptrace.h"

struct stats {
	__u64 c[HT_C_COUNT];
	struct ht_hist h[HT_HIST_COUNT];
};

struct probes_bpf;

int stats_read(struct probes_bpf *skel, struct stats *out);
/* out = now - before; max_ns is that of `now` (a maximum cannot be subtracted). */
void stats_delta(const struct stats *now, const struct stats *before, struct stats *out);
/* Value below which fraction q of the histogram's samples lie (upper slot bound). */
uint64_t hist_quantile_ns(const struct ht_hist *h, double q);
#endif
