// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "probes.skel.h"
#include "trace/tracer.h"
#include "trace/uprobe_multi.h"
#include "util/log.h"

#define KERNEL_BTF "/sys/kernel/btf/vmlinux"

static bool getenv_is(const char *name, const char *value)
{
	const char *v = getenv(name);

	return v && !strcmp(v, value);
}

int tracer_open(struct tracer *tr, const struct tracer_opts *o)
{
	int err;

	memset(tr, 0, sizeof(*tr));
	tr->max_exes = o->max_exes;
	tr->exe_slot_used = calloc(o->max_exes + 1, 1);
	if (!tr->exe_slot_used)
		return ht_fail("out of memory");
	/* The programs need no relocation (probes.bpf.c), but the kernel
	 * verifies its BTF-typed helpers (bpf_get_current_task_btf) against
	 * its own BTF, which this file shows. */
	if (access(KERNEL_BTF, R_OK))
		return ht_fail("no kernel BTF at %s (%s): heaptrace needs a kernel built with CONFIG_DEBUG_INFO_BTF=y",
			       KERNEL_BTF, strerror(errno));
	tr->skel = probes_bpf__open();
	if (!tr->skel)
		return ht_fail("cannot open the BPF programs: %s", strerror(errno));
	tr->skel->rodata->ringbuf_wakeup_bytes = o->ringbuf_bytes / 2;
	tr->skel->rodata->self_tgid = (__u32)getpid();
	bpf_map__set_max_entries(tr->skel->maps.events, o->ringbuf_bytes);
	/* one more: heaptrace times its own handlers on itself (hit_cost.c) */
	bpf_map__set_max_entries(tr->skel->maps.figures, o->max_procs + 1);
	bpf_map__set_max_entries(tr->skel->maps.proc_config, o->max_procs + 1);
	bpf_map__set_max_entries(tr->skel->maps.point_info, (o->max_exes + 1) * HT_EXE_POINTS);
#if defined(__aarch64__)
	tr->skel->rodata->madvise_nr = 233;
#else
	tr->skel->rodata->madvise_nr = 28;
#endif
	/* Load only the uprobe program the kernel can attach: verifying the
	 * other copy would double the load time. HEAPTRACE_ATTACH=uprobe forces
	 * the fallback (tests, odd kernels). */
	tr->multi = !getenv_is("HEAPTRACE_ATTACH", "uprobe") && uprobe_multi_supported();
	bpf_program__set_expected_attach_type(tr->skel->progs.ht_point_multi, HT_BPF_TRACE_UPROBE_MULTI);
	bpf_program__set_autoload(tr->skel->progs.ht_point_multi, tr->multi);
	bpf_program__set_autoload(tr->skel->progs.ht_point, !tr->multi);
	tr->method = tr->multi ? "uprobe_multi" : "uprobe";
	err = probes_bpf__load(tr->skel);
	if (err) {
		probes_bpf__destroy(tr->skel);
		tr->skel = NULL;
		return ht_fail("cannot load the BPF programs: %s%s", strerror(-err),
			       err == -EPERM ? " (run heaptrace as root)" : " (run with -v for the verifier log)");
	}
	return 0;
}

int tracer_update_process(struct tracer *tr, pid_t tgid, const struct ht_proc_config *cfg)
{
	__u32 key = (__u32)tgid;

	if (bpf_map_update_elem(bpf_map__fd(tr->skel->maps.proc_config), &key, cfg, BPF_ANY))
		return ht_fail("cannot configure BPF for pid %d: %s", tgid, strerror(errno));
	return 0;
}

int tracer_add_process(struct tracer *tr, pid_t tgid, const struct ht_proc_config *cfg)
{
	static const struct ht_figures zero;
	__u32 key = (__u32)tgid;

	if (tracer_update_process(tr, tgid, cfg))
		return -1;
	if (bpf_map_update_elem(bpf_map__fd(tr->skel->maps.figures), &key, &zero, BPF_ANY))
		return ht_fail("cannot start BPF figures for pid %d: %s (more processes than --max-procs?)", tgid,
			       strerror(errno));
	return 0;
}

void tracer_remove_process(struct tracer *tr, pid_t tgid)
{
	__u32 key = (__u32)tgid;

	bpf_map_delete_elem(bpf_map__fd(tr->skel->maps.figures), &key);
	bpf_map_delete_elem(bpf_map__fd(tr->skel->maps.proc_config), &key);
}

int tracer_read_figures(const struct tracer *tr, pid_t tgid, struct ht_figures *out)
{
	__u32 key = (__u32)tgid;

	if (bpf_map_lookup_elem(bpf_map__fd(tr->skel->maps.figures), &key, out))
		return ht_fail("cannot read the BPF figures of pid %d: %s", tgid, strerror(errno));
	return 0;
}

static int add_point(struct plan_points *pp, const struct target *t, int probe, enum ht_tier tier, int exit,
		     int call, uint64_t addr)
{
	struct attach_point *pt = &pp->points[pp->npoints];

	if (pp->npoints == HT_EXE_POINTS)
		return ht_fail("more than %d attach points in the plan of %s", HT_EXE_POINTS, t->exe);
	if (elf_vaddr_to_offset(&t->elf, addr, &pt->off))
		return ht_fail("0x%llx is not in an executable segment of %s", (unsigned long long)addr, t->exe);
	pt->probe = probe;
	pt->exit = exit;
	pt->call = call;
	pt->tier = tier;
	pt->addr = addr;
	pt->attached = true;
	pp->npoints++;
	return 0;
}

/* Every point of the plan, in cookie order, with its file offset. */
static int collect_points(struct plan_points *pp, const struct target *t, const struct probe_plan *plan)
{
	int i, j;

	pp->npoints = 0;
	for (i = 0; i < plan->n; i++) {
		const struct planned_probe *p = &plan->probes[i];
		/* Counted at its entry or its calls, timed a part of the time
		 * (exe_link.c's windows): the RETs, and the entry where the calls
		 * count it. Without the call sites it counts, it is timed always. */
		bool counted_at_calls = p->spec->call_sites && p->ncalls;
		bool sampled = p->spec->timing_sampled && (!p->spec->call_sites || counted_at_calls);
		enum ht_tier entry = sampled && counted_at_calls ? HT_TIER_SAMPLED : p->spec->tier;
		enum ht_tier exits = sampled ? HT_TIER_SAMPLED : p->spec->tier;

		if (add_point(pp, t, i, entry, -1, -1, p->code.attach))
			return -1;
		for (j = 0; p->spec->exits && j < p->code.nexits; j++)
			if (add_point(pp, t, i, exits, j, -1, p->code.exits[j]))
				return -1;
		for (j = 0; j < p->ncalls; j++)
			if (add_point(pp, t, i, p->spec->tier, -1, j, p->calls[j]))
				return -1;
	}
	return 0;
}

/* Tells BPF what each point is: its handler, entry or exit, and where the
 * arguments the table lists are. */
static int set_point_info(struct tracer *tr, const struct plan_points *pp, const struct probe_plan *plan)
{
	int fd = bpf_map__fd(tr->skel->maps.point_info), i, k;

	for (i = 0; i < pp->npoints; i++) {
		const struct planned_probe *p = &plan->probes[pp->points[i].probe];
		bool exit = pp->points[i].exit >= 0, call = pp->points[i].call >= 0;
		const struct probe_arg *args = exit ? p->spec->results : p->spec->args;
		struct ht_point_info pi = { .handler = p->spec->handler, .exit = exit, .tier = (__u8)pp->points[i].tier,
					    .morestack = exit || call ? HT_MORESTACK_NONE : p->code.morestack };

		if (call)
			pi.flags |= HT_POINT_CALLSITE;
		else if (exit && !p->ncalls)
			pi.flags |= HT_POINT_COUNTS; /* no call sites: the RETs count */
		__u32 key = pp->base + (__u32)i;

		memset(pi.arg, HT_ARG_ABSENT, sizeof(pi.arg));
		for (k = 0; k < PROBE_MAX_ARGS && args[k].name; k++)
			pi.arg[args[k].slot % HT_POINT_ARGS] = args[k].index;
		if (bpf_map_update_elem(fd, &key, &pi, BPF_ANY))
			return ht_fail("cannot configure BPF point %u: %s", key, strerror(errno));
	}
	return 0;
}

/* The runtime's madvise wrapper is probed only when the syscall itself
 * cannot be (no kprobes): its points stay unattached otherwise. */
static int madvise_points(struct tracer *tr, struct plan_points *pp, const struct probe_plan *plan)
{
	int i;

	if (!tr->madvise_chosen) {
		if (madvise_probe_attach(tr->skel, &tr->madvise, plan_has_handler(plan, HT_H_MADVISE)))
			return -1;
		tr->madvise_chosen = true;
	}
	for (i = 0; i < pp->npoints; i++)
		if (plan->probes[pp->points[i].probe].spec->handler == HT_H_MADVISE)
			pp->points[i].attached = tr->madvise.wrapper;
	return 0;
}

int tracer_add_plan(struct tracer *tr, const struct target *t, const struct probe_plan *plan,
		    struct plan_points *pp)
{
	uint32_t slot;
	int i;

	memset(pp, 0, sizeof(*pp));
	for (slot = 1; slot <= tr->max_exes && tr->exe_slot_used[slot]; slot++)
		;
	if (slot > tr->max_exes)
		return ht_fail("more than %u executables traced at once", tr->max_exes);
	pp->base = slot * HT_EXE_POINTS;
	if (collect_points(pp, t, plan) || set_point_info(tr, pp, plan) || madvise_points(tr, pp, plan))
		return -1;
	tr->exe_slot_used[slot] = 1;
	for (i = 0; i < plan->n; i++)
		ht_debug("probe %s at 0x%llx (%s), %d exits", plan->probes[i].spec->symbol,
			 (unsigned long long)plan->probes[i].code.attach,
			 attach_kind_name(plan->probes[i].code.attach_kind),
			 plan->probes[i].spec->exits ? plan->probes[i].code.nexits : 0);
	return 0;
}

void tracer_remove_plan(struct tracer *tr, const struct plan_points *pp)
{
	uint32_t slot = pp->base / HT_EXE_POINTS;

	if (tr->exe_slot_used && slot && slot <= tr->max_exes)
		tr->exe_slot_used[slot] = 0;
}

void probe_hits_of(const struct plan_points *pp, const struct probe_plan *plan, const struct ht_figures *f,
		   struct probe_hits *hits)
{
	int i;

	memset(hits, 0, sizeof(*hits) * (size_t)plan->n);
	for (i = 0; i < pp->npoints; i++) {
		const struct ht_point_count *c = &f->points[i];
		struct probe_hits *h = &hits[pp->points[i].probe];

		h->work_ns += c->work_ns;
		if (pp->points[i].call >= 0) {
			h->calls += c->hits;
		} else if (pp->points[i].exit < 0) {
			h->entries += c->hits - c->restarts;
			h->restarts += c->restarts;
		} else {
			h->exits += c->hits;
		}
	}
}

int tracer_watch_execs(struct tracer *tr)
{
	tr->exec_link = bpf_program__attach_raw_tracepoint(tr->skel->progs.ht_exec, "sched_process_exec");
	if (!tr->exec_link)
		return ht_fail("cannot watch execs (raw tracepoint sched_process_exec): %s", strerror(errno));
	return 0;
}

uint64_t tracer_execs_lost(const struct tracer *tr)
{
	return tr->skel && tr->skel->bss ? tr->skel->bss->exec_lost : 0;
}

void tracer_close(struct tracer *tr)
{
	bpf_link__destroy(tr->exec_link);
	tr->exec_link = NULL;
	madvise_probe_detach(&tr->madvise);
	probes_bpf__destroy(tr->skel);
	tr->skel = NULL;
	free(tr->exe_slot_used);
	tr->exe_slot_used = NULL;
}
