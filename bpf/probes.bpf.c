// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Uprobe handler shared by every attach point of a Go target. The attach
 * cookie is the point index from the probe plan, so one program serves
 * function entries and RET instructions alike.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "heaptrace.h"

/* Written through skel->rodata before load. */
const volatile __u32 target_tgid = 0;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, HT_MAX_POINTS);
	__type(key, __u32);
	__type(value, struct ht_point_hits);
} point_hits SEC(".maps");

static __always_inline int on_point(struct pt_regs *ctx)
{
	__u32 point = (__u32)bpf_get_attach_cookie(ctx);
	struct ht_point_hits *h;

	/* The uprobe is already filtered on the target's mm; this guards a
	 * point that someone attaches without a pid. */
	if ((__u32)(bpf_get_current_pid_tgid() >> 32) != target_tgid)
		return 0;
	h = bpf_map_lookup_elem(&point_hits, &point);
	if (h)
		h->hits++;
	return 0;
}

/* One uprobe_multi link for every point (Linux 6.6+): attached and detached
 * in one step. User space sets its expected attach type before load. */
SEC("uprobe")
int ht_point_multi(struct pt_regs *ctx)
{
	return on_point(ctx);
}

/* Fallback: one perf-event uprobe per point, for older kernels. */
SEC("uprobe")
int ht_point(struct pt_regs *ctx)
{
	return on_point(ctx);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
