/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* What says which service a process is: its executable, comm, and, in a
 * container, the container's full ID and the Kubernetes pod's UID, read from
 * /proc/PID/cgroup as Docker, containerd, CRI-O and Podman name their
 * cgroups (cgroup v1 and v2, cgroupfs and systemd drivers). */
#ifndef HT_TARGET_LABELS_H
#define HT_TARGET_LABELS_H
#include <limits.h>
#include <stddef.h>
#include <sys/types.h>

#define CONTAINER_ID_LEN 64
#define POD_UID_LEN 36

struct proc_labels {
	char comm[32];
	char container_id[CONTAINER_ID_LEN + 1]; /* "" outside a container */
	char pod_uid[POD_UID_LEN + 1];		 /* "" outside a pod */
	char cgroup[256];			 /* the unified (or first) cgroup path */
};

/* Fills l from /proc/PID/comm and /proc/PID/cgroup; fails if the process is gone. */
int proc_labels_read(pid_t pid, struct proc_labels *l);
/* The container ID and pod UID in the text of a /proc/PID/cgroup file
 * (the innermost ones when several lines name some). */
void cgroup_ids(const char *text, struct proc_labels *l);
#endif
