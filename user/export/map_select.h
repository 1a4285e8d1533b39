/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The followed maps that retain most, for the exports: what
 * map_tracker_top() returns, chosen without sorting every map (a heap of
 * the best `max`, O(n log max)), since the exports ask each interval for a
 * few out of possibly a hundred thousand.
 */
#ifndef HT_EXPORT_MAP_SELECT_H
#define HT_EXPORT_MAP_SELECT_H
#include <stdbool.h>
#include <stddef.h>
#include "heap/gomap_tracker.h"

/* Live maps (parsed, not freed) by retained bytes, largest first, ties by
 * address: fills out[0..max), returns the count. */
/* The order: more retained first, then the lower address. */
bool map_ranks_before(const struct tracked_map *a, const struct tracked_map *b);
size_t map_select_top(const struct map_tracker *mt, const struct tracked_map **out, size_t max);
#endif
