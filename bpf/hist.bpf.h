/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* log2 histograms shared by every heaptrace BPF handler. */
#ifndef HT_HIST_BPF_H
#define HT_HIST_BPF_H

/* Branchless log2 (libbpf-tools' bits.bpf.h). */
static __always_inline __u64 log2_u32(__u32 v)
{
	__u32 shift, r;

	r = (v > 0xFFFF) << 4; v >>= r;
	shift = (v > 0xFF) << 3; v >>= shift; r |= shift;
	shift = (v > 0xF) << 2; v >>= shift; r |= shift;
	shift = (v > 0x3) << 1; v >>= shift; r |= shift;
	r |= (v >> 1);
	return r;
}

static __always_inline __u64 log2l(__u64 v)
{
	__u32 hi = v >> 32;

	return hi ? log2_u32(hi) + 32 : log2_u32(v);
}

/* One value into a histogram that lives in a map value (atomically: several
 * CPUs may add at once). */
static __always_inline void hist_add(struct ht_hist *h, __u64 ns)
{
	__u64 slot = log2l(ns);

	if (slot >= HT_HIST_SLOTS)
		slot = HT_HIST_SLOTS - 1;
	__sync_fetch_and_add(&h->count, 1);
	__sync_fetch_and_add(&h->sum_ns, ns);
	__sync_fetch_and_add(&h->slots[slot & 63], 1);
	if (ns > h->max_ns) /* racy on purpose: a lost max is a smaller max */
		h->max_ns = ns;
}
#endif
