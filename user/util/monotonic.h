/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* The one clock heaptrace measures time with: CLOCK_MONOTONIC, in ns. */
#ifndef HT_UTIL_MONOTONIC_H
#define HT_UTIL_MONOTONIC_H
#include <stdint.h>
#include <time.h>

static inline uint64_t monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}
#endif
