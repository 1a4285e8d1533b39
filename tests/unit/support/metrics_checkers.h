// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The programs that read heaptrace's metrics text, run on it: Debian's
 * promtool and prometheus_client's OpenMetrics parser. Failures fail the
 * calling cmocka test, with the text. dir: a scratch directory. */
#ifndef HT_TEST_METRICS_CHECKERS_H
#define HT_TEST_METRICS_CHECKERS_H
#include <stddef.h>

/* `promtool check metrics` passes with nothing to say. */
void check_prometheus_text(const char *dir, const char *text, size_t len);
/* promtool parses it and the OpenMetrics parser accepts it; returns the
 * parser's view, a line a family: "NAME TYPE UNIT SAMPLES" (free it). */
char *check_openmetrics_text(const char *dir, const char *text, size_t len);
#endif
