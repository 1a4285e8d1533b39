// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The OOM watch: which process the kernel's OOM killer chose
 * (oom:mark_victim) and whether it took the SIGKILL that goes with the
 * choice (signal:signal_deliver), both as raw tracepoints (no tracefs).
 * Each sends a record to probes.bpf.c's ring buffer, whose descriptor user
 * space hands over before load (oom/oom_watch.c).
 *
 * An object of its own because it reads task_struct, whose layout is the
 * kernel's to change: this is the one place with CO-RE relocations, so
 * libbpf reads the kernel's BTF for it alone, and only when the watch is on
 * (-p and --all; a launch, `heaptrace -- PROG`, loads probes.bpf.c only and
 * reads no kernel BTF: test_launch_reads_no_kernel_btf).
 *
 * A third program sees a traced process reclaim at its memory cgroup's
 * limit (vmscan:mm_vmscan_memcg_reclaim_begin), the moments before a
 * kill: the limit is hit 50 to 2,500 times over 15-600 ms before the OOM
 * killer chooses (a Go program growing a map in a 160 MiB cgroup), and
 * user space reads the process then, so that the record has its figures
 * of a few ms before the kill rather than of the last interval.
 *
 * Nothing here runs until a process reaches a memory cgroup's limit or a
 * kill, except the first comparison of every signal delivered on the host
 * (a SIGKILL to a chosen victim is the one looked up).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "heaptrace.h"

#define SIGKILL 9

/* probes.bpf.c's `events`: user space reuses its descriptor (the size
 * here is a placeholder). */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} events SEC(".maps");

/* Victims chosen whose SIGKILL has not been seen yet, by tgid (the value:
 * when they were chosen). LRU: a victim that never takes its signal (it
 * was already exiting) is pushed out by later ones. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 256);
	__type(key, __u32);
	__type(value, __u64);
} oom_victims SEC(".maps");

/* probes.bpf.c's `figures`, reused: a process is traced if it has figures. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ht_figures);
} figures SEC(".maps");

/* A traced process at its limit is reported at most this often. */
const volatile __u64 pressure_period_ns = 250000000;

/* When each process was last reported at its limit. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, __u64);
} pressure_sent SEC(".maps");

__u64 oom_lost = 0; /* records the ring buffer had no room for */

/* The victim's memory cgroup and its parents, as the kernel counts them
 * now: after the kill, the cgroup's usage falls as the victim's memory
 * goes, and its cgroup file no longer names it. */
static __always_inline void read_memcgs(struct ht_oom_record *r, struct task_struct *task)
{
	int id = bpf_core_enum_value(enum cgroup_subsys_id, memory_cgrp_id);
	struct css_set *cs = BPF_CORE_READ(task, cgroups);
	struct cgroup_subsys_state *css = NULL;
	int i;

	if (!cs || id < 0 || id >= 32)
		return;
	bpf_core_read(&css, sizeof(css), &cs->subsys[id]);
	for (i = 0; i < HT_OOM_CG_LEVELS && css; i++) {
		/* the css is the first member of its mem_cgroup */
		struct mem_cgroup *mc = (struct mem_cgroup *)css;
		struct ht_oom_memcg *l = &r->cg[i];
		const char *name = BPF_CORE_READ(css, cgroup, kn, name);

		l->usage = (__u64)BPF_CORE_READ(mc, memory.usage.counter);
		l->max = BPF_CORE_READ(mc, memory.max);
		l->watermark = BPF_CORE_READ(mc, memory.watermark);
		l->failcnt = BPF_CORE_READ(mc, memory.failcnt);
		if (name)
			bpf_probe_read_kernel_str(l->name, sizeof(l->name), name);
		r->cg_levels = (__u32)i + 1;
		css = BPF_CORE_READ(css, parent);
	}
	r->cg_more = css != NULL;
}

SEC("raw_tp/mark_victim")
int ht_oom_victim(struct bpf_raw_tracepoint_args *ctx)
{
	struct ht_oom_record *r;
	__u64 now = bpf_ktime_get_ns();
	__u32 key;

	r = bpf_ringbuf_reserve(&events, sizeof(*r), 0);
	if (!r) {
		__sync_fetch_and_add(&oom_lost, 1);
		return 0;
	}
	r->h.ts_ns = now;
	r->h.kind = HT_REC_OOM_VICTIM;
	r->h.pad = 0;
	r->killer_tgid = (__u32)(bpf_get_current_pid_tgid() >> 32);
	__builtin_memset(r->comm, 0, sizeof(r->comm));
	__builtin_memset(r->cg, 0, sizeof(r->cg));
	r->cg_levels = 0;
	r->cg_more = 0;
	/* Since the tracepoint carries the uid (and a mark_victim record has
	 * the field), its arguments are the victim's task and uid; before, the
	 * victim's pid alone. */
	if (bpf_core_field_exists(struct trace_event_raw_mark_victim, uid)) {
		struct task_struct *task = (struct task_struct *)ctx->args[0];

		r->h.tgid = (__u32)BPF_CORE_READ(task, tgid);
		r->h.tid = (__u32)BPF_CORE_READ(task, pid);
		r->uid = (__u32)ctx->args[1];
		BPF_CORE_READ_STR_INTO(&r->comm, task, comm);
		read_memcgs(r, task);
	} else {
		r->h.tgid = 0; /* user space finds the process of thread h.tid */
		r->h.tid = (__u32)ctx->args[0];
		r->uid = HT_OOM_UID_UNKNOWN;
	}
	key = r->h.tgid ? r->h.tgid : r->h.tid;
	bpf_map_update_elem(&oom_victims, &key, &now, BPF_ANY);
	/* now: the victim's memory is going, and user space reads it once more */
	bpf_ringbuf_submit(r, BPF_RB_FORCE_WAKEUP);
	return 0;
}

/* Runs for every signal delivered on the host: the first test lets all but
 * SIGKILL go. Each thread of a killed process takes it; the one that takes
 * the victim out of oom_victims sends the record. */
SEC("raw_tp/signal_deliver")
int ht_oom_sigkill(struct bpf_raw_tracepoint_args *ctx)
{
	struct ht_record_header *h;
	__u64 id;
	__u32 tgid;

	if ((int)ctx->args[0] != SIGKILL)
		return 0;
	id = bpf_get_current_pid_tgid();
	tgid = (__u32)(id >> 32);
	if (bpf_map_delete_elem(&oom_victims, &tgid))
		return 0;
	h = bpf_ringbuf_reserve(&events, sizeof(*h), 0);
	if (!h) {
		__sync_fetch_and_add(&oom_lost, 1);
		return 0;
	}
	h->ts_ns = bpf_ktime_get_ns();
	h->kind = HT_REC_OOM_SIGKILL;
	h->tgid = tgid;
	h->tid = (__u32)id;
	h->pad = 0;
	bpf_ringbuf_submit(h, BPF_RB_FORCE_WAKEUP);
	return 0;
}

/* Runs in the task that charges memory to a cgroup at its limit, before
 * the cgroup reclaims: a traced process is reported, at most once a
 * pressure_period_ns. */
SEC("raw_tp/mm_vmscan_memcg_reclaim_begin")
int ht_oom_pressure(struct bpf_raw_tracepoint_args *ctx)
{
	struct ht_record_header *h;
	__u64 id = bpf_get_current_pid_tgid(), now, *last;
	__u32 tgid = (__u32)(id >> 32);

	if (!bpf_map_lookup_elem(&figures, &tgid))
		return 0;
	now = bpf_ktime_get_ns();
	last = bpf_map_lookup_elem(&pressure_sent, &tgid);
	if (last && now - *last < pressure_period_ns)
		return 0;
	bpf_map_update_elem(&pressure_sent, &tgid, &now, BPF_ANY);
	h = bpf_ringbuf_reserve(&events, sizeof(*h), 0);
	if (!h) {
		__sync_fetch_and_add(&oom_lost, 1);
		return 0;
	}
	h->ts_ns = now;
	h->kind = HT_REC_OOM_PRESSURE;
	h->tgid = tgid;
	h->tid = (__u32)id;
	h->pad = 0;
	bpf_ringbuf_submit(h, BPF_RB_FORCE_WAKEUP);
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
