/* The ring buffer's consumer: what needs one record per event (the STW
 * reasons) is tallied here; everything else is aggregated in BPF. */
#ifndef HT_EVENTS_H
#define HT_EVENTS_H
#include <stdint.h>
#include "runtime_probes.h"

struct ring_buffer;
struct probes_bpf;

struct event_tally {
	__u64 events;
	__u64 stw_by_reason[STW_REASONS_MAX];
};

struct ring_buffer *events_open(struct probes_bpf *skel, struct event_tally *tally);
#endif
