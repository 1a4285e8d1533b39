/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Files heaptrace writes or trusts while it runs as root on a host where
 * other users write too: a report never follows a symlink someone planted
 * and never fills a file that someone else owns; a cache is read only from
 * a directory and a file that only heaptrace's user can have written.
 */
#ifndef HT_UTIL_OUTFILE_H
#define HT_UTIL_OUTFILE_H
#include <stdbool.h>
#include <sys/types.h>

/* Opens PATH for writing a report (--json, --pprof): created with the
 * umask's mode, or an existing regular file of heaptrace's own user,
 * emptied; refused if the path goes through a symlink or names a file
 * another user owns. A descriptor, or -1 after ht_fail. */
int outfile_open(const char *path, const char *what);
/* The mode new files get: 0666 less the umask (read without changing it). */
mode_t outfile_mode(void);
/* Is fd a file or directory only heaptrace's user can have written (owned
 * by it, writable by no group or other)? A cache is trusted only then. */
bool outfile_private(int fd, bool dir);
#endif
