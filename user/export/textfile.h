/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Writing a file so that a reader sees the old content or the new one,
 * never a part: node_exporter's textfile collector reads *.prom files at any
 * moment, and a profile written at exit may be read while heaptrace ends.
 */
#ifndef HT_EXPORT_TEXTFILE_H
#define HT_EXPORT_TEXTFILE_H
#include <stddef.h>

/* Writes data to a temporary file beside path (PATH.XXXXXX, which the
 * collector ignores for not ending in .prom), fsyncs it, makes it mode 0644
 * whatever the umask, renames it over path and fsyncs the directory. A
 * symlink at path is replaced, not followed. On failure path is untouched,
 * the temporary file removed, and -1 returned after ht_fail(). */
int textfile_write(const char *path, const void *data, size_t len);
#endif
