/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Pages given back to the OS and taken again: the runtime's functions
 * (sysUnusedOS, the scavenger, debug.FreeOSMemory), heap growth, and the
 * madvise calls themselves, seen at the runtime's own wrapper or, where the
 * kernel has the means, at the syscall.
 */
#ifndef HT_RELEASE_BPF_H
#define HT_RELEASE_BPF_H

/* A call's latency, entry to any RET, paired by goroutine. True at the RET
 * of a paired call, with *dur and what the entry saved. */
static __always_inline bool timed(const struct hit *h, struct ht_hist *hist, __u64 a0, struct inflight_val *v,
				  __u64 *dur)
{
	__u64 g = go_g(h->ctx);

	if (!h->pi->exit) {
		struct inflight_val e = { .ts = bpf_ktime_get_ns(), .a0 = a0 };

		enter(h->tgid, g, h->pi->handler, &e);
		return false;
	}
	if (!leave(h->f, h->tgid, g, h->pi->handler, v))
		return false;
	*dur = bpf_ktime_get_ns() - v->ts;
	hist_add(hist, *dur);
	return true;
}

static __always_inline void on_sys_unused(struct hit *h)
{
	__sync_fetch_and_add(&h->f->unused_calls, 1);
	__sync_fetch_and_add(&h->f->unused_bytes, go_arg(h, 1));
}

static __always_inline void on_sys_used(struct hit *h)
{
	__sync_fetch_and_add(&h->f->used_calls, 1);
	__sync_fetch_and_add(&h->f->used_bytes, go_arg(h, 1));
}

static __always_inline void on_sys_hugepage(struct hit *h)
{
	__sync_fetch_and_add(&h->f->hugepage_bytes, go_arg(h, 1));
}

/* Counted at the entry, timed at the RETs (in the sampled windows: the
 * entry before a window pairs with its own RET in it, the latest entry of
 * the goroutine being its call's). */
static __always_inline void on_scavenge(struct hit *h)
{
	struct inflight_val v;
	__u64 dur;

	if (!h->pi->exit)
		__sync_fetch_and_add(&h->f->scavenge_calls, 1);
	/* the first result: bytes released */
	if (timed(h, &h->f->scavenge, 0, &v, &dur))
		__sync_fetch_and_add(&h->f->scavenged_bytes, go_result0(h));
}

static __always_inline void on_scavenger_run(struct hit *h)
{
	struct inflight_val v;
	__u64 dur;

	if (!h->pi->exit)
		__sync_fetch_and_add(&h->f->scavenger_passes, 1);
	timed(h, &h->f->scavenger_run, 0, &v, &dur);
}

static __always_inline void on_free_os_memory(struct hit *h)
{
	struct inflight_val v;
	__u64 dur;

	timed(h, &h->f->free_os_memory, 0, &v, &dur);
}

/* grow(npage) returns (totalGrowth, ok): what the heap really grew by,
 * which is not the npage the allocation asked for. */
static __always_inline void on_heap_grow(struct hit *h)
{
	struct inflight_val v;
	__u64 dur;

	if (timed(h, &h->f->heap_grow, go_arg(h, 1) * HT_GO_PAGE_SIZE, &v, &dur)) {
		__sync_fetch_and_add(&h->f->heap_grow_calls, 1);
		__sync_fetch_and_add(&h->f->heap_grow_bytes, go_result0(h));
	}
}

static __always_inline __u32 advice_slot(__u64 advice)
{
	advice &= 0xffffffff; /* an int32 */
	return advice < HT_MAX_ADVICE ? (__u32)advice : HT_MAX_ADVICE - 1;
}

static __always_inline struct ht_madvise_figures *madvise_of(struct ht_figures *f, __u64 advice)
{
	return &f->madvise[advice_slot(advice) & (HT_MAX_ADVICE - 1)];
}

/* One madvise call of the runtime's, as the kernel answered it; `counts`:
 * it is counted here (no call site counts it). */
static __always_inline void madvise_done(struct ht_figures *f, __u64 len, __u64 advice, __s64 ret, __u64 dur,
					 bool counts)
{
	struct ht_madvise_figures *m = madvise_of(f, advice);

	if (counts) {
		__sync_fetch_and_add(&m->calls, 1);
		if (ret == 0)
			__sync_fetch_and_add(&m->bytes, len);
	}
	if (ret != 0)
		__sync_fetch_and_add(&m->errors, 1);
	hist_add(&m->latency, dur);
}

static __always_inline void madvise_other(struct ht_figures *f, __u64 len, __u64 advice)
{
	struct ht_madvise_other *m = &f->madvise_other[advice_slot(advice) & (HT_MAX_ADVICE - 1)];

	__sync_fetch_and_add(&m->calls, 1);
	__sync_fetch_and_add(&m->bytes, len);
}

/* Sampled windows are EXE_SAMPLE_PERIOD_NS (10 s) apart: an entry older
 * than this was seen in another window. */
#define STALE_ENTRY_NS 5000000000ull

/* runtime.madvise(addr, n, flags) int32: an assembly (ABI0) function that
 * makes the syscall on the calling thread; its RET sees the result in the
 * first result register. Its calls count it (emulated, cheap: the bytes
 * asked for); its entry and RETs (single-stepped) time it, a part of the
 * time, or count it too where no call site was found. */
static __always_inline void on_runtime_madvise(struct hit *h)
{
	__u64 tid = (__u32)bpf_get_current_pid_tgid();
	struct inflight_val v;

	if (h->pi->flags & HT_POINT_CALLSITE) {
		struct ht_madvise_figures *m = madvise_of(h->f, go_arg(h, 2));

		__sync_fetch_and_add(&m->calls, 1);
		__sync_fetch_and_add(&m->bytes, go_arg(h, 1));
		return;
	}
	if (!h->pi->exit) {
		struct inflight_val e = { .ts = bpf_ktime_get_ns(), .a0 = go_arg(h, 0),
					  .a1 = go_arg(h, 1), .a2 = go_arg(h, 2) };

		enter(h->tgid, tid, HT_H_MADVISE, &e);
		return;
	}
	if (!leave(h->f, h->tgid, tid, HT_H_MADVISE, &v))
		return;
	/* A window opened on this thread's RET of a call whose entry was seen
	 * in an earlier window: not this call's time. */
	if (h->pi->tier == HT_TIER_SAMPLED && bpf_ktime_get_ns() - v.ts > STALE_ENTRY_NS)
		return;
	madvise_done(h->f, v.a1, v.a2, (__s32)go_result0(h), bpf_ktime_get_ns() - v.ts,
		     h->pi->flags & HT_POINT_COUNTS);
}

/* ---- the syscall itself, where the kernel lets BPF see it cheaply ---- */

/* Was this syscall made from runtime.madvise? Its user-space pc says. */
static __always_inline bool from_runtime(__u32 tgid)
{
	struct ht_proc_config *c = bpf_map_lookup_elem(&proc_config, &tgid);
	struct pt_regs *uregs = (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
	__u64 ip = BPF_PROBE_READ(__PT_REGS_CAST(uregs), __PT_IP_REG);

	return c && ip >= c->madvise_lo && ip < c->madvise_hi;
}

static __always_inline void syscall_enter(__u64 addr, __u64 len, __u64 advice)
{
	__u32 tgid = current_tgid();
	struct ht_figures *f = traced_figures(tgid);
	struct inflight_val e = { .ts = bpf_ktime_get_ns(), .a0 = addr, .a1 = len, .a2 = advice };

	if (!f)
		return;
	if (!from_runtime(tgid)) {
		madvise_other(f, len, advice);
		return;
	}
	enter(tgid, (__u32)bpf_get_current_pid_tgid(), HT_H_MADVISE, &e);
}

/* process_madvise(pidfd, iovec, vlen, advice, flags): the advice applied to
 * many ranges at once (golang/go#80389 proposes it for the scavenger on
 * Linux 6.13+). Counted for the calling process with its madvise figures,
 * whoever in it calls, as the runtime has no wrapper of its own for it yet:
 * a2 carries the advice with this flag, so that the exit counts the bytes
 * the kernel says it advised (its return value: exact, however many iovecs). */
#define PROCESS_MADVISE_FLAG (1ull << 40)

static __always_inline void process_madvise_enter(__u64 advice)
{
	__u32 tgid = current_tgid();
	struct inflight_val e = { .ts = bpf_ktime_get_ns(), .a2 = (advice & 0xffffffff) | PROCESS_MADVISE_FLAG };

	if (traced_figures(tgid))
		enter(tgid, (__u32)bpf_get_current_pid_tgid(), HT_H_MADVISE, &e);
}

static __always_inline void syscall_exit(__s64 ret)
{
	__u32 tgid = current_tgid();
	struct ht_figures *f = traced_figures(tgid);
	struct inflight_key k = { .tgid = tgid, .handler = HT_H_MADVISE, .id = (__u32)bpf_get_current_pid_tgid() };
	struct inflight_val *p, v;

	if (!f || !(p = bpf_map_lookup_elem(&inflight, &k)))
		return;
	v = *p;
	bpf_map_delete_elem(&inflight, &k);
	if (v.a2 & PROCESS_MADVISE_FLAG) {
		__sync_fetch_and_add(&f->process_madvise_calls, 1);
		madvise_done(f, ret > 0 ? (__u64)ret : 0, v.a2, ret >= 0 ? 0 : ret, bpf_ktime_get_ns() - v.ts, true);
		return;
	}
	madvise_done(f, v.a1, v.a2, ret, bpf_ktime_get_ns() - v.ts, true);
}
#endif
