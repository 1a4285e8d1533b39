/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * A writer for the Prometheus text exposition format 0.0.4 and for
 * OpenMetrics 1.0 text, into a growable buffer. It knows the two formats'
 * rules (names, label escaping, counters' _total, # UNIT, # EOF, histogram
 * buckets), not heaptrace's metric names: callers name families as in
 * design.md section 5, counters with their _total.
 *
 *	struct metrics_writer w;
 *	metrics_writer_init(&w, METRICS_OPENMETRICS);
 *	metrics_common_labels(&w, target_labels, 1);   // pid on every series
 *	metrics_family(&w, "heaptrace_gc_cycles_total", METRICS_COUNTER, "GC cycles.", NULL);
 *	metrics_sample_u64(&w, NULL, 0, cycles);
 *	metrics_family(&w, "heaptrace_gc_pause_seconds", METRICS_HISTOGRAM, "...", "seconds");
 *	metrics_histogram(&w, NULL, 0, &stw_hist);
 *	if (metrics_finish(&w, &body, &len))   // the first error of any call
 *		... ht_last_error() ...
 *
 * Errors are sticky: after the first failure every call returns -1 and does
 * nothing, so a renderer can check once, at metrics_finish().
 */
#ifndef HT_EXPORT_METRICS_TEXT_H
#define HT_EXPORT_METRICS_TEXT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>
#include "heaptrace.h"

enum metrics_format {
	METRICS_PROMETHEUS,	/* text/plain; version=0.0.4 */
	METRICS_OPENMETRICS,	/* application/openmetrics-text; version=1.0.0 */
};

enum metrics_type {
	METRICS_COUNTER,	/* name must end in _total */
	METRICS_GAUGE,
	METRICS_HISTOGRAM,	/* classic buckets from a log2 ns histogram, in seconds */
	METRICS_INFO,		/* name ends in _info; written as a gauge of value 1 */
};

struct metrics_label {
	const char *name, *value;
};

/* The buckets every histogram series has, whatever its values: le = 2^k ns
 * for k in [FIRST, LAST] (1.024us .. 34.4s), then +Inf. Slots below 2^FIRST
 * ns fold into the first bucket; slots from 2^LAST ns on only reach +Inf. */
#define METRICS_LE_FIRST_LOG2 10
#define METRICS_LE_LAST_LOG2 35

struct metrics_writer {
	enum metrics_format format;
	char *buf;
	size_t len, cap;
	int err;			/* sticky: -1 after the first failure */
	/* the family being written */
	char family[128];		/* sample name (counters: with _total) */
	enum metrics_type type;
	bool in_family;
	const struct metrics_label *common;
	size_t ncommon;
};

int metrics_writer_init(struct metrics_writer *w, enum metrics_format format);
/* Frees the buffer unless metrics_finish() handed it over. */
void metrics_writer_free(struct metrics_writer *w);

/* Labels put first on every following sample (pid, exe... of the target),
 * until called again. The array must outlive those calls. */
void metrics_common_labels(struct metrics_writer *w, const struct metrics_label *labels, size_t n);

/* Starts a family: its metadata lines. unit (e.g. "bytes", "seconds") may be
 * NULL; when set the name (without _total) must end in "_<unit>". help is
 * required: promtool flags a family without it. */
int metrics_family(struct metrics_writer *w, const char *name, enum metrics_type type, const char *help,
		   const char *unit);

/* One sample of the current counter, gauge or info family. */
int metrics_sample(struct metrics_writer *w, const struct metrics_label *labels, size_t n, double value);
int metrics_sample_u64(struct metrics_writer *w, const struct metrics_label *labels, size_t n, uint64_t value);

/* One series of the current histogram family: cumulative _bucket{le} (see
 * METRICS_LE_*), _sum in seconds, _count = the +Inf bucket. */
int metrics_histogram(struct metrics_writer *w, const struct metrics_label *labels, size_t n,
		      const struct ht_hist *h);

/* Ends the exposition (OpenMetrics: "# EOF") and hands the NUL-terminated
 * text to the caller, who frees it. Returns the first error of any call. */
int metrics_finish(struct metrics_writer *w, char **text, size_t *len);

/* The Content-Type header value of a format. */
const char *metrics_content_type(enum metrics_format format);
/* The format an HTTP Accept header asks for: OpenMetrics when it accepts
 * application/openmetrics-text at least as much as text/plain; 0.0.4 else
 * (and for a NULL or empty header). */
enum metrics_format metrics_negotiate(const char *accept);

/* A number as Go's strconv 'g' shortest form writes it, with ".0" added
 * when that has neither '.' nor exponent: OpenMetrics's canonical form for
 * "le" values, and a form both parsers accept anywhere. +Inf, -Inf, NaN. */
void metrics_format_double(char *buf, size_t len, double v);
#endif
