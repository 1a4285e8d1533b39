/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * One OOM kill of a process heaptrace follows, as the post-mortem record
 * tells it (the JSON report's `oom`): the kernel's choice, the memory
 * cgroup's figures read at once, the victim's figures frozen at the kill
 * (read once more where it could still be read, else as of the last
 * interval) and the verdict.
 */
#ifndef HT_OOM_OOM_EVENT_H
#define HT_OOM_OOM_EVENT_H
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>
#include <sys/types.h>
#include "heaptrace.h"
#include "heap/page_stats.h"
#include "heap/runtime_watch.h"
#include "heap/smaps.h"
#include "oom/memcg.h"
#include "oom/oom_verdict.h"

/* The stop reason of a trace whose process the OOM killer ended. */
#define OOM_STOP_REASON "killed by the OOM killer"

struct oom_event {
	/* the kernel's, from oom:mark_victim */
	pid_t pid, tid, killer;
	uint32_t uid;			/* HT_OOM_UID_UNKNOWN when not passed */
	char comm[HT_COMM_LEN + 1];
	uint64_t chosen_ns;		/* CLOCK_MONOTONIC */
	struct timespec killed_at;	/* the same, on the wall clock */
	bool sigkill_seen;		/* a thread of it took the SIGKILL */
	uint64_t sigkill_ns;
	bool exited;			/* its trace ended with the process */
	bool traced;			/* false: a process heaptrace follows but had not attached to */
	/* its memory cgroup, read as the record arrived */
	struct memcg_figures cg;
	bool have_cg;
	/* the figures at the kill */
	uint64_t capture_delay_ns;	/* from the choice to heaptrace's reads */
	uint64_t figures_age_ns;	/* how old the maps were, when not read again */
	uint64_t heap_age_ns;		/* how old the page accounting was */
	unsigned pressure_reads;	/* reads tried at the cgroup's limit before the kill */
	bool reread_maps, reread_heap, reread_rss;
	bool maps_known;		/* every map is in the list (walked, or traced from the start) */
	struct smaps mem;
	bool have_mem;
	struct heap_stats heap;
	bool have_heap;
	/* the runtime watch's readings that a read of the dying process would
	 * replace (its cgroup then reads as the root's) */
	struct cgroup_limit rt_cgroup;
	bool rt_have_cgroup;
	struct rss_split rt_smaps;
	bool rt_have_smaps;
	struct oom_verdict verdict;
	/* the record: DIR/heaptrace-oom-PID-TIME (no extension), "" if none */
	char base[PATH_MAX];
	bool written;
	char error[512];		/* why it was not, "" if it was or none was asked for */
};

/* The kernel's facts of a kill (HT_REC_OOM_VICTIM) about process pid: the
 * victim, when, and its memory cgroup at that moment (from the record, or
 * from the cgroup's files where the kernel passed none). */
void oom_event_from_record(struct oom_event *ev, pid_t pid, const struct ht_oom_record *r);
#endif
