#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include <bpf/bpf.h>
#include "log.h"
#include "probes.skel.h"
#include "tracer.h"

#define KERNEL_BTF "/sys/kernel/btf/vmlinux"

int tracer_open(struct tracer *tr, pid_t tgid, const char *btf_path)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .btf_custom_path = btf_path);
	const char *btf = btf_path ? btf_path : KERNEL_BTF;
	int err;

	memset(tr, 0, sizeof(*tr));
	if (access(btf, R_OK))
		return ht_fail("no kernel BTF at %s (%s): heaptrace needs a kernel built with CONFIG_DEBUG_INFO_BTF=y, or --btf FILE",
			       btf, strerror(errno));
	tr->skel = probes_bpf__open_opts(&opts);
	if (!tr->skel)
		return ht_fail("cannot open the BPF programs: %s", strerror(errno));
	tr->skel->rodata->target_tgid = (__u32)tgid;
	err = probes_bpf__load(tr->skel);
	if (err) {
		probes_bpf__destroy(tr->skel);
		tr->skel = NULL;
		return ht_fail("cannot load the BPF programs: %s%s", strerror(-err),
			       err == -EPERM ? " (run heaptrace as root)" : " (run with -v for the verifier log)");
	}
	return 0;
}

static int attach_point(struct tracer *tr, const struct target *t, const struct attach_point *pt)
{
	LIBBPF_OPTS(bpf_uprobe_opts, uo, .bpf_cookie = (__u64)tr->npoints);
	uint64_t off;
	struct bpf_link *l;

	/* Never a uretprobe: a hijacked return address breaks Go's stack
	 * copying. Exits are uprobes on RET instructions found by decoding. */
	uo.retprobe = false;
	if (elf_vaddr_to_offset(&t->elf, pt->addr, &off))
		return ht_fail("0x%llx is not in an executable segment", (unsigned long long)pt->addr);
	l = bpf_program__attach_uprobe_opts(tr->skel->progs.ht_point, t->pid, t->open_path, off, &uo);
	if (!l)
		return ht_fail("uprobe at 0x%llx (file offset 0x%llx) of %s: %s", (unsigned long long)pt->addr,
			       (unsigned long long)off, t->exe, strerror(errno));
	tr->links[tr->npoints] = l;
	tr->points[tr->npoints++] = *pt;
	return 0;
}

int tracer_attach(struct tracer *tr, const struct target *t, const struct probe_plan *plan)
{
	int i, j;

	for (i = 0; i < plan->n; i++) {
		const struct planned_probe *p = &plan->probes[i];
		struct attach_point pt = { .probe = i, .exit = -1, .addr = p->code.attach };

		if (attach_point(tr, t, &pt))
			goto fail;
		for (j = 0; p->spec->exits && j < p->code.nexits; j++) {
			pt.exit = j;
			pt.addr = p->code.exits[j];
			if (attach_point(tr, t, &pt))
				goto fail;
		}
		ht_debug("attached %s at 0x%llx (%s) and %d exits", p->spec->symbol,
			 (unsigned long long)p->code.attach, attach_kind_name(p->code.attach_kind),
			 p->spec->exits ? p->code.nexits : 0);
	}
	return 0;
fail:
	tracer_detach(tr);
	return -1;
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

void tracer_detach(struct tracer *tr)
{
	int i;

	/* Points stay known: hits are read after detaching, from the map. */
	for (i = 0; i < tr->npoints; i++) {
		bpf_link__destroy(tr->links[i]);
		tr->links[i] = NULL;
	}
}

void tracer_close(struct tracer *tr)
{
	tracer_detach(tr);
	probes_bpf__destroy(tr->skel);
	tr->skel = NULL;
}
