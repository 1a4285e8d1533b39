// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * heaptrace's BPF side. Uprobes on Go runtime functions (one program for
 * every point; the attach cookie is the point index and point_info says what
 * it is), and the madvise syscall in every variant a kernel may offer.
 * Figures (histograms, counters) stay here, per process; the ring buffer
 * carries one record per event that needs details (a pause's reason, a map
 * growth's stack), and a full buffer is counted.
 *
 * No CO-RE relocation: every kernel structure read here is kernel ABI (the
 * pt_regs of uapi asm/ptrace.h, a raw tracepoint's args, a syscall
 * tracepoint's record), the same on every kernel, so libbpf loads the
 * object without reading the kernel's BTF. One relocation would make it
 * read and index those 5 MB on every start: about 20 ms of CPU, a third of
 * what a launch added (issue 11). test_launch_reads_no_kernel_btf
 * (test_trace.py) checks it.
 */
#define BPF_NO_PRESERVE_ACCESS_INDEX
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h> /* BPF_PROBE_READ: a plain read, no relocation */
#include "heaptrace.h"
#include "hist.bpf.h"
#include "common.bpf.h"
#include "gc.bpf.h"
#include "release.bpf.h"
#include "maps.bpf.h"

const volatile __u32 madvise_nr = 28; /* __NR_madvise on x86-64 */

/* By cookie; resized by user space before load. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2 * HT_EXE_POINTS);
	__type(key, __u32);
	__type(value, struct ht_point_info);
} point_info SEC(".maps");

static __always_inline int on_point(struct pt_regs *ctx)
{
	__u32 point = (__u32)bpf_get_attach_cookie(ctx);
	struct hit h = { .ctx = ctx, .tgid = current_tgid() };
	struct ht_point_count *count;
	__u64 t0;

	h.pi = bpf_map_lookup_elem(&point_info, &point);
	/* Host mode attaches one link per executable file, for every process
	 * that runs it: the processes heaptrace traces are those with figures,
	 * and a process counts only the points of the program it runs. */
	h.f = traced_figures(h.tgid);
	h.cfg = bpf_map_lookup_elem(&proc_config, &h.tgid);
	if (!h.pi || !h.f || !h.cfg || h.cfg->exe_slot != point / HT_EXE_POINTS)
		return 0;
	count = &h.f->points[point & (HT_EXE_POINTS - 1)];
	__sync_fetch_and_add(&count->hits, 1);
	/* Its tier taken away from this process (--max-overhead): the trap was
	 * paid, and is counted; the handler is not. */
	if (h.cfg->tiers_off & (1u << (h.pi->tier & 7)))
		return 0;
	/* On its way to morestack: the function restarts from its entry
	 * and passes here again; count the call once. */
	if (h.pi->morestack && to_morestack(ctx, h.pi->morestack)) {
		__sync_fetch_and_add(&count->restarts, 1);
		return 0;
	}
	load_regs(ctx, h.regs);

	/* Timed here rather than taken from a calibration: a record's stack
	 * walk and map lookups cost what the target's stack depth and cache
	 * state make them cost (two clock reads, ~50 ns, against 0.1-3 us). */
	t0 = bpf_ktime_get_ns();
	switch (h.pi->handler) {
	case HT_H_GC_CYCLE: on_gc_cycle(&h); break;
	case HT_H_GC_START: break; /* the hit count is the figure */
	case HT_H_STW_STOP: on_stw_stop(&h); break;
	case HT_H_STW_START: on_stw_start(&h); break;
	case HT_H_SYS_UNUSED: on_sys_unused(&h); break;
	case HT_H_SYS_USED: on_sys_used(&h); break;
	case HT_H_SYS_HUGEPAGE: on_sys_hugepage(&h); break;
	case HT_H_SCAVENGE: on_scavenge(&h); break;
	case HT_H_SCAVENGER_RUN: on_scavenger_run(&h); break;
	case HT_H_FREE_OS_MEMORY: on_free_os_memory(&h); break;
	case HT_H_HEAP_GROW: on_heap_grow(&h); break;
	case HT_H_MAP_GROW: on_map_grow(&h); break;
	case HT_H_MAP_ASSIGN: on_map_assign(&h); break;
	case HT_H_MADVISE: on_runtime_madvise(&h); break;
	default: break; /* a point for timing the trap alone (hit_cost.c) */
	}
	__sync_fetch_and_add(&count->work_ns, bpf_ktime_get_ns() - t0);
	return 0;
}

/* One uprobe_multi link per tier (Linux 6.6+): attached and detached in one
 * step. User space sets its expected attach type before load. */
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

/* ---- madvise at the syscall: every caller in the process ---- */

/* A syscall's first three arguments from the pt_regs it saved on entry (a
 * kernel pointer, read at the ABI's fixed offsets). */
static __always_inline void syscall_enter_regs(struct pt_regs *regs)
{
	syscall_enter(BPF_PROBE_READ(__PT_REGS_CAST(regs), __PT_PARM1_REG),
		      BPF_PROBE_READ(__PT_REGS_CAST(regs), __PT_PARM2_REG),
		      BPF_PROBE_READ(__PT_REGS_CAST(regs), __PT_PARM3_REG));
}

/* Variant 1: kprobes on the syscall, where the kernel has them: they run
 * for madvise calls only. BPF_KSYSCALL's own reads relocate, hence this:
 * with a syscall wrapper (libbpf tells by LINUX_HAS_SYSCALL_WRAPPER) the
 * probed function's one argument is the user's pt_regs. */
extern _Bool LINUX_HAS_SYSCALL_WRAPPER __kconfig;

SEC("ksyscall/madvise")
int ht_madv_kp_enter(struct pt_regs *ctx)
{
	syscall_enter_regs(LINUX_HAS_SYSCALL_WRAPPER ? (struct pt_regs *)PT_REGS_PARM1(ctx) : ctx);
	return 0;
}

SEC("kretsyscall/madvise")
int BPF_KRETPROBE(ht_madv_kp_exit, long ret)
{
	syscall_exit(ret);
	return 0;
}

/* Variant 2: the syscall tracepoints (need tracefs). Enabling them puts
 * every syscall of every task on the slow path: a last resort. */
SEC("tracepoint/syscalls/sys_enter_madvise")
int ht_madv_tp_enter(struct trace_event_raw_sys_enter *ctx)
{
	syscall_enter(ctx->args[0], ctx->args[1], ctx->args[2]);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_madvise")
int ht_madv_tp_exit(struct trace_event_raw_sys_exit *ctx)
{
	syscall_exit(ctx->ret);
	return 0;
}

/* Variant 3: raw tracepoints on every syscall (no tracefs needed). */
SEC("raw_tracepoint/sys_enter")
int ht_madv_raw_enter(struct bpf_raw_tracepoint_args *ctx)
{
	if (ctx->args[1] != madvise_nr)
		return 0;
	syscall_enter_regs((struct pt_regs *)ctx->args[0]);
	return 0;
}

SEC("raw_tracepoint/sys_exit")
int ht_madv_raw_exit(struct bpf_raw_tracepoint_args *ctx)
{
	/* args[1] is the return value; syscall_exit finds nothing for other
	 * syscalls, since the enter side recorded only madvise */
	syscall_exit((__s64)ctx->args[1]);
	return 0;
}

/* ---- host mode: every exec on the host, so that a Go program started
 * later is traced from its first moments ---- */

__u64 exec_lost = 0; /* notifications the ring buffer had no room for */

SEC("raw_tracepoint/sched_process_exec")
int ht_exec(struct bpf_raw_tracepoint_args *ctx)
{
	struct ht_record_header *h = bpf_ringbuf_reserve(&events, sizeof(*h), 0);

	if (!h) {
		__sync_fetch_and_add(&exec_lost, 1);
		return 0;
	}
	h->ts_ns = bpf_ktime_get_ns();
	h->kind = HT_REC_EXEC;
	h->tgid = current_tgid();
	h->tid = (__u32)bpf_get_current_pid_tgid();
	h->pad = 0;
	/* now: the program should be attached to before it has run long */
	bpf_ringbuf_submit(h, BPF_RB_FORCE_WAKEUP);
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
