/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
#ifndef HT_UTIL_DURATION_H
#define HT_UTIL_DURATION_H
#include <stdint.h>
/* "250ms", "30s", "2m", "1h", or a bare number of seconds -> nanoseconds.
 * Rejects zero, negatives, garbage and overflow. */
int parse_duration(const char *s, uint64_t *ns);
#endif
