// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "exe_cache.h"
#include "util/log.h"
#include "util/monotonic.h"

/*
 * Host mode attaches one link per executable file for every process that
 * runs it: a hit then costs the kernel one consumer to call, beside 1 or
 * 1,000 copies of a program (per-process links made each hit walk all of
 * them), and BPF keeps the processes apart by their figures. A process that
 * heaptrace does not trace but runs the same file pays the trap of a hit,
 * which the program drops at once.
 *
 * A file is told by its inode number within one analysis (the same content,
 * same probed code): under overlayfs, stat gives each container its own
 * device but the lower file's inode, and the kernel puts uprobes on that
 * lower file. Two different files of equal content and equal inode number
 * on two file systems would share a link that only probes one of them;
 * their processes would lack hits, never get anyone else's.
 */

struct exe_link *exe_link_get(struct exe_entry *e, const struct tracer *tr, const struct target *t, bool shared)
{
	struct exe_link *l, **v;
	char path[64];
	size_t i;

	for (i = 0; shared && i < e->nlinks; i++) {
		l = e->links[i];
		if (!l->pid && l->ino == t->id.ino) {
			l->users++;
			return l;
		}
	}
	v = realloc(e->links, (e->nlinks + 1) * sizeof(*v));
	if (!v) {
		ht_fail("out of memory");
		return NULL;
	}
	e->links = v;
	l = calloc(1, sizeof(*l));
	if (!l) {
		ht_fail("out of memory");
		return NULL;
	}
	l->ino = t->id.ino;
	l->pid = shared ? 0 : t->pid;
	/* the process's own file, which the plan's code was checked against
	 * (exe_cache.c), through a descriptor of the link's own: the sampled
	 * windows attach later, maybe after that process */
	l->fd = fcntl(t->exe_fd, F_DUPFD_CLOEXEC, 0);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", l->fd);
	if (l->fd < 0 || probe_set_attach(&l->ps, tr, &e->pp, path, l->pid)) {
		if (l->fd < 0)
			ht_fail("cannot duplicate the descriptor of %s: %s", t->exe, strerror(errno));
		else
			close(l->fd);
		free(l);
		return NULL;
	}
	l->users = 1;
	l->sampling = probe_set_has_tier(&l->ps, HT_TIER_SAMPLED);
	e->links[e->nlinks++] = l;
	exe_link_sample(l, monotonic_ns()); /* the first window opens now */
	return l;
}

void exe_link_put(struct exe_entry *e, struct exe_link *l, unsigned tiers_off)
{
	int tier;
	size_t i;

	if (!l)
		return;
	for (tier = HT_TIER_COLD; tier < HT_TIERS; tier++)
		if (tiers_off & (1u << tier) && l->tier_off[tier])
			l->tier_off[tier]--;
	if (--l->users) {
		/* those left may all have a tier off now */
		for (tier = HT_TIER_COLD; tier < HT_TIERS; tier++)
			if (l->tier_off[tier] && l->tier_off[tier] >= l->users)
				probe_set_detach_tier(&l->ps, (enum ht_tier)tier);
		return;
	}
	probe_set_detach(&l->ps);
	close(l->fd);
	for (i = 0; i < e->nlinks; i++)
		if (e->links[i] == l) {
			e->links[i] = e->links[--e->nlinks];
			break;
		}
	free(l);
}

void exe_link_tier_off(struct exe_link *l, enum ht_tier tier)
{
	if (++l->tier_off[tier] >= l->users)
		probe_set_detach_tier(&l->ps, tier);
}

uint64_t exe_link_sample(struct exe_link *l, uint64_t now)
{
	if (!l || !l->sampling)
		return UINT64_MAX;
	if (now < l->sample_toggle_at)
		return l->sample_toggle_at;
	if (l->sample_on) {
		probe_set_detach_tier(&l->ps, HT_TIER_SAMPLED);
		l->sampled_ns += now - l->sample_on_since;
		l->sample_on = false;
		l->sample_toggle_at = now + EXE_SAMPLE_PERIOD_NS - EXE_SAMPLE_ON_NS;
	} else if (probe_set_attach_tier(&l->ps, HT_TIER_SAMPLED) == 0) {
		l->sample_on = true;
		l->sample_on_since = now;
		l->sample_toggle_at = now + EXE_SAMPLE_ON_NS;
	} else {
		ht_debug("sampled probes not attached: %s", ht_last_error());
		l->sample_toggle_at = now + EXE_SAMPLE_PERIOD_NS;
	}
	return l->sample_toggle_at;
}

uint64_t exe_link_sampled_ns(const struct exe_link *l, uint64_t now)
{
	return !l ? 0 : l->sampled_ns + (l->sample_on ? now - l->sample_on_since : 0);
}
