/* The live view: one screen a tick, what happened in the interval and in
 * total. Redraws in place on a terminal; plain blocks in a log file. */
#ifndef HT_REPORT_LIVE_VIEW_H
#define HT_REPORT_LIVE_VIEW_H
#include <stdbool.h>
#include <stdio.h>
#include "heap/page_stats.h"
#include "heap/gomap_tracker.h"
#include "trace/overhead.h"
#include "heap/smaps.h"
#include "trace/bpf_stats.h"
#include "target/target.h"

struct live_view {
	FILE *out;
	bool tty;
	struct stats prev;
};

void live_view_init(struct live_view *v, FILE *out);
/* m: the kernel's view now (zero if it could not be read); hs: the runtime's
 * page accounting (NULL if unknown); ovh: the probes' hits and estimated cost
 * over the interval. */
void live_view_tick(struct live_view *v, const struct target *t, const struct stats *now,
		    const struct smaps *m, const struct map_tracker *maps, const struct heap_stats *hs,
		    const struct overhead *ovh, uint64_t elapsed_ns);
#endif
