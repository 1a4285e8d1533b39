/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* The report's maps[] and maps_summary (schema 1; design.md sections 5
 * and 8): additions are fine, renames are not. */
#ifndef HT_REPORT_MAPS_JSON_H
#define HT_REPORT_MAPS_JSON_H
#include <jansson.h>
#include "heap/gomap_tracker.h"

json_t *maps_json(const struct map_tracker *mt);
json_t *heap_walk_json(const struct map_tracker *mt);
#endif
