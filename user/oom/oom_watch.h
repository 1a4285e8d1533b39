/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The OOM watch (bpf/oom.bpf.c): the OOM killer's choices and the SIGKILLs
 * that follow, as records in the tracer's ring buffer (HT_REC_OOM_VICTIM,
 * HT_REC_OOM_SIGKILL), and a traced process reclaiming at its memory
 * cgroup's limit (HT_REC_OOM_PRESSURE, at most 4 a second each), for the
 * consumer's on_oom hook. Host-wide: the consumer tells the traced
 * processes' kills from the others.
 */
#ifndef HT_OOM_OOM_WATCH_H
#define HT_OOM_OOM_WATCH_H
#include <stdbool.h>
#include <stdint.h>

struct oom_bpf;
struct bpf_link;

/* Off, on where the kernel allows it, or required (--postmortem-dir). */
enum oom_watch_mode { OOM_WATCH_OFF = 0, OOM_WATCH_TRY, OOM_WATCH_REQUIRED };

struct oom_watch {
	struct oom_bpf *skel;
	struct bpf_link *victim, *sigkill;
	struct bpf_link *pressure; /* NULL where the kernel lacks the tracepoint */
};

/* Loads and attaches, sending records to the ring buffer events_fd; a
 * traced process is one in the figures map figures_fd (probes.bpf.c's).
 * -1 after ht_fail, with nothing left loaded. */
int oom_watch_open(struct oom_watch *w, int events_fd, int figures_fd);
bool oom_watch_on(const struct oom_watch *w);
/* Records the ring buffer had no room for. */
uint64_t oom_watch_lost(const struct oom_watch *w);
void oom_watch_close(struct oom_watch *w);
#endif
