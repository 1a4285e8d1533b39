/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* Text for the maps and the runtime's page accounting, shared by the live
 * view (a few lines) and the final report (a table). */
#ifndef HT_REPORT_GOMAP_REPORT_H
#define HT_REPORT_GOMAP_REPORT_H
#include <stdio.h>
#include "heap/page_stats.h"
#include "heap/gomap_tracker.h"

/* "maps      N followed ... retained X": one line, plus the top `top` maps;
 * width > 0 cuts lines to that many columns (with file names, not paths). */
void print_maps(FILE *out, const struct map_tracker *mt, size_t top, int width);
void print_pages_line(FILE *out, const struct heap_stats *h);
/* One line of advice when a map is marked retained (nothing otherwise). */
void print_maps_advice(FILE *out, const struct map_tracker *mt, int width);
#endif
