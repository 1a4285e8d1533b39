/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* The kernel's view of the target's memory, from /proc/PID/smaps_rollup. */
#ifndef HT_HEAP_SMAPS_H
#define HT_HEAP_SMAPS_H
#include <stdint.h>
#include <sys/types.h>

struct smaps {
	uint64_t rss, anon, lazyfree; /* bytes */
};

int smaps_read(pid_t pid, struct smaps *out);
/* One line of smaps_rollup into out (fields it does not know are skipped). */
void smaps_parse_line(const char *line, struct smaps *out);
#endif
