// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The programs that read heaptrace's exports, run on them: Debian's
 * promtool, prometheus_client's OpenMetrics parser, go tool pprof. Failures fail the
 * calling cmocka test, with the text. dir: a scratch directory. */
#ifndef HT_TEST_EXPORT_READERS_H
#define HT_TEST_EXPORT_READERS_H
#include <stddef.h>

/* `promtool check metrics` passes with nothing to say. */
void check_prometheus_text(const char *dir, const char *text, size_t len);
/* promtool parses it and the OpenMetrics parser accepts it; returns the
 * parser's view, a line a family: "NAME TYPE UNIT SAMPLES" (free it). */
char *check_openmetrics_text(const char *dir, const char *text, size_t len);
/* `go tool pprof OPTION [OPTION2] PROFILE` ($HT_GO's) exits 0; returns
 * what it printed (free it). option2 may be NULL. */
char *check_pprof_view(const char *dir, const char *profile, const char *option, const char *option2);
#endif
