/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* log2 histograms and counters shared by every heaptrace BPF handler. */
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

static __always_inline void hist_add(void *hists, __u32 id, __u64 ns)
{
	struct ht_hist *h = bpf_map_lookup_elem(hists, &id);
	__u64 slot;

	if (!h)
		return;
	slot = log2l(ns);
	if (slot >= HT_HIST_SLOTS)
		slot = HT_HIST_SLOTS - 1;
	__sync_fetch_and_add(&h->count, 1);
	__sync_fetch_and_add(&h->sum_ns, ns);
	__sync_fetch_and_add(&h->slots[slot], 1);
	if (ns > h->max_ns) /* racy on purpose: a lost max is a smaller max */
		h->max_ns = ns;
}

static __always_inline void counter_add(void *counters, __u32 id, __u64 v)
{
	__u64 *c = bpf_map_lookup_elem(counters, &id);

	if (c)
		__sync_fetch_and_add(c, v);
}
#endif
