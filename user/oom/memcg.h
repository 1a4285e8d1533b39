/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * A process's memory cgroup as the OOM killer saw it: which cgroup's
 * limit it reached (its own or an ancestor's: a Kubernetes pod's limit is
 * on the pod's cgroup, the container's on its own), that limit, the usage,
 * the peak, how often the limit was hit and how many OOM kills the cgroup
 * counts.
 *
 * The figures at the kill come with the kernel's record (oom.bpf.c reads
 * the page counters of the victim's cgroup and its parents as it chooses):
 * a moment later the usage falls with the victim's memory, and
 * /proc/PID/cgroup no longer names its cgroup. The cgroup's files add its
 * OOM kill count: cgroup v1 (memory.limit_in_bytes, usage_in_bytes,
 * max_usage_in_bytes, failcnt, oom_control) and v2 (memory.max, current,
 * peak, events); they are also the fallback where the kernel's record has
 * no cgroup (a tracepoint that passes the pid alone). Every file read is
 * bounded; a figure that could not be read is absent (have_* false),
 * never 0.
 */
#ifndef HT_OOM_MEMCG_H
#define HT_OOM_MEMCG_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "heaptrace.h"

#define MEMCG_PATH_LEN 512
/* Levels read from the process's cgroup up to the hierarchy's root. */
#define MEMCG_MAX_DEPTH 32

/* One cgroup's figures. */
struct memcg_level {
	bool have_limit, have_usage, have_peak, have_failcnt, have_oom_kills;
	bool unlimited;		/* the limit file says no limit ("max", or v1's huge value) */
	uint64_t limit, usage, peak, failcnt, oom_kills;
};

struct memcg_figures {
	int version;			/* 1 or 2; 0: no memory cgroup found (why says) */
	char cgroup[MEMCG_PATH_LEN];	/* the process's, as /proc/PID/cgroup names it */
	char limited[MEMCG_PATH_LEN];	/* whose figures follow: the cgroup whose limit was
					 * reached, else the nearest with a limit, else the
					 * process's own */
	struct memcg_level at;		/* the figures of `limited` */
	bool limit_reached;		/* its usage or peak came within a slack of its limit */
	/* the lowest limit of the process's cgroup and its parents (0: none),
	 * and the file that holds it: what the report's memory.limits says */
	uint64_t lowest_limit;
	char lowest_file[MEMCG_PATH_LEN * 2];
	char why[256];			/* what could not be read, "" if nothing */
};

/* From the kernel's record: the figures at the kill, then the cgroup's
 * OOM kill count from its files. -1 after ht_fail when the record names
 * no memory cgroup (out->why says too). */
int memcg_from_kernel(const struct ht_oom_record *r, uint64_t page_size, struct memcg_figures *out);
/* Reads pid's memory cgroup from /proc/PID/cgroup and the cgroup's files
 * (this process's mountinfo says where they are); -1 after ht_fail when
 * there is none to read (out->why says too). */
int memcg_read(pid_t pid, struct memcg_figures *out);

/* The parts, for tests. */
/* The memory cgroup named by /proc/PID/cgroup's text: a v1 line whose
 * controllers include memory, else the v2 line ("0::"). Returns the
 * version (1, 2) or 0. */
int memcg_path_of(const char *proc_cgroup, char *path, size_t len);
/* Is this mountinfo line the memory hierarchy of `version`? Then its mount
 * point and the hierarchy path mounted there (its root). */
bool memcg_mount_of(const char *mountinfo_line, int version, char *mnt, size_t mlen, char *root, size_t rlen);
/* One cgroup directory's figures. */
void memcg_read_level(const char *dir, int version, struct memcg_level *lv);
/* From the process's level (levels[0]) up: picks the level whose figures
 * tell the kill; returns its index, *reached whether its limit was reached. */
int memcg_pick(const struct memcg_level *levels, int n, bool *reached);
/* The path of the record's level `from` (0: the victim's), from its names:
 * "/a/b", "/" for the root, ".../b" when the hierarchy was deeper than
 * the record. */
void memcg_kernel_path(const struct ht_oom_record *r, unsigned from, char *buf, size_t len);
#endif
