/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* The one log2 histogram printer every view uses. */
#ifndef HT_REPORT_HIST_PRINT_H
#define HT_REPORT_HIST_PRINT_H
#include <stdio.h>
#include <linux/types.h>
#include "heaptrace.h"

/* "     low -> high     : count    |****    |", in the unit that fits,
 * empty slots at both ends trimmed. */
void hist_print(FILE *out, const struct ht_hist *h, const char *indent);
/* How many lines hist_print writes for h. */
int hist_print_rows(const struct ht_hist *h);
/* 1.5us, 230ms, 2.0s */
const char *fmt_ns(char *buf, size_t len, unsigned long long ns);
/* 512 B, 3.2 MiB */
const char *fmt_bytes(char *buf, size_t len, unsigned long long b);
#endif
