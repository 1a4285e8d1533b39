#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include <bpf/bpf.h>
#include "util/log.h"
#include "probes.skel.h"
#include "trace/tracer.h"

#define KERNEL_BTF "/sys/kernel/btf/vmlinux"

/*
 * BPF_LINK_CREATE for a uprobe_multi link (Linux 6.6), which libbpf 1.1 and
 * the 6.1 UAPI headers predate: the layout of union bpf_attr's link_create
 * with its uprobe_multi member, as in the kernel's include/uapi/linux/bpf.h.
 */
#define HT_BPF_TRACE_UPROBE_MULTI 48
struct uprobe_multi_link_attr {
	__u32 prog_fd;
	__u32 target_fd;
	__u32 attach_type;
	__u32 link_flags;
	__aligned_u64 path;
	__aligned_u64 offsets;
	__aligned_u64 ref_ctr_offsets;
	__aligned_u64 cookies;
	__u32 cnt;
	__u32 flags; /* never BPF_F_UPROBE_MULTI_RETURN: no return probes on Go */
	__u32 pid;
};

int tracer_open(struct tracer *tr, pid_t tgid, const char *btf_path, uint32_t ringbuf_bytes,
		uint32_t map_count_off)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .btf_custom_path = btf_path);
	const char *btf = btf_path ? btf_path : KERNEL_BTF;
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
	tr->skel->rodata->target_tgid = (__u32)tgid;
	tr->skel->rodata->ringbuf_wakeup_bytes = ringbuf_bytes / 2;
	tr->skel->rodata->map_count_off = map_count_off;
	bpf_map__set_max_entries(tr->skel->maps.events, ringbuf_bytes);
#if defined(__aarch64__)
	tr->skel->rodata->madvise_nr = 233;
#else
	tr->skel->rodata->madvise_nr = 28;
#endif
	bpf_program__set_expected_attach_type(tr->skel->progs.ht_point_multi, HT_BPF_TRACE_UPROBE_MULTI);
	err = probes_bpf__load(tr->skel);
	if (err) {
		probes_bpf__destroy(tr->skel);
		tr->skel = NULL;
		return ht_fail("cannot load the BPF programs: %s%s", strerror(-err),
			       err == -EPERM ? " (run heaptrace as root)" : " (run with -v for the verifier log)");
	}
	return 0;
}

static bool getenv_is(const char *name, const char *value)
{
	const char *v = getenv(name);

	return v && !strcmp(v, value);
}

/* Tells BPF what each point is: its handler, entry or exit, and which
 * registers hold the arguments the table lists. */
static int set_point_info(struct tracer *tr, const struct probe_plan *plan)
{
	int fd = bpf_map__fd(tr->skel->maps.point_info), i, k;

	for (i = 0; i < tr->npoints; i++) {
		const struct probe_spec *s = plan->probes[tr->points[i].probe].spec;
		struct ht_point_info pi = { .handler = s->handler, .exit = tr->points[i].exit >= 0 };
		__u32 key = (__u32)i;

		for (k = 0; k < HT_POINT_ARGS && k < PROBE_MAX_ARGS && s->args[k].name; k++)
			pi.arg_reg[k] = s->args[k].index;
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
	union {
		union bpf_attr attr;
		struct uprobe_multi_link_attr um;
	} a;
	uint64_t offsets[HT_MAX_POINTS], cookies[HT_MAX_POINTS];
	int i, n = 0, fd;

	for (i = 0; i < tr->npoints; i++) {
		if (tr->points[i].tier != tier)
			continue;
		offsets[n] = tr->points[i].off;
		cookies[n++] = (__u64)i;
	}
	if (!n)
		return 0;
	memset(&a, 0, sizeof(a));
	a.um.prog_fd = (__u32)bpf_program__fd(tr->skel->progs.ht_point_multi);
	a.um.attach_type = HT_BPF_TRACE_UPROBE_MULTI;
	a.um.path = (__u64)(unsigned long)t->open_path;
	a.um.offsets = (__u64)(unsigned long)offsets;
	a.um.cookies = (__u64)(unsigned long)cookies;
	a.um.cnt = (__u32)n;
	a.um.pid = (__u32)t->pid;
	fd = (int)syscall(__NR_bpf, BPF_LINK_CREATE, &a, sizeof(a));
	if (fd < 0)
		return ht_fail("uprobe_multi link: %s", strerror(errno));
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
	tr->method = "uprobe_multi";
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

int tracer_attach(struct tracer *tr, const struct target *t, const struct probe_plan *plan)
{
	int i;

	if (collect_points(tr, t, plan) || set_point_info(tr, plan) || madvise_probe_attach(tr->skel, &tr->madvise))
		return -1;
	for (i = 0; i < plan->n; i++)
		ht_debug("probe %s at 0x%llx (%s), %d exits", plan->probes[i].spec->symbol,
			 (unsigned long long)plan->probes[i].code.attach,
			 attach_kind_name(plan->probes[i].code.attach_kind),
			 plan->probes[i].spec->exits ? plan->probes[i].code.nexits : 0);
	/* Feature probing by trying: the multi link where the kernel has it.
	 * HEAPTRACE_ATTACH=uprobe forces the fallback (tests, odd kernels). */
	if (getenv_is("HEAPTRACE_ATTACH", "uprobe"))
		ht_fail("HEAPTRACE_ATTACH=uprobe");
	else if (attach_multi(tr, t) == 0) {
		ht_debug("attached %d points with a uprobe_multi link per tier", tr->npoints);
		return 0;
	}
	ht_debug("%s; falling back to one uprobe per point", ht_last_error());
	tr->method = "uprobe";
	for (i = 0; i < tr->npoints; i++) {
		if (attach_one(tr, t, i)) {
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
		uint64_t sum = 0;

		if (bpf_map_lookup_elem(fd, &key, vals))
			continue;
		for (c = 0; c < ncpu; c++)
			sum += vals[c].hits;
		if (tr->points[i].exit < 0)
			hits[tr->points[i].probe].entries += sum;
		else
			hits[tr->points[i].probe].exits += sum;
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

void tracer_close(struct tracer *tr)
{
	tracer_detach(tr);
	probes_bpf__destroy(tr->skel);
	tr->skel = NULL;
}
