// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * heaptrace's BPF side. Uprobes on Go runtime functions (one program for
 * every point; the attach cookie is the point index and point_info says what
 * it is), and the madvise syscall, in every variant a kernel may offer.
 * Aggregates (histograms, counters) stay here; the ring buffer carries one
 * record per event for the details, and a full buffer is counted.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "heaptrace.h"
#include "hist.bpf.h"

/* Written through skel->rodata before load. */
const volatile __u32 target_tgid = 0;
const volatile __u32 madvise_nr = 28; /* __NR_madvise on x86-64 */
const volatile __u64 ringbuf_wakeup_bytes = 128 * 1024; /* half the ring buffer */
const volatile __u32 map_count_off = 0; /* hmap.count / maps.Map.used, from the layout table */

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, HT_MAX_POINTS);
	__type(key, __u32);
	__type(value, struct ht_point_hits);
} point_hits SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, HT_MAX_POINTS);
	__type(key, __u32);
	__type(value, struct ht_point_info);
} point_info SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, HT_HIST_COUNT);
	__type(key, __u32);
	__type(value, struct ht_hist);
} hists SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, HT_C_COUNT);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

/* Calls in flight, by goroutine (g pointer) and handler: entry time. The
 * world stop is keyed by process: only one can be in progress. */
struct inflight_key {
	__u64 id;
	__u32 handler;
	__u32 pad;
};

struct inflight_val {
	__u64 ts;
	__u64 a0, a1;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, struct inflight_key);
	__type(value, struct inflight_val);
} inflight SEC(".maps");

struct madv_args {
	__u64 ts, addr, len, advice;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64); /* pid_tgid */
	__type(value, struct madv_args);
} madv_inflight SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024); /* resized by user space before load */
} events SEC(".maps");

static __always_inline bool is_target(void)
{
	return (__u32)(bpf_get_current_pid_tgid() >> 32) == target_tgid;
}

/* Waking the consumer for every record costs the target a context switch;
 * user space drains at every tick, so wake it only when the buffer is
 * filling up. */
static __always_inline void submit(void *rec)
{
	bpf_ringbuf_submit(rec, bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) > ringbuf_wakeup_bytes ?
					BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP);
}

static __always_inline void emit(__u32 kind, __u64 dur, __u64 a0, __u64 a1, __u64 a2, __s64 ret)
{
	struct ht_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);

	if (!e) {
		counter_add(&counters, HT_C_LOST_EVENTS, 1);
		return;
	}
	/* reserved memory is not zeroed: fill every field */
	e->ts_ns = bpf_ktime_get_ns();
	e->dur_ns = dur;
	e->a0 = a0;
	e->a1 = a1;
	e->a2 = a2;
	e->ret = ret;
	e->kind = kind;
	e->tid = (__u32)bpf_get_current_pid_tgid();
	submit(e);
}

/* Map growth is rare per map (each growth doubles the table), so a record
 * with the stack that caused it is affordable. */
static __always_inline void emit_map_grow(struct pt_regs *ctx, __u64 map, __u64 type)
{
	struct ht_map_event *m = bpf_ringbuf_reserve(&events, sizeof(*m), 0);
	__u64 count = 0;
	long n;

	if (!m) {
		counter_add(&counters, HT_C_LOST_EVENTS, 1);
		return;
	}
	bpf_probe_read_user(&count, sizeof(count), (void *)(map + map_count_off));
	n = bpf_get_stack(ctx, m->stack, sizeof(m->stack), BPF_F_USER_STACK);
	m->e.ts_ns = bpf_ktime_get_ns();
	m->e.dur_ns = 0;
	m->e.a0 = map;
	m->e.a1 = type;
	m->e.a2 = count;
	m->e.ret = n > 0 ? n : 0;
	m->e.kind = HT_EV_MAP_GROW;
	m->e.tid = (__u32)bpf_get_current_pid_tgid();
	submit(m);
}

#define GO_ARG_REGS 9

/* The Go register ABI's integer arguments (Go 1.17+), read with constant
 * offsets (the verifier refuses ctx pointer arithmetic) and then indexed. */
static __always_inline void go_args(struct pt_regs *ctx, __u64 r[GO_ARG_REGS])
{
#if defined(__TARGET_ARCH_x86)
	r[0] = ctx->ax; r[1] = ctx->bx; r[2] = ctx->cx; r[3] = ctx->di; r[4] = ctx->si;
	r[5] = ctx->r8; r[6] = ctx->r9; r[7] = ctx->r10; r[8] = ctx->r11;
#elif defined(__TARGET_ARCH_arm64)
	r[0] = ctx->regs[0]; r[1] = ctx->regs[1]; r[2] = ctx->regs[2]; r[3] = ctx->regs[3];
	r[4] = ctx->regs[4]; r[5] = ctx->regs[5]; r[6] = ctx->regs[6]; r[7] = ctx->regs[7];
	r[8] = ctx->regs[8];
#endif
}

static __always_inline __u64 pick(const __u64 r[GO_ARG_REGS], __u32 i)
{
	return i < GO_ARG_REGS ? r[i] : 0;
}

/* The current goroutine: R14 on amd64, X28 on arm64. */
static __always_inline __u64 go_g(struct pt_regs *ctx)
{
#if defined(__TARGET_ARCH_x86)
	return ctx->r14;
#elif defined(__TARGET_ARCH_arm64)
	return ctx->regs[28];
#endif
}

static __always_inline void enter(__u64 id, __u32 handler, __u64 a0, __u64 a1)
{
	struct inflight_key k = { .id = id, .handler = handler };
	struct inflight_val v = { .ts = bpf_ktime_get_ns(), .a0 = a0, .a1 = a1 };

	bpf_map_update_elem(&inflight, &k, &v, BPF_ANY);
}

/* Time since the matching enter(), or 0 if none was seen. */
static __always_inline __u64 leave(__u64 id, __u32 handler, struct inflight_val *out)
{
	struct inflight_key k = { .id = id, .handler = handler };
	struct inflight_val *v = bpf_map_lookup_elem(&inflight, &k);

	if (!v) {
		counter_add(&counters, HT_C_UNPAIRED_EXITS, 1);
		return 0;
	}
	*out = *v; /* copy before delete: the value's memory goes with it */
	bpf_map_delete_elem(&inflight, &k);
	return bpf_ktime_get_ns() - out->ts;
}

/* A call's latency histogram, entry to any RET. */
static __always_inline __u64 timed(struct pt_regs *ctx, const struct ht_point_info *pi, __u32 hist,
				   __u64 a0, struct inflight_val *v)
{
	__u64 g = go_g(ctx), dur;

	if (!pi->exit) {
		enter(g, pi->handler, a0, 0);
		return 0;
	}
	dur = leave(g, pi->handler, v);
	if (dur)
		hist_add(&hists, hist, dur);
	return dur;
}

static __always_inline int on_point(struct pt_regs *ctx)
{
	__u32 point = (__u32)bpf_get_attach_cookie(ctx);
	struct inflight_val v = {};
	struct ht_point_info *pi;
	struct ht_point_hits *h;
	__u64 regs[GO_ARG_REGS], a0, a1, dur, tgid;

	/* The uprobe is already filtered on the target's mm; this guards a
	 * point that someone attaches without a pid. */
	if (!is_target())
		return 0;
	h = bpf_map_lookup_elem(&point_hits, &point);
	if (h)
		h->hits++;
	pi = bpf_map_lookup_elem(&point_info, &point);
	if (!pi)
		return 0;
	go_args(ctx, regs);
	a0 = pick(regs, pi->arg_reg[0]);
	a1 = pick(regs, pi->arg_reg[1]);
	tgid = bpf_get_current_pid_tgid() >> 32;

	switch (pi->handler) {
	case HT_H_GC_CYCLE:
		/* a count is all the reports need: no record */
		counter_add(&counters, HT_C_GC_CYCLES, 1);
		break;
	case HT_H_STW_STOP:
		/* The pause starts when the stop begins: all of it is lost time. */
		if (!pi->exit)
			enter(tgid, HT_H_STW_STOP, a0, 0);
		break;
	case HT_H_STW_START:
		if (!pi->exit)
			break;
		dur = leave(tgid, HT_H_STW_STOP, &v);
		if (dur) {
			hist_add(&hists, HT_HIST_STW, dur);
			counter_add(&counters, HT_C_STW, 1);
			emit(HT_EV_STW, dur, v.a0, 0, 0, 0);
		}
		break;
	case HT_H_SYS_UNUSED:
		counter_add(&counters, HT_C_UNUSED_CALLS, 1);
		counter_add(&counters, HT_C_UNUSED_BYTES, a1);
		break;
	case HT_H_SYS_USED:
		counter_add(&counters, HT_C_USED_CALLS, 1);
		counter_add(&counters, HT_C_USED_BYTES, a1);
		break;
	case HT_H_SYS_HUGEPAGE:
		counter_add(&counters, HT_C_HUGEPAGE_BYTES, a1);
		break;
	case HT_H_SCAVENGE:
		dur = timed(ctx, pi, HT_HIST_SCAVENGE, 0, &v);
		if (pi->exit) {
			__u64 released = regs[0]; /* the first result: bytes released */

			counter_add(&counters, HT_C_SCAVENGED_BYTES, released);
			if (dur)
				emit(HT_EV_SCAVENGE, dur, released, 0, 0, 0);
		}
		break;
	case HT_H_SCAVENGER_RUN:
		timed(ctx, pi, HT_HIST_SCAVENGER_RUN, 0, &v);
		break;
	case HT_H_FREE_OS_MEMORY:
		dur = timed(ctx, pi, HT_HIST_FREE_OS_MEMORY, 0, &v);
		if (dur)
			emit(HT_EV_FREE_OS_MEMORY, dur, 0, 0, 0, 0);
		break;
	case HT_H_HEAP_GROW:
		/* grow(npage) returns (totalGrowth, ok): what the heap really
		 * grew by, which is not the npage the allocation asked for. */
		dur = timed(ctx, pi, HT_HIST_HEAP_GROW, a1 * HT_GO_PAGE_SIZE, &v);
		if (pi->exit) {
			counter_add(&counters, HT_C_HEAP_GROW_CALLS, 1);
			counter_add(&counters, HT_C_HEAP_GROW_BYTES, regs[0]);
			if (dur)
				emit(HT_EV_HEAP_GROW, dur, regs[0], v.a0, 0, 0);
		}
		break;
	case HT_H_MAP_GROW:
		counter_add(&counters, HT_C_MAP_GROWS, 1);
		emit_map_grow(ctx, a0, a1);
		break;
	case HT_H_MAP_ASSIGN:
		counter_add(&counters, HT_C_MAP_ASSIGNS, 1);
		emit(HT_EV_MAP_ASSIGN, 0, a0, 0, 0, 0);
		break;
	}
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

/* ---- madvise: the kernel's view of pages given back ---- */

static __always_inline void madv_enter(__u64 addr, __u64 len, __u64 advice)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct madv_args a = { .ts = bpf_ktime_get_ns(), .addr = addr, .len = len, .advice = advice };

	bpf_map_update_elem(&madv_inflight, &id, &a, BPF_ANY);
}

static __always_inline void madv_exit(__s64 ret)
{
	__u64 id = bpf_get_current_pid_tgid(), dur;
	struct madv_args *p = bpf_map_lookup_elem(&madv_inflight, &id), a;
	__u32 adv;

	if (!p)
		return;
	a = *p;
	bpf_map_delete_elem(&madv_inflight, &id);
	dur = bpf_ktime_get_ns() - a.ts;
	adv = a.advice < HT_MAX_ADVICE ? (__u32)a.advice : HT_MAX_ADVICE - 1;
	hist_add(&hists, HT_HIST_MADVISE + adv, dur);
	counter_add(&counters, HT_C_MADVISE_CALLS + adv, 1);
	if (ret == 0)
		counter_add(&counters, HT_C_MADVISE_BYTES + adv, a.len);
	else
		counter_add(&counters, HT_C_MADVISE_ERRORS + adv, 1);
	emit(HT_EV_MADVISE, dur, a.addr, a.len, a.advice, ret);
}

/* Variant 1: kprobes on the syscall, where the kernel has them. */
SEC("ksyscall/madvise")
int BPF_KSYSCALL(ht_madv_kp_enter, unsigned long start, size_t len, int advice)
{
	if (is_target())
		madv_enter(start, len, (__u64)advice);
	return 0;
}

SEC("kretsyscall/madvise")
int BPF_KRETPROBE(ht_madv_kp_exit, long ret)
{
	if (is_target())
		madv_exit(ret);
	return 0;
}

/* Variant 2: the syscall tracepoints (need tracefs to attach). */
SEC("tracepoint/syscalls/sys_enter_madvise")
int ht_madv_tp_enter(struct trace_event_raw_sys_enter *ctx)
{
	if (is_target())
		madv_enter(ctx->args[0], ctx->args[1], ctx->args[2]);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_madvise")
int ht_madv_tp_exit(struct trace_event_raw_sys_exit *ctx)
{
	if (is_target())
		madv_exit(ctx->ret);
	return 0;
}

/* Variant 3: raw tracepoints on every syscall (no tracefs needed). */
SEC("raw_tracepoint/sys_enter")
int ht_madv_raw_enter(struct bpf_raw_tracepoint_args *ctx)
{
	struct pt_regs *regs = (struct pt_regs *)ctx->args[0];

	if (!is_target() || ctx->args[1] != madvise_nr)
		return 0;
	madv_enter(PT_REGS_PARM1_CORE_SYSCALL(regs), PT_REGS_PARM2_CORE_SYSCALL(regs),
		   PT_REGS_PARM3_CORE_SYSCALL(regs));
	return 0;
}

SEC("raw_tracepoint/sys_exit")
int ht_madv_raw_exit(struct bpf_raw_tracepoint_args *ctx)
{
	if (!is_target())
		return 0;
	/* args[1] is the return value; madv_exit finds nothing for other
	 * syscalls, since the enter side recorded only madvise */
	madv_exit((__s64)ctx->args[1]);
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
