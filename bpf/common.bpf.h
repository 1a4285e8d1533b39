/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * What every heaptrace handler shares: the per-process figures and
 * configuration, the ring buffer, calls in flight, and reading a Go
 * function's arguments from the registers or the stack.
 */
#ifndef HT_COMMON_BPF_H
#define HT_COMMON_BPF_H

/* Written through skel->rodata before load. */
const volatile __u64 ringbuf_wakeup_bytes = 128 * 1024; /* half the ring buffer */
const volatile __u32 self_tgid = 0; /* heaptrace's own: it times its handlers on itself */

/* Per traced process: its figures (the key's presence means "traced") and
 * what user space found out about it. max_entries set before load. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1);
	__type(key, __u32); /* tgid */
	__type(value, struct ht_figures);
} figures SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1);
	__type(key, __u32); /* tgid */
	__type(value, struct ht_proc_config);
} proc_config SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024); /* resized by user space before load */
} events SEC(".maps");

/* Where the records of heaptrace's own calibration go: never read, so that
 * timing the handlers costs the traced processes no room in `events`. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} calib_events SEC(".maps");

/* Calls in flight: by process, goroutine (or thread) and handler. */
struct inflight_key {
	__u32 tgid;
	__u32 handler;
	__u64 id;
};

struct inflight_val {
	__u64 ts;	  /* entry, bpf clock (CLOCK_MONOTONIC, as the runtime's nanotime) */
	__u64 a0, a1, a2; /* what the entry saw, per handler */
};

/* LRU: an entry whose exit was never seen (a RET attached a part of the
 * time, a goroutine that died in a call) must not fill the map for good. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, struct inflight_key);
	__type(value, struct inflight_val);
} inflight SEC(".maps");

static __always_inline __u32 current_tgid(void)
{
	return (__u32)(bpf_get_current_pid_tgid() >> 32);
}

static __always_inline struct ht_figures *traced_figures(__u32 tgid)
{
	return bpf_map_lookup_elem(&figures, &tgid);
}

/* Waking the consumer for every record costs the target a context switch;
 * user space drains at every tick, so wake it only when the buffer is
 * filling up. */
static __always_inline void submit(void *rec)
{
	bpf_ringbuf_submit(rec, bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) > ringbuf_wakeup_bytes ?
					BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP);
}

/* Reserves a record and fills its header (reserved memory is not zeroed:
 * the caller fills every other field). NULL, counted, when the buffer is full. */
static __always_inline void *reserve(struct ht_figures *f, __u64 size, __u32 kind, __u32 tgid)
{
	struct ht_record_header *h = tgid == self_tgid ? bpf_ringbuf_reserve(&calib_events, size, 0) :
							bpf_ringbuf_reserve(&events, size, 0);

	if (!h) {
		__sync_fetch_and_add(&f->lost_records, 1);
		return NULL;
	}
	h->ts_ns = bpf_ktime_get_ns();
	h->kind = kind;
	h->tgid = tgid;
	h->tid = (__u32)bpf_get_current_pid_tgid();
	h->pad = 0;
	return h;
}

static __always_inline void enter(__u32 tgid, __u64 id, __u32 handler, const struct inflight_val *v)
{
	struct inflight_key k = { .tgid = tgid, .handler = handler, .id = id };

	bpf_map_update_elem(&inflight, &k, v, BPF_ANY);
}

/* Copies and forgets the matching enter(); false (counted) if none was seen. */
static __always_inline bool leave(struct ht_figures *f, __u32 tgid, __u64 id, __u32 handler,
				  struct inflight_val *out)
{
	struct inflight_key k = { .tgid = tgid, .handler = handler, .id = id };
	struct inflight_val *v = bpf_map_lookup_elem(&inflight, &k);

	if (!v) {
		__sync_fetch_and_add(&f->unpaired_exits, 1);
		return false;
	}
	*out = *v; /* copy before delete: the value's memory goes with it */
	bpf_map_delete_elem(&inflight, &k);
	return true;
}

#define GO_ARG_REGS 9

/* One probe hit, as every handler sees it. */
struct hit {
	struct pt_regs *ctx;
	const struct ht_point_info *pi;
	struct ht_figures *f;
	const struct ht_proc_config *cfg;
	__u32 tgid;
	__u64 regs[GO_ARG_REGS]; /* the register ABI's integer arguments/results */
};

/* The Go register ABI's integer arguments and results (Go 1.17+), read with
 * constant offsets (the verifier refuses ctx pointer arithmetic) and then
 * indexed. */
static __always_inline void load_regs(struct pt_regs *ctx, __u64 r[GO_ARG_REGS])
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

static __always_inline __u64 stack_pointer(struct pt_regs *ctx)
{
	return ctx->sp;
}

/* Argument (or result) i as the point info says: a register, or an ABI0
 * function's stack slot at its entry (above the return address). */
static __always_inline __u64 go_arg(const struct hit *h, __u32 i)
{
	__u8 where = i < HT_POINT_ARGS ? h->pi->arg[i & (HT_POINT_ARGS - 1)] : HT_ARG_ABSENT;
	__u64 v = 0;

	if (where == HT_ARG_ABSENT)
		return 0;
	if (where & HT_ARG_STACK) {
		/* above the return address at an entry; at a call, none yet */
		__u64 base = stack_pointer(h->ctx) + (h->pi->flags & HT_POINT_CALLSITE ? 0 : 8);

		bpf_probe_read_user(&v, sizeof(v), (void *)(base + 8 * (where & 0x0f)));
		return v;
	}
	return where < GO_ARG_REGS ? h->regs[where] : 0;
}

/* The first result register (RAX / X0) at a RET. */
static __always_inline __u64 go_result0(const struct hit *h)
{
	return h->regs[0];
}

static __always_inline bool has_arg(const struct hit *h, __u32 i)
{
	return i < HT_POINT_ARGS && h->pi->arg[i & (HT_POINT_ARGS - 1)] != HT_ARG_ABSENT;
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

/* The return address at a function's stack-check branch: the frame is not
 * set up yet, so it is at SP (amd64); arm64 keeps it in the link register. */
static __always_inline __u64 caller_pc(struct pt_regs *ctx)
{
	__u64 ra = 0;

#if defined(__TARGET_ARCH_x86)
	bpf_probe_read_user(&ra, sizeof(ra), (void *)ctx->sp);
#elif defined(__TARGET_ARCH_arm64)
	ra = ctx->regs[30];
#endif
	return ra;
}

/* At a stack-check branch: is this pass on its way to morestack? The
 * function will then start again from its entry and pass here once more. */
static __always_inline bool to_morestack(struct pt_regs *ctx, __u8 cond)
{
#if defined(__TARGET_ARCH_x86)
	__u64 fl = ctx->flags;
	bool cf = fl & 0x1, zf = fl & 0x40;

	switch (cond) {
	case HT_MORESTACK_X86_BE: return cf || zf;
	case HT_MORESTACK_X86_B: return cf;
	}
#elif defined(__TARGET_ARCH_arm64)
	__u64 ps = ctx->pstate;
	bool z = ps & (1ull << 30), c = ps & (1ull << 29);

	switch (cond) {
	case HT_MORESTACK_ARM64_LS: return !c || z;
	case HT_MORESTACK_ARM64_LO: return !c;
	}
#endif
	return false;
}
#endif
