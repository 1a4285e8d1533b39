/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The map retention profile (design.md section 5): what --pprof writes at
 * the end of a trace and /debug/pprof/maps serves, for go tool pprof,
 * Pyroscope, Parca, Grafana Alloy and the OpenTelemetry Collector.
 *
 * Sample types maps/count, table_space/bytes, retained_space/bytes (the
 * default), period_type space/bytes, period 1: the values are exact, not
 * sampled. One sample per map for the 1,000 maps that retain most, with
 * string labels addr, type, verdict, site (when known) and numeric labels
 * live, peak and capacity (slots); the other maps are grouped by stack, type,
 * site and verdict, one sample per group without addr, its values and
 * numeric labels summed (maps/count says how many). Readers sum samples with
 * equal stacks, so -top shows totals per growth path; -raw and -tags keep
 * the samples apart. The grouping bounds what a heap of 100,000 maps costs
 * each interval.
 *
 * A map seen growing has its growth stack, without the runtime's own frames
 * at the leaf (mapassign, hashGrow...): the innermost frame is the code
 * that grew it. One Location per return address, its inlined frames as
 * Lines (leaf first). A map grown before heaptrace attached has one
 * synthetic frame naming what is known: the global variable that holds it
 * ("global main.cache"), else its type.
 */
#ifndef HT_EXPORT_RENDER_PPROF_H
#define HT_EXPORT_RENDER_PPROF_H
#include "export/pprof.h"
#include "report/report.h"

/* The profile of one target, ready for pprof_serialize / pprof_write_file;
 * NULL after ht_fail. The caller frees it with pprof_free. */
/* One profile of every target's maps (host mode: several, each sample
 * labelled with its pid). */
struct pprof_builder *render_pprof(const struct trace_snapshot *const *v, size_t n);
#endif
