// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <bpf/libbpf.h>
#include "probes.skel.h"
#include "trace/attach_warmup.h"
#include "trace/probe_set.h"
#include "trace/uprobe_multi.h"
#include "util/fd_closer.h"
#include "util/log.h"

#define ENOTSUPP_KERNEL 524 /* the kernel's ENOTSUPP, which user space has no name for */

/* The points of one tier; cookies are the plan's. */
static int attach_multi_tier(struct probe_set *ps, enum ht_tier tier)
{
	const char *path = ps->path;
	uint64_t offsets[HT_EXE_POINTS], cookies[HT_EXE_POINTS];
	const struct plan_points *pp = ps->pp;
	int i, n = 0, fd;

	for (i = 0; i < pp->npoints; i++) {
		if (pp->points[i].tier != tier || !pp->points[i].attached)
			continue;
		offsets[n] = pp->points[i].off;
		cookies[n++] = pp->base + (uint64_t)i;
	}
	if (!n)
		return 0;
	fd = uprobe_multi_link(bpf_program__fd(ps->tr->skel->progs.ht_point_multi), path, offsets, cookies,
			       (unsigned)n, ps->pid);
	/* the fallback helps a kernel that refuses the link, not a file or a
	 * process that is gone */
	if (fd < 0 && (errno == EINVAL || errno == EOPNOTSUPP || errno == ENOTSUPP_KERNEL))
		return ht_fail("%s (HEAPTRACE_ATTACH=uprobe attaches one uprobe per point instead)", ht_last_error());
	if (fd < 0)
		return -1;
	ps->multi_link_fd[tier] = fd;
	return 0;
}

static int attach_one(struct probe_set *ps, int i)
{
	const char *path = ps->path;
	const struct attach_point *pt = &ps->pp->points[i];
	LIBBPF_OPTS(bpf_uprobe_opts, uo, .bpf_cookie = ps->pp->base + (uint64_t)i);
	struct bpf_link *l;

	/* Exits are uprobes on RET instructions found by decoding, never return
	 * probes: a hijacked return address breaks Go's stack copying. */
	uo.retprobe = false;
	/* pid 0: every process (libbpf's -1; its 0 would be heaptrace itself) */
	l = bpf_program__attach_uprobe_opts(ps->tr->skel->progs.ht_point, ps->pid ? ps->pid : -1, path, pt->off, &uo);
	if (!l)
		return ht_fail("uprobe at 0x%llx (file offset 0x%llx) of %s: %s", (unsigned long long)pt->addr,
			       (unsigned long long)pt->off, path, strerror(errno));
	ps->links[i] = l;
	return 0;
}

bool probe_set_has_tier(const struct probe_set *ps, enum ht_tier tier)
{
	int i;

	for (i = 0; ps->pp && i < ps->pp->npoints; i++)
		if (ps->pp->points[i].tier == tier && ps->pp->points[i].attached)
			return true;
	return false;
}

int probe_set_attach_tier(struct probe_set *ps, enum ht_tier tier)
{
	int i;

	if (ps->tr->multi)
		return ps->multi_link_fd[tier] >= 0 ? 0 : attach_multi_tier(ps, tier);
	for (i = 0; i < ps->pp->npoints; i++)
		if (ps->pp->points[i].tier == tier && ps->pp->points[i].attached && !ps->links[i] &&
		    attach_one(ps, i)) {
			probe_set_detach_tier(ps, tier);
			return -1;
		}
	return 0;
}

int probe_set_attach(struct probe_set *ps, const struct tracer *tr, const struct plan_points *pp, const char *path,
		     pid_t pid)
{
	int i;

	memset(ps, 0, sizeof(*ps));
	ps->tr = tr;
	ps->pp = pp;
	ps->pid = pid;
	snprintf(ps->path, sizeof(ps->path), "%s", path);
	for (i = 0; i < HT_TIERS; i++)
		ps->multi_link_fd[i] = -1;
	/* the sampled tier is attached a window at a time (exe_link.c) */
	for (i = HT_TIER_COLD; i <= HT_TIER_HOT; i++)
		if (probe_set_attach_tier(ps, (enum ht_tier)i)) {
			probe_set_detach(ps);
			return -1;
		}
	attach_warmup_stop(); /* its work is done */
	ht_debug("attached %d points to pid %d (%s)", pp->npoints, pid, tr->method);
	return 0;
}

void probe_set_detach_tier(struct probe_set *ps, enum ht_tier tier)
{
	int i;

	if (!ps->pp)
		return;
	for (i = 0; i < ps->pp->npoints; i++) {
		if (ps->pp->points[i].tier != tier)
			continue;
		bpf_link__destroy(ps->links[i]);
		ps->links[i] = NULL;
	}
	fd_close_later(ps->multi_link_fd[tier]);
	ps->multi_link_fd[tier] = -1;
}

void probe_set_detach(struct probe_set *ps)
{
	int tier;

	for (tier = HT_TIER_COLD; tier < HT_TIERS; tier++)
		probe_set_detach_tier(ps, (enum ht_tier)tier);
}
