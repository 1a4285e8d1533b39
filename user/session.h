/* One trace of one process: attach, watch, detach, report. */
#ifndef HT_SESSION_H
#define HT_SESSION_H
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include "heaptrace.h"
#include "target/target.h"

struct session_opts {
	uint64_t duration_ns; /* 0: until Ctrl-C or the target exits */
	uint64_t interval_ns;
	bool quiet;
	FILE *json_out;	      /* NULL: no JSON report */
	FILE *out;	      /* live view and text report */
	const char *btf_path;
	uint32_t ringbuf_bytes;
	bool launched;	      /* target is our stopped child: release it once attached */
	enum ht_tier max_tier; /* HT_TIER_WARM by default; HOT with --hot */
	double max_overhead_pct; /* --max-overhead, of one CPU; 0: none */
};

/* Set from the SIGINT/SIGTERM handler. */
extern volatile sig_atomic_t session_stop_signal;

/* Returns 0, or -1 with ht_last_error() set. Detaches everything it attached
 * on every path. */
int session_run(const struct session_opts *o, struct target *t);
#endif
