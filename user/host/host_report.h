/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* Host mode's reports: a line per process at the end, and the JSON report
 * with processes[] (each in the single-target schema, with its labels and
 * whether it still runs). */
#ifndef HT_HOST_HOST_REPORT_H
#define HT_HOST_HOST_REPORT_H
#include <stdio.h>
#include "host/host.h"

void host_report_text(FILE *out, const struct host *h);
int host_report_json(FILE *out, const struct host *h);
/* "N Go processes traced ..." for the live view's first line. */
void host_summary(const struct host *h, char *buf, size_t len);
#endif
