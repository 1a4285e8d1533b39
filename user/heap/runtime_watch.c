// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <stdio.h>
#include <string.h>
#include <sys/sysmacros.h>
#include "heap/runtime_watch.h"
#include "util/log.h"

#define THP "/sys/kernel/mm/transparent_hugepage/"

/* "always [madvise] never" -> "madvise" */
static void thp_settings(struct runtime_watch *w)
{
	char buf[128], *l, *r;
	FILE *f;

	w->thp_max_ptes_none = -1;
	if ((f = fopen(THP "enabled", "re"))) {
		if (fgets(buf, sizeof(buf), f) && (l = strchr(buf, '[')) && (r = strchr(l, ']')) &&
		    (size_t)(r - l - 1) < sizeof(w->thp_enabled))
			snprintf(w->thp_enabled, sizeof(w->thp_enabled), "%.*s", (int)(r - l - 1), l + 1);
		fclose(f);
	}
	if ((f = fopen(THP "khugepaged/max_ptes_none", "re"))) {
		if (fscanf(f, "%d", &w->thp_max_ptes_none) != 1)
			w->thp_max_ptes_none = -1;
		fclose(f);
	}
}

void runtime_watch_open(struct runtime_watch *w, const struct target *t, bool launched)
{
	memset(w, 0, sizeof(*w));
	w->t = t;
	runtime_state_open(&w->reader, t);
	/* a program started under heaptrace: every collection is the trace's */
	w->have_prev = launched;
	thp_settings(w);
}

bool runtime_watch_sample_memory(struct runtime_watch *w, struct smaps *out)
{
	struct rss_exe exe = { .path = w->t->exe, .dev_major = major(w->t->id.dev),
			       .dev_minor = minor(w->t->id.dev), .ino = w->t->id.ino };
	struct rss_split s;

	/* sampled while the target lives: at the end it may be gone */
	if (rss_split_read(w->t->pid, &exe, &s) || !s.all.rss)
		return false;
	w->smaps = s;
	w->have_smaps = true;
	*out = (struct smaps){ .rss = s.all.rss, .anon = s.anon, .lazyfree = s.all.lazyfree };
	return true;
}

void runtime_watch_tick(struct runtime_watch *w)
{
	struct runtime_state s;

	w->fresh = false;
	if (runtime_state_read(&w->reader, &s)) {
		w->fresh = true;
		/* a reading without the controller keeps the last settings */
		if (!s.have_controller && w->now.have_controller) {
			s.gc = w->now.gc;
			s.heap_goal = w->now.heap_goal;
			s.have_controller = true;
		}
		if (w->have_prev) {
			rt_window_add(&w->window, &w->prev, &s.ms);
			w->window_reads++;
		}
		w->prev = s.ms;
		w->have_prev = true;
		w->now = s;
		w->have_now = true;
	}
	if (!cgroup_limit_read(w->t->pid, &w->cgroup)) {
		w->have_cgroup = true;
	} else if (!w->have_cgroup) {
		snprintf(w->cgroup_why, sizeof(w->cgroup_why), "%s", ht_last_error());
	}
}

bool runtime_watch_memory(const struct runtime_watch *w, struct rt_memory *out)
{
	if (!w->have_now || !w->have_smaps)
		return false;
	rt_memory_split(&w->now.classes, &w->now.ms, &w->smaps, out);
	return true;
}

void runtime_watch_probed(struct runtime_watch *w, uint64_t before, uint64_t after)
{
	int64_t offset = (int64_t)w->now.ms.numgc - (int64_t)after;

	w->probed = after;
	if (w->fresh && before == after && (!w->have_offset || offset < w->offset)) {
		w->have_offset = true;
		w->offset = offset;
	}
}

uint64_t runtime_watch_cycles(const struct runtime_watch *w)
{
	uint64_t read = w->have_now ? w->now.ms.numgc : 0;
	int64_t counted = (int64_t)w->probed + w->offset;

	if (!w->have_offset || counted < 0)
		return read;
	return (uint64_t)counted > read ? (uint64_t)counted : read;
}

void runtime_watch_figures(const struct runtime_watch *w, struct ht_figures *f)
{
	f->gc_cycles = w->window.cycles;
	f->gc_pause = w->window.pauses;
}

void runtime_watch_close(struct runtime_watch *w)
{
	runtime_state_close(&w->reader);
}
