/* The ring buffer's consumer: what needs one record per event is handled
 * here (STW reasons, map growth with its stack); everything else is
 * aggregated in BPF. */
#ifndef HT_TRACE_CONSUMER_H
#define HT_TRACE_CONSUMER_H
#include <stdint.h>
#include "heap/gomap_tracker.h"
#include "plan/runtime_probes.h"

struct ring_buffer;
struct probes_bpf;

struct event_tally {
	__u64 events;
	__u64 stw_by_reason[STW_REASONS_MAX];
	__u64 map_grows;
	const struct target *target;  /* for symbolizing stacks */
	struct map_tracker *maps;     /* told about every growth; may be NULL */
};

struct ring_buffer *events_open(struct probes_bpf *skel, struct event_tally *tally);
#endif
