#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include <bpf/bpf.h>
#include "util/log.h"
#include "probes.skel.h"
#include "trace/tracer.h"
#include "trace/uprobe_multi.h"

#define KERNEL_BTF "/sys/kernel/btf/vmlinux"

static bool getenv_is(const char *name, const char *value)
{
	const char *v = getenv(name);

	return v && !strcmp(v, value);
}

int tracer_open(struct tracer *tr, const struct tracer_opts *o)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .btf_custom_path = o->btf_path);
	const char *btf = o->btf_path ? o->btf_path : KERNEL_BTF;
	int err, tier;

	memset(tr, 0, sizeof(*tr));
	for (tier = HT_TIER_COLD; tier <= HT_TIER_HOT; tier++)
		tr->multi_link_fd[tier] = -1; /* before any failure: close must not close fd 0 */
	if (access(btf, R_OK))
		return ht_fail("no kernel BTF at %s (%s): heaptrace needs a kernel built with CONFIG_DEBUG_INFO_BTF=y, or --btf FILE",
			       btf, strerror(errno));
	tr->skel = probes_bpf__open_opts(&opts);
	if (!tr->skel)
		return ht_fail("cannot open the BPF programs: %s", strerror(errno));
	tr->skel->rodata->ringbuf_wakeup_bytes = o->ringbuf_bytes / 2;
	tr->skel->rodata->self_tgid = (__u32)getpid();
	bpf_map__set_max_entries(tr->skel->maps.events, o->ringbuf_bytes);
	/* one more: heaptrace times its own handlers on itself (hit_cost.c) */
	bpf_map__set_max_entries(tr->skel->maps.figures, o->max_procs + 1);
	bpf_map__set_max_entries(tr->skel->maps.proc_config, o->max_procs + 1);
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

int tracer_read_figures(const struct tracer *tr, pid_t tgid, struct ht_figures *out)
{
	__u32 key = (__u32)tgid;

	if (bpf_map_lookup_elem(bpf_map__fd(tr->skel->maps.figures), &key, out))
		return ht_fail("cannot read the BPF figures of pid %d: %s", tgid, strerror(errno));
	return 0;
}

/* Tells BPF what each point is: its handler, entry or exit, and which
 * registers hold the arguments the table lists. */
static int set_point_info(struct tracer *tr, const struct probe_plan *plan)
{
	int fd = bpf_map__fd(tr->skel->maps.point_info), i, k;

	for (i = 0; i < tr->npoints; i++) {
		const struct planned_probe *p = &plan->probes[tr->points[i].probe];
		bool exit = tr->points[i].exit >= 0;
		const struct probe_arg *args = exit ? p->spec->results : p->spec->args;
		struct ht_point_info pi = { .handler = p->spec->handler, .exit = exit,
					    .morestack = exit ? HT_MORESTACK_NONE : p->code.morestack };
		__u32 key = (__u32)i;

		memset(pi.arg, HT_ARG_ABSENT, sizeof(pi.arg));
		for (k = 0; k < PROBE_MAX_ARGS && args[k].name; k++)
			pi.arg[args[k].slot % HT_POINT_ARGS] = args[k].index;
		if (bpf_map_update_elem(fd, &key, &pi, BPF_ANY))
			return ht_fail("cannot configure BPF point %d: %s", i, strerror(errno));
	}
	return 0;
}

static int add_point(struct tracer *tr, const struct target *t, int probe, enum ht_tier plan_tier, int exit,
		     uint64_t addr)
{
	struct attach_point *pt = &tr->points[tr->npoints];

	if (elf_vaddr_to_offset(&t->elf, addr, &pt->off))
		return ht_fail("0x%llx is not in an executable segment of %s", (unsigned long long)addr, t->exe);
	pt->probe = probe;
	pt->exit = exit;
	pt->tier = plan_tier;
	pt->addr = addr;
	pt->attached = true;
	tr->npoints++;
	return 0;
}

/* Every point of the plan, in cookie order, with its file offset. */
static int collect_points(struct tracer *tr, const struct target *t, const struct probe_plan *plan)
{
	int i, j;

	tr->npoints = 0;
	for (i = 0; i < plan->n; i++) {
		const struct planned_probe *p = &plan->probes[i];

		if (add_point(tr, t, i, p->spec->tier, -1, p->code.attach))
			return -1;
		for (j = 0; p->spec->exits && j < p->code.nexits; j++)
			if (add_point(tr, t, i, p->spec->tier, j, p->code.exits[j]))
				return -1;
	}
	return 0;
}

static void close_multi(struct tracer *tr, enum ht_tier tier)
{
	if (tr->multi_link_fd[tier] >= 0)
		close(tr->multi_link_fd[tier]);
	tr->multi_link_fd[tier] = -1;
}

/* The points of one tier; cookies stay the global point index. */
static int attach_multi_tier(struct tracer *tr, const struct target *t, enum ht_tier tier)
{
	uint64_t offsets[HT_MAX_POINTS], cookies[HT_MAX_POINTS];
	int i, n = 0, fd;

	for (i = 0; i < tr->npoints; i++) {
		if (tr->points[i].tier != tier || !tr->points[i].attached)
			continue;
		offsets[n] = tr->points[i].off;
		cookies[n++] = (__u64)i;
	}
	if (!n)
		return 0;
	fd = uprobe_multi_link(bpf_program__fd(tr->skel->progs.ht_point_multi), t->open_path, offsets, cookies,
			       (unsigned)n, t->pid);
	if (fd < 0)
		return -1;
	tr->multi_link_fd[tier] = fd;
	return 0;
}

static int attach_multi(struct tracer *tr, const struct target *t)
{
	int tier;

	for (tier = HT_TIER_COLD; tier <= HT_TIER_HOT; tier++) {
		if (attach_multi_tier(tr, t, (enum ht_tier)tier)) {
			while (tier-- > HT_TIER_COLD)
				close_multi(tr, (enum ht_tier)tier);
			return -1;
		}
	}
	return 0;
}

static int attach_one(struct tracer *tr, const struct target *t, int i)
{
	const struct attach_point *pt = &tr->points[i];
	LIBBPF_OPTS(bpf_uprobe_opts, uo, .bpf_cookie = (__u64)i);
	struct bpf_link *l;

	/* Exits are uprobes on RET instructions found by decoding, never return
	 * probes: a hijacked return address breaks Go's stack copying. */
	uo.retprobe = false;
	l = bpf_program__attach_uprobe_opts(tr->skel->progs.ht_point, t->pid, t->open_path, pt->off, &uo);
	if (!l)
		return ht_fail("uprobe at 0x%llx (file offset 0x%llx) of %s: %s", (unsigned long long)pt->addr,
			       (unsigned long long)pt->off, t->exe, strerror(errno));
	tr->links[i] = l;
	return 0;
}

/* The runtime's madvise wrapper is probed only when the syscall itself
 * cannot be (no kprobes): mark its points to stay unattached otherwise. */
static int choose_madvise(struct tracer *tr, const struct probe_plan *plan)
{
	bool wrapper = plan_has_handler(plan, HT_H_MADVISE);
	int i;

	if (madvise_probe_attach(tr->skel, &tr->madvise, wrapper))
		return -1;
	for (i = 0; i < tr->npoints; i++)
		if (plan->probes[tr->points[i].probe].spec->handler == HT_H_MADVISE)
			tr->points[i].attached = tr->madvise.wrapper;
	return 0;
}

int tracer_attach(struct tracer *tr, const struct target *t, const struct probe_plan *plan)
{
	int i;

	tr->pid = t->pid;
	if (collect_points(tr, t, plan) || set_point_info(tr, plan) || choose_madvise(tr, plan))
		return -1;
	for (i = 0; i < plan->n; i++)
		ht_debug("probe %s at 0x%llx (%s), %d exits", plan->probes[i].spec->symbol,
			 (unsigned long long)plan->probes[i].code.attach,
			 attach_kind_name(plan->probes[i].code.attach_kind),
			 plan->probes[i].spec->exits ? plan->probes[i].code.nexits : 0);
	if (tr->multi) {
		if (attach_multi(tr, t))
			return ht_fail("%s (HEAPTRACE_ATTACH=uprobe attaches one uprobe per point instead)", ht_last_error());
		ht_debug("attached %d points with a uprobe_multi link per tier", tr->npoints);
		return 0;
	}
	for (i = 0; i < tr->npoints; i++) {
		if (tr->points[i].attached && attach_one(tr, t, i)) {
			tracer_detach(tr);
			return -1;
		}
	}
	return 0;
}

int tracer_read_hits(const struct tracer *tr, const struct probe_plan *plan, struct probe_hits *hits)
{
	int ncpu = libbpf_num_possible_cpus(), fd = bpf_map__fd(tr->skel->maps.point_hits), i, c;
	struct ht_point_hits *vals;

	if (ncpu <= 0)
		return ht_fail("cannot count CPUs: %s", strerror(-ncpu));
	vals = calloc((size_t)ncpu, sizeof(*vals));
	if (!vals)
		return ht_fail("out of memory");
	memset(hits, 0, sizeof(*hits) * (size_t)plan->n);
	for (i = 0; i < tr->npoints; i++) {
		__u32 key = (__u32)i;
		uint64_t sum = 0, restarts = 0;

		if (bpf_map_lookup_elem(fd, &key, vals))
			continue;
		for (c = 0; c < ncpu; c++) {
			sum += vals[c].hits;
			restarts += vals[c].restarts;
		}
		if (tr->points[i].exit < 0) {
			hits[tr->points[i].probe].entries += sum - restarts;
			hits[tr->points[i].probe].restarts += restarts;
		} else {
			hits[tr->points[i].probe].exits += sum;
		}
	}
	free(vals);
	return 0;
}

void tracer_detach_tier(struct tracer *tr, enum ht_tier tier)
{
	int i;

	/* Points stay known: hits are read after detaching, from the map. */
	for (i = 0; i < tr->npoints; i++) {
		if (tr->points[i].tier != tier)
			continue;
		bpf_link__destroy(tr->links[i]);
		tr->links[i] = NULL;
	}
	close_multi(tr, tier);
}

void tracer_detach(struct tracer *tr)
{
	int tier;

	madvise_probe_detach(&tr->madvise);
	for (tier = HT_TIER_COLD; tier <= HT_TIER_HOT; tier++)
		tracer_detach_tier(tr, (enum ht_tier)tier);
}

/*
 * Closing the last reference to a uprobe link waits for an RCU grace period
 * (tens of ms a link; seconds for many perf uprobes), which would add to
 * heaptrace's exit and so to the wall time of `heaptrace -- PROG`. A child
 * process inherits every descriptor and holds them while this process
 * closes its own copies (quickly: they are not the last), then exits, and
 * the kernel's wait happens in the child. A double fork leaves no zombie.
 */
static void close_last_refs_later(struct tracer *tr)
{
	int go[2], status;
	pid_t child;

	if (pipe(go))
		return;
	child = fork();
	if (child == 0) {
		char c;

		/* the holder: lives until the parent has closed its copies */
		if (fork() == 0)
			while (read(go[0], &c, 1) < 0 && errno == EINTR)
				;
		_exit(0);
	}
	close(go[0]);
	tracer_detach(tr);
	probes_bpf__destroy(tr->skel);
	tr->skel = NULL;
	close(go[1]); /* the holder reads EOF and exits */
	if (child > 0)
		while (waitpid(child, &status, 0) < 0 && errno == EINTR)
			;
}

void tracer_close(struct tracer *tr)
{
	if (tr->skel)
		close_last_refs_later(tr);
	tracer_detach(tr); /* when the fork failed, or nothing was loaded */
	probes_bpf__destroy(tr->skel);
	tr->skel = NULL;
}
