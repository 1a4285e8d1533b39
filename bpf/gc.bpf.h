/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * GC cycles and stop-the-world pauses, timed as the runtime times them
 * (what go_gc_duration_seconds and /gc/pauses:seconds count).
 *
 * Go 1.22+: startTheWorldWithSema(now, worldStop) is given the runtime's
 * own start of the pause (and, from 1.23, the end of stopping) and returns
 * its end; the final pause of a cycle (mark termination) is passed its end.
 * Two probes, one of them inside the pause.
 *
 * Go 1.19-1.21: the start is taken at stopTheWorldWithSema's entry (the
 * runtime reads its clock a few instructions before the call) and the end
 * is startTheWorldWithSema's result, except for the final pause, which ends
 * where gcMarkTermination read the clock. For that one the runtime's own
 * total for the cycle (memstats.pause_ns, written before the world
 * restarts) minus the cycle's earlier pauses gives it exactly, so that
 * every cycle adds up to what the runtime recorded.
 */
#ifndef HT_GC_BPF_H
#define HT_GC_BPF_H

/* inflight ids under HT_H_STW_STOP: the stop in progress (one at a time in
 * a process), and the GC cycle's pauses so far (Go < 1.22). */
#define STW_ID 0
#define CYCLE_ID 1

/* A stop in flight: ts = its start by the bpf clock (CLOCK_MONOTONIC, as
 * the runtime's nanotime), a0 = reason | kind << 32, a1 = the runtime's own
 * start (0: not known), a2 = the runtime's end of stopping (0: not known). */
static __always_inline __u32 kind_in(__u64 a0)
{
	return (__u32)(a0 >> 32);
}

static __always_inline __u32 kind_of(const struct inflight_val *v)
{
	return kind_in(v->a0);
}

/* The stop's start: the runtime's own where known, else the bpf clock's. */
static __always_inline __u64 start_of(const struct inflight_val *v)
{
	return v->a1 ? v->a1 : v->ts;
}

static __always_inline __u64 with_kind(__u64 reason, __u32 kind)
{
	return (reason & 0xffffffff) | (__u64)kind << 32;
}

static __always_inline bool is_site(const __u64 sites[HT_STW_SITES], __u64 pc)
{
	return pc && (sites[0] == pc || sites[1] == pc);
}

/* Whose stop this is: by reason where the runtime passes one (1.21+), else
 * by where stopTheWorldWithSema returns to: the GC calls it through
 * systemstack, everyone else through stopTheWorld's closure. */
static __always_inline __u32 stop_kind(const struct ht_proc_config *c, bool have_reason, __u64 reason,
				       __u64 caller)
{
	if (!c)
		return HT_STOP_OTHER;
	if (have_reason)
		return (c->reason_sweep_term && (reason & 0xff) == c->reason_sweep_term) ||
				       (c->reason_mark_term && (reason & 0xff) == c->reason_mark_term) ?
			       HT_STOP_GC :
			       HT_STOP_OTHER;
	return is_site(c->gc_stop_sites, caller) ? HT_STOP_GC : HT_STOP_OTHER;
}

/* A BPF global function: the verifier checks it once, for any arguments,
 * not once per path that ends a pause (it was half of the uprobe
 * program's verification, which every start of heaptrace waits for). Its
 * arguments are scalars, so it looks the figures up itself, once a pause.
 * a0 = reason | kind << 32; start as start_of(); stopped the end of
 * stopping (0: not known). */
__noinline int ht_pause_done(__u32 tgid, __u64 a0, __u64 start, __u64 stopped, __u64 total)
{
	struct ht_figures *f = traced_figures(tgid);
	__u64 stopping = stopped > start ? stopped - start : 0;
	__u32 kind = kind_in(a0);
	bool other = kind == HT_STOP_OTHER;
	struct ht_pause_record *r;

	if (!f)
		return 0;
	hist_add(other ? &f->other_pause : &f->gc_pause, total);
	if (stopping)
		hist_add(other ? &f->other_stopping : &f->gc_stopping, stopping);
	r = reserve(f, sizeof(*r), HT_REC_PAUSE, tgid);
	if (!r)
		return 0;
	r->total_ns = total;
	r->stopping_ns = stopping;
	r->reason = (__u32)a0;
	r->gc = kind;
	submit(r);
	return 0;
}

static __always_inline void pause_done(__u32 tgid, const struct inflight_val *v, __u64 total)
{
	ht_pause_done(tgid, v->a0, start_of(v), v->a2, total);
}

static __always_inline __u64 since(__u64 end, const struct inflight_val *v)
{
	__u64 start = start_of(v);

	return end > start ? end - start : 0;
}

/* Go < 1.22: the GC pauses of the cycle so far, to take from its total. */
static __always_inline void cycle_add(__u32 tgid, __u64 ns)
{
	struct inflight_key k = { .tgid = tgid, .handler = HT_H_STW_STOP, .id = CYCLE_ID };
	struct inflight_val *p = bpf_map_lookup_elem(&inflight, &k), v = { .a0 = ns };

	if (p)
		__sync_fetch_and_add(&p->a0, ns);
	else
		bpf_map_update_elem(&inflight, &k, &v, BPF_ANY);
}

static __always_inline __u64 cycle_take(__u32 tgid)
{
	struct inflight_key k = { .tgid = tgid, .handler = HT_H_STW_STOP, .id = CYCLE_ID };
	struct inflight_val *p = bpf_map_lookup_elem(&inflight, &k);
	__u64 ns = p ? p->a0 : 0;

	if (p)
		bpf_map_delete_elem(&inflight, &k);
	return ns;
}

/* gcMarkTermination (Go < 1.22): once per completed cycle, inside its
 * final stop of the world, which this marks as such. */
static __always_inline void on_gc_cycle(struct hit *h)
{
	struct inflight_key k = { .tgid = h->tgid, .handler = HT_H_STW_STOP, .id = STW_ID };
	struct inflight_val *p = bpf_map_lookup_elem(&inflight, &k);

	__sync_fetch_and_add(&h->f->gc_cycles, 1);
	if (p && kind_of(p) == HT_STOP_GC)
		p->a0 = with_kind(p->a0, HT_STOP_GC_FINAL);
}

/* stopTheWorldWithSema's entry (Go < 1.22). */
static __always_inline void on_stw_stop(struct hit *h)
{
	const struct ht_proc_config *c = h->cfg;
	__u64 reason = go_arg(h, 0);
	struct inflight_val v = { .ts = bpf_ktime_get_ns(),
				  .a0 = with_kind(reason, stop_kind(c, has_arg(h, 0), reason, caller_pc(h->ctx))) };

	enter(h->tgid, STW_ID, HT_H_STW_STOP, &v);
}

/* The final pause of a cycle before Go 1.22: what the runtime recorded for
 * the cycle, less what this cycle's earlier pauses took; 0 if unreadable. */
static __always_inline __u64 final_pause(const struct ht_proc_config *c, __u32 tgid, const struct inflight_val *v)
{
	__u64 total = 0, earlier = cycle_take(tgid), end = 0;
	__u32 numgc = 0;

	if (c->pause_ring_addr && c->numgc_addr && !bpf_probe_read_user(&numgc, sizeof(numgc), (void *)c->numgc_addr) &&
	    numgc &&
	    !bpf_probe_read_user(&total, sizeof(total), (void *)(c->pause_ring_addr + 8 * ((numgc - 1) & 255))) &&
	    total > earlier)
		return total - earlier;
	/* Unreadable: the end the runtime left in memstats.last_gc_nanotime */
	if (c->last_gc_nanotime_addr && !bpf_probe_read_user(&end, sizeof(end), (void *)c->last_gc_nanotime_addr))
		return since(end, v);
	return 0;
}

static __always_inline void on_stw_start(struct hit *h)
{
	struct inflight_key k = { .tgid = h->tgid, .handler = HT_H_STW_STOP, .id = STW_ID };
	struct inflight_val v, *p;
	__u64 ns;

	if (!h->pi->exit && has_arg(h, 2)) {
		/* Go 1.22+: (now, worldStop{reason, startedStopping, finishedStopping}) */
		__u64 now = go_arg(h, 0), reason = go_arg(h, 1) & 0xff;
		const struct ht_proc_config *c = h->cfg;
		__u32 kind = stop_kind(c, true, reason, 0);

		v = (struct inflight_val){ .ts = bpf_ktime_get_ns(), .a1 = go_arg(h, 2), .a2 = go_arg(h, 3) };
		if (!(kind == HT_STOP_GC && c && reason == c->reason_mark_term && now)) {
			v.a0 = with_kind(reason, kind);
			enter(h->tgid, STW_ID, HT_H_STW_STOP, &v);
			return;
		}
		v.a0 = with_kind(reason, HT_STOP_GC_FINAL);
		__sync_fetch_and_add(&h->f->gc_cycles, 1);
		ns = since(now, &v);
	} else {
		p = bpf_map_lookup_elem(&inflight, &k);
		if (!p)
			return; /* attached in the middle of a stop */
		v = *p;
		if (!h->pi->exit) {
			/* Go < 1.22: only the final pause ends before this call. */
			if (kind_of(&v) != HT_STOP_GC_FINAL)
				return;
			ns = final_pause(h->cfg, h->tgid, &v);
			bpf_map_delete_elem(&inflight, &k);
			if (!ns)
				ns = since(bpf_ktime_get_ns(), &v);
		} else {
			/* At the RET: the runtime's clock at the restart. */
			bpf_map_delete_elem(&inflight, &k);
			ns = since(go_result0(h), &v);
			if (kind_of(&v) == HT_STOP_GC && !v.a1)
				cycle_add(h->tgid, ns);
		}
	}
	/* one pause_done for the three ways a pause ends (see pause_done) */
	pause_done(h->tgid, &v, ns);
}
#endif
