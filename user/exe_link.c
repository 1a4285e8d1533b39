// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <stdlib.h>
#include <string.h>
#include "exe_cache.h"
#include "util/log.h"

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
	/* through the process's own descriptor: the file it runs, which the
	 * plan's code was checked against (exe_cache.c) */
	if (probe_set_attach(&l->ps, tr, &e->pp, t->open_path, l->pid)) {
		free(l);
		return NULL;
	}
	l->users = 1;
	e->links[e->nlinks++] = l;
	return l;
}

void exe_link_put(struct exe_entry *e, struct exe_link *l, unsigned tiers_off)
{
	int tier;
	size_t i;

	if (!l)
		return;
	for (tier = HT_TIER_COLD; tier <= HT_TIER_HOT; tier++)
		if (tiers_off & (1u << tier) && l->tier_off[tier])
			l->tier_off[tier]--;
	if (--l->users) {
		/* those left may all have a tier off now */
		for (tier = HT_TIER_COLD; tier <= HT_TIER_HOT; tier++)
			if (l->tier_off[tier] && l->tier_off[tier] >= l->users)
				probe_set_detach_tier(&l->ps, (enum ht_tier)tier);
		return;
	}
	probe_set_detach(&l->ps);
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
