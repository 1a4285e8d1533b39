/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The memory limit of a process's cgroup: cgroup v2 memory.max or v1
 * memory.limit_in_bytes, the lowest of its cgroup and every ancestor's
 * (a parent's limit binds its children), found through /proc/PID/cgroup
 * and heaptrace's own mounts, or the target's own view of /sys/fs/cgroup
 * (/proc/PID/root) when heaptrace does not see its cgroup (a container of
 * its own, another cgroup namespace). Every file read is checked to be on
 * a cgroup file system, read bounded, and parsed strictly: the names of
 * cgroups are chosen by whoever made them.
 */
#ifndef HT_TARGET_CGROUP_LIMIT_H
#define HT_TARGET_CGROUP_LIMIT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct cgroup_limit {
	uint64_t bytes;	  /* 0: no limit */
	int version;	  /* 1 or 2; 0 when no memory controller was found */
	char file[1024];  /* the file the limit was read from */
};

/* From the text of /proc/PID/cgroup: the v1 memory controller's path and
 * the unified hierarchy's ("" when absent); false when neither is there or
 * a path is not a clean absolute path. */
bool cgroup_memory_paths(const char *text, char *v1, size_t v1len, char *v2, size_t v2len);
/* From the text of a mountinfo file: where the v1 memory hierarchy and the
 * v2 hierarchy are mounted and which cgroup is each mount's root. */
struct cgroup_mounts {
	char v1_dir[256], v1_root[256];
	char v2_dir[256], v2_root[256];
};
void cgroup_mounts_parse(const char *text, struct cgroup_mounts *out);
/* A limit file's content: "max" (v2) or a number; v1's "no limit" is the
 * largest page-aligned value, 2^63 - 4096; anything else is refused. */
bool cgroup_limit_value(const char *text, uint64_t *bytes);

/* The process's memory limit now; -1 with ht_last_error() when none of
 * its cgroup files could be read. */
int cgroup_limit_read(pid_t pid, struct cgroup_limit *out);
#endif
