/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* The ring buffer's consumer: what needs one record per event is handled
 * here (pause reasons, map growth with its stack); everything else is
 * counted in BPF. */
#ifndef HT_TRACE_CONSUMER_H
#define HT_TRACE_CONSUMER_H
#include <stdint.h>
#include "heap/gomap_tracker.h"
#include "gotables/runtime_probes.h"

struct ring_buffer;
struct probes_bpf;

struct event_tally {
	__u64 records;
	/* stops of the world by stwReason (Go 1.21+), the GC's and the others' */
	__u64 stw_by_reason[STW_REASONS_MAX];
	__u64 map_grows;
	__u64 map_assigns;
	struct map_tracker *maps;     /* told about every growth; may be NULL */
};

/* Records go to the tally of their process; tally_of returns NULL for a
 * process no longer traced (its records are dropped). */
struct consumer {
	struct ring_buffer *rb;
	struct event_tally *(*tally_of)(void *ctx, pid_t tgid);
	void (*on_exec)(void *ctx, pid_t tgid); /* host mode; may be NULL */
	/* the OOM watch's records (HT_REC_OOM_*, oom/oom_watch.h), of any
	 * process on the host; may be NULL */
	void (*on_oom)(void *ctx, const void *data, size_t len);
	void *ctx;
	__u64 orphans; /* records of no traced process */
};

int consumer_open(struct consumer *c, struct probes_bpf *skel, struct event_tally *(*tally_of)(void *ctx, pid_t tgid),
		  void *ctx);
/* Handles what the ring buffer holds now. */
void consumer_drain(struct consumer *c);
/* To wait on with poll(). */
int consumer_fd(const struct consumer *c);
void consumer_close(struct consumer *c);
#endif
