/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* What every session of one heaptrace run shares: the BPF tracer, the
 * per-hit cost, the ring-buffer consumer and the executable cache. */
#ifndef HT_RUN_H
#define HT_RUN_H
#include <pthread.h>
#include "exe_cache.h"
#include "oom/oom_watch.h"
#include "trace/consumer.h"
#include "trace/overhead.h"
#include "trace/tracer.h"

struct run {
	struct tracer tr;
	struct calibration cal;
	struct consumer cons;
	struct exe_cache exes;
	struct oom_watch oom;	/* the OOM killer's choices, when to.oom_watch asks */
	bool opened;
	bool no_bpf;	/* run_open_no_bpf: no loader, tracer, consumer or calibration */
	/* the loader thread and what it was given */
	pthread_t loader;
	bool loading;
	struct tracer_opts to;
	struct event_tally *(*tally_of)(void *ctx, pid_t tgid);
	void *ctx;
	int load_err;
	char load_why[1024];
};

/* Starts the fd closer and, on a thread of its own, loads BPF and opens
 * the consumer (records go to tally_of(ctx, tgid)): the caller analyses
 * the program meanwhile (r->exes, which needs neither). run_ready() waits
 * for the load and starts the calibration; it fails if the load did. On
 * failure run_close() is still to be called. */
int run_open(struct run *r, const struct tracer_opts *to, enum ht_tier max_tier,
	     struct event_tally *(*tally_of)(void *ctx, pid_t tgid), void *ctx);
int run_ready(struct run *r);
/* --no-probes: the executable cache alone; nothing of BPF is loaded (no
 * program, no map, no calibration), and run_ready() has nothing to wait for. */
int run_open_no_bpf(struct run *r, enum ht_tier max_tier);
void run_close(struct run *r);
#endif
