/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Host mode (--all): every Go process of the host, those running at start
 * (a scan of /proc) and those started later (an exec notification from the
 * kernel, with a slow rescan as the safety net), each in a session of its
 * own sharing one run (tracer, consumer, executable cache). Exits are seen
 * at once through each process's pidfd.
 */
#ifndef HT_HOST_HOST_H
#define HT_HOST_HOST_H
#include "target/labels.h"
#include "export/exporter.h"
#include "session.h"

struct host_opts {
	struct session_opts so; /* for every process (so.host is set) */
	const char *exe_glob;	   /* --exe: only executables whose path matches */
	const char *exclude_glob;  /* --exclude-exe */
	const char *cgroup_prefix; /* --cgroup: only processes whose cgroup path starts so */
	unsigned max_procs;	   /* --max-procs */
	uint64_t rescan_ns;	   /* the safety-net scan of /proc */
	uint64_t walk_budget_ns;   /* heap walks per process, and in all per tick */
	FILE *json_out;		   /* the report, processes[] */
	struct exporter_opts exports; /* for every process at once (so.exports is empty) */
};

/* Ended processes kept for the final report, the oldest forgotten first
 * (and counted: discovery.ended_dropped). */
#define HOST_DONE_KEEP 64

/* One process, traced or done. */
struct host_proc {
	struct session s;
	struct target t;
	struct proc_labels labels;
	unsigned long long starttime; /* /proc/PID/stat field 22: tells PID reuse */
	bool done;		      /* its trace ended and was finished */
	struct ht_figures prev;	      /* at the previous live view */
	uint64_t prev_ns;
	bool exited;		      /* its pidfd said so */
};

struct host_stats {
	uint64_t scans, execs_seen, attached, refused_max_procs, not_go, filtered, failed, ended;
	uint64_t ended_dropped;	       /* ended processes forgotten (the report keeps the last DONE_KEEP) */
	uint64_t exited_before_attach; /* gone between discovery and attach: nothing to trace */
	uint64_t attach_latency_max_ns; /* exec seen -> probes live */
};

struct host {
	const struct host_opts *o;
	struct run run;
	struct host_proc **procs; /* running first-come; done ones kept for the report (bounded) */
	int n, cap;
	pid_t *execs; /* exec notifications to handle after a drain */
	int nexecs, cap_execs;
	/* What the loop waits on: the ring buffer and every running process's
	 * pidfd, registered once (poll() over hundreds of pidfds at every
	 * wakeup was most of heaptrace's CPU beside idle processes). */
	int epfd;
	struct host_stats stats;
	uint64_t start;
	struct timespec started_at;
	struct exporter *exporter;
};

/* The whole run: returns 0, or -1 with ht_last_error() set when it could
 * not start. */
int host_run(const struct host_opts *o);
#endif
