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
	pid_t tgid;		      /* the traced process: other records are not its */
	struct map_tracker *maps;     /* told about every growth; may be NULL */
};

struct ring_buffer *consumer_open(struct probes_bpf *skel, struct event_tally *tally);
#endif
