/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* --list-probes output: the plan as text or JSON. */
#ifndef HT_REPORT_PLAN_PRINT_H
#define HT_REPORT_PLAN_PRINT_H
#include <jansson.h>
#include <stdio.h>
#include "plan/probeplan.h"

void plan_print_text(FILE *out, const struct target *t, const struct probe_plan *plan);
json_t *plan_to_json(const struct target *t, const struct probe_plan *plan);
/* The report's "target" object, shared with the trace report. */
json_t *target_to_json(const struct target *t);
/* "0x..." strings for addresses, as the JSON schema wants them. */
json_t *json_addr(uint64_t a);
#endif
