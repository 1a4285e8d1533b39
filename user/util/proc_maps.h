/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* /proc/PID/maps, the one parser: which mapping holds an address, where a
 * file is mapped. */
#ifndef HT_UTIL_PROC_MAPS_H
#define HT_UTIL_PROC_MAPS_H
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct proc_mapping {
	uint64_t start, end, offset, inode;
	unsigned dev_major, dev_minor;
	char perms[5];
};

/* Calls fn for each mapping of pid (0: this process) until it returns true;
 * false if the file cannot be read or nothing matched. */
bool proc_maps_find(pid_t pid, bool (*fn)(void *ctx, const struct proc_mapping *m), void *ctx,
		    struct proc_mapping *found);
/* One line of /proc/PID/maps; false if it is not a mapping's line. */
bool proc_maps_parse_line(const char *line, struct proc_mapping *m);
/* The file offset of one of heaptrace's own instructions. */
int own_file_offset(const void *p, uint64_t *off);
#endif
