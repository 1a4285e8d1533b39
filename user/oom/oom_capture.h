/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * An OOM kill of a traced process, from the kernel's record to the
 * post-mortem (a consumer of what the session keeps: no report code of
 * its own, a trigger and a writer):
 *
 * - at the record (oom:mark_victim, ~0.1 ms after the choice), the victim
 *   is read once more where it still can be (its maps, the runtime's page
 *   accounting, RSS), else its figures stay as of the last interval; then
 *   nothing more is read from its memory, which the kernel is taking
 *   away; its memory cgroup is read (limit, usage, peak); the verdict;
 * - at the end of its trace (the process gone, or heaptrace stopped), the
 *   record: the single-target report with `oom`, and its map profile,
 *   written to --postmortem-dir.
 */
#ifndef HT_OOM_OOM_CAPTURE_H
#define HT_OOM_OOM_CAPTURE_H
#include <stddef.h>
#include "heaptrace.h"
#include "session.h"

/* A traced process's reads at its memory cgroup's limit (session.oom_pressure). */
struct oom_pressure {
	unsigned reads;		/* records of it at the limit (each tries a read) */
	uint64_t heap_at;	/* its page accounting last read whole then (monotonic), 0: never */
	uint64_t maps_at;	/* its maps */
};

/* The consumer's on_oom for one target (-p): ctx is its session_group. */
void oom_on_record_sessions(void *ctx, const void *data, size_t len);
/* The victim's pid of an OOM record (HT_REC_OOM_*), found from the
 * thread's when the kernel passed that alone; 0 if unknown. */
pid_t oom_record_pid(const void *data, size_t len);
/* An OOM record about s's process. */
void oom_session_record(struct session *s, const void *data, size_t len);
/* At the end of s's trace, after its final reads: the figures at the kill
 * back in the snapshot, the record written (--postmortem-dir), and in host
 * mode the kill said. */
void oom_session_finish(struct session *s);
void oom_session_close(struct session *s);
#endif
