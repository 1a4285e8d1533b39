// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* What several unit tests need to run an outside checker (promtool, go tool
 * pprof, a JSON parser) on heaptrace's output. cmocka assertions: a failure
 * fails the calling test. */
#ifndef HT_TEST_RUN_CAPTURE_H
#define HT_TEST_RUN_CAPTURE_H
#include <stddef.h>

/* The whole file, NUL-terminated; its length in *len (may be NULL). */
char *test_read_file(const char *path, size_t *len);
/* Runs argv with `in` on its stdin; returns its exit status and, in *out,
 * what it printed on stdout and stderr. Files under dir rather than pipes:
 * no deadlock on large outputs. */
int test_run_capture(const char *dir, const char *const argv[], const char *in, size_t in_len, char **out);
#endif
