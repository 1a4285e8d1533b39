/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * --postmortem-dir DIR: one record per OOM kill,
 * DIR/heaptrace-oom-PID-TIME.json and the map profile beside it,
 * DIR/heaptrace-oom-PID-TIME.pb.gz (TIME the kill's, UTC:
 * 20261206T085704.123Z, so that names sort as the kills happened). Each
 * file is written atomically (a temporary file beside it, renamed), and
 * the directory is bounded: after each record, the oldest records go until
 * at most POSTMORTEM_KEEP remain and they take at most POSTMORTEM_KEEP_BYTES
 * (the newest is always kept). Only files named as heaptrace names them
 * are counted or removed.
 */
#ifndef HT_OOM_POSTMORTEM_DIR_H
#define HT_OOM_POSTMORTEM_DIR_H
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <sys/types.h>

#define POSTMORTEM_KEEP 100
#define POSTMORTEM_KEEP_BYTES (64ull << 20)

/* Checks (and creates, one level, mode 0755) DIR before anything is
 * attached; -1 after ht_fail saying what to do. */
int postmortem_dir_check(const char *dir);
/* "DIR/heaptrace-oom-PID-TIME" (no extension); -1 if it does not fit. */
int postmortem_base(char *buf, size_t len, const char *dir, pid_t pid, const struct timespec *killed_at);
/* Writes BASE.pb.gz (when pb is not NULL) then BASE.json, so that the
 * JSON's appearance says the record is whole, then bounds the directory.
 * 0; -1 after ht_fail when the JSON could not be written; 1 after ht_fail
 * when it was and the profile could not be. */
int postmortem_write(const char *dir, const char *base, const void *json, size_t json_len, const void *pb,
		     size_t pb_len);

struct prune_result {
	unsigned kept, removed;
	uint64_t kept_bytes;
};
/* Removes the oldest records of DIR beyond max_records or max_bytes, never
 * `newest` (a base name without directory, or NULL). */
int postmortem_prune(const char *dir, unsigned max_records, uint64_t max_bytes, const char *newest,
		     struct prune_result *res);
/* Is `name` a file heaptrace writes there? Its base length (without the
 * extension), else 0. */
size_t postmortem_name_base(const char *name);
#endif
