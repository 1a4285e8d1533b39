/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The runtime's own state over one trace: the reader's latest reading
 * (history since start, settings, memory classes), the collections of the
 * traced window counted from successive readings, the kernel's view of
 * RSS by mapping, and the cgroup's memory limit. The session ticks it each
 * interval; the views read it (runtime_report.h).
 */
#ifndef HT_HEAP_RUNTIME_WATCH_H
#define HT_HEAP_RUNTIME_WATCH_H
#include <stdbool.h>
#include "heap/rss_split.h"
#include "heap/smaps.h"
#include "heap/runtime_split.h"
#include "heap/runtime_state.h"
#include "target/cgroup_limit.h"

struct runtime_watch {
	struct runtime_state_reader reader;
	const struct target *t;
	struct runtime_state now;	/* the latest reading that succeeded */
	bool have_now;
	bool fresh;			/* `now` is the last tick's own reading */
	struct rt_memstats prev;	/* the reading the window goes on from */
	bool have_prev;
	struct rt_window window;	/* collections since the trace began */
	uint64_t window_reads;		/* readings that added to it */
	struct rss_split smaps;
	bool have_smaps;
	struct cgroup_limit cgroup;
	bool have_cgroup;
	char cgroup_why[256];
	int thp_max_ptes_none;		/* -1: unknown */
	char thp_enabled[16];		/* "" when unknown */
	/* With probes: numgc less the probes' count, the least any reading
	 * gave (runtime_watch_cycles), and the probes' count last told */
	bool have_offset;
	int64_t offset;
	uint64_t probed;
};

/* launched: the program starts under heaptrace, so the window counts from
 * its first collection; otherwise from the first reading. */
void runtime_watch_open(struct runtime_watch *w, const struct target *t, bool launched);
/* Reads the runtime's state and the cgroup's limit. */
void runtime_watch_tick(struct runtime_watch *w);
/* Reads /proc/PID/smaps: where RSS goes, and the whole (rss, anon,
 * LazyFree: what smaps_rollup says, from the same one walk of the
 * process's page tables, which is what a read of either costs). False when
 * the process is gone. */
bool runtime_watch_sample_memory(struct runtime_watch *w, struct smaps *out);
/* The RSS split, when both the classes and smaps were read. */
bool runtime_watch_memory(const struct runtime_watch *w, struct rt_memory *out);
/* With probes: the collections the probes counted (ht_figures.gc_cycles)
 * just before and just after runtime_watch_tick(); when equal, that
 * reading tells how many collections came before the probes did. */
void runtime_watch_probed(struct runtime_watch *w, uint64_t before, uint64_t after);
/* The collections since the process started: what the probes counted plus
 * those before them, exact also after the process has gone (its last
 * collections came after the last reading); else the last reading's
 * numgc. The runtime counts a collection (numgc) a little before the probe
 * sees it end: a reading that falls in between counts one too many, never
 * too few, so the least of the readings' differences is the one. */
uint64_t runtime_watch_cycles(const struct runtime_watch *w);
/* --no-probes: the window's collections as the GC figures (cycles, one
 * pause per collection as the runtime records it). */
void runtime_watch_figures(const struct runtime_watch *w, struct ht_figures *f);
void runtime_watch_close(struct runtime_watch *w);
#endif
