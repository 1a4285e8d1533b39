// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Prometheus text 0.0.4 and OpenMetrics 1.0 text, the rules both parsers
 * (Prometheus's scraper, promtool, client libraries) enforce:
 * - names [a-zA-Z_:][a-zA-Z0-9_:]*, label names [a-zA-Z_][a-zA-Z0-9_]*,
 *   "__" reserved; label values UTF-8 with \\, \" and \n escaped;
 * - OpenMetrics names a counter family without _total and its sample with
 *   it, puts TYPE, UNIT, HELP in that order and ends with "# EOF"; 0.0.4 has
 *   no UNIT and names the counter family by its sample;
 * - a histogram's series all have the same le set, cumulative, ending in
 *   +Inf, whose count equals _count.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "util/log.h"
#include "util/textsafe.h"
#include "export/metrics_text.h"

static const char TOTAL[] = "_total";

#define wfail(w, ...) ht_fail_sticky(&(w)->err, "metrics", __VA_ARGS__)

static int reserve(struct metrics_writer *w, size_t more)
{
	size_t cap = w->cap ? w->cap : 4096;
	char *p;

	if (w->len + more + 1 <= w->cap)
		return 0;
	while (cap < w->len + more + 1)
		cap *= 2;
	p = realloc(w->buf, cap);
	if (!p)
		return wfail(w, "out of memory for a %zu-byte exposition", cap);
	w->buf = p;
	w->cap = cap;
	return 0;
}

static void put(struct metrics_writer *w, const char *s, size_t n)
{
	if (w->err || reserve(w, n))
		return;
	memcpy(w->buf + w->len, s, n);
	w->len += n;
	w->buf[w->len] = '\0';
}

static void puts_(struct metrics_writer *w, const char *s)
{
	put(w, s, strlen(s));
}

static void putf(struct metrics_writer *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void putf(struct metrics_writer *w, const char *fmt, ...)
{
	char small[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0) {
		wfail(w, "cannot format \"%s\"", fmt);
		return;
	}
	if ((size_t)n < sizeof(small)) {
		put(w, small, (size_t)n);
		return;
	}
	if (w->err || reserve(w, (size_t)n))
		return;
	va_start(ap, fmt);
	vsnprintf(w->buf + w->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	w->len += (size_t)n;
}

/* Length of the valid UTF-8 sequence at s (at most n bytes), 0 if invalid. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	uint32_t cp;

	return utf8_char_len(s, n, &cp);
}

/* A label value or HELP text, escaped; bytes that are not UTF-8 (an exe path
 * can hold any) become U+FFFD, which both parsers require. 0.0.4 HELP text
 * escapes no double quote. */
static void put_escaped(struct metrics_writer *w, const char *s, bool quote)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), k;

	while (n) {
		if (*p == '\\' || *p == '\n' || (*p == '"' && quote)) {
			put(w, *p == '\\' ? "\\\\" : *p == '\n' ? "\\n" : "\\\"", 2);
			k = 1;
		} else if ((k = utf8_len(p, n))) {
			put(w, (const char *)p, k);
		} else {
			put(w, "\xef\xbf\xbd", 3);
			k = 1;
		}
		p += k;
		n -= k;
	}
}

static bool valid_name(const char *s, bool colon)
{
	const char *p;

	if (!*s)
		return false;
	for (p = s; *p; p++) {
		bool alpha = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || *p == '_' || (colon && *p == ':');

		if (!alpha && (p == s || *p < '0' || *p > '9'))
			return false;
	}
	return true;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && !strcmp(s + n - m, suffix);
}

int metrics_writer_init(struct metrics_writer *w, enum metrics_format format)
{
	memset(w, 0, sizeof(*w));
	w->format = format;
	return reserve(w, 0);
}

void metrics_writer_free(struct metrics_writer *w)
{
	free(w->buf);
	w->buf = NULL;
	w->len = w->cap = 0;
}

void metrics_common_labels(struct metrics_writer *w, const struct metrics_label *labels, size_t n)
{
	w->common = labels;
	w->ncommon = n;
}

/* Checks what both parsers and promtool reject, so that the mistake shows in
 * heaptrace's own tests rather than in a user's scrape errors. */
static int check_family(struct metrics_writer *w, const char *name, enum metrics_type type, const char *help,
			const char *unit)
{
	size_t n = strlen(name);

	if (n >= sizeof(w->family) || !valid_name(name, true))
		return wfail(w, "invalid metric name \"%s\"", name);
	if (!help || !*help)
		return wfail(w, "%s has no HELP text", name);
	if ((type == METRICS_COUNTER) != ends_with(name, TOTAL))
		return wfail(w, "%s: counters, and only counters, end in _total", name);
	if (type == METRICS_INFO && !ends_with(name, "_info"))
		return wfail(w, "%s: an info metric's name ends in _info", name);
	if (ends_with(name, "_bucket") || ends_with(name, "_count") || ends_with(name, "_sum") ||
	    ends_with(name, "_created"))
		return wfail(w, "%s: the suffix is reserved for histograms, summaries and counters", name);
	if (unit) {
		size_t base = type == METRICS_COUNTER ? n - strlen(TOTAL) : n, u = strlen(unit);

		if (!valid_name(unit, false) || base <= u + 1 || strncmp(name + base - u, unit, u) ||
		    name[base - u - 1] != '_')
			return wfail(w, "%s: a family with unit \"%s\" is named ..._%s", name, unit, unit);
	}
	return 0;
}

int metrics_family(struct metrics_writer *w, const char *name, enum metrics_type type, const char *help,
		   const char *unit)
{
	/* OpenMetrics knows the counter family as the name without _total. */
	bool om = w->format == METRICS_OPENMETRICS;
	const char *tname = type == METRICS_COUNTER ? "counter" : type == METRICS_HISTOGRAM ? "histogram" : "gauge";
	int fam_len;

	if (w->err || check_family(w, name, type, help, unit))
		return -1;
	strcpy(w->family, name);
	w->type = type;
	w->in_family = true;
	fam_len = (int)(om && type == METRICS_COUNTER ? strlen(name) - strlen(TOTAL) : strlen(name));
	if (om) {
		putf(w, "# TYPE %.*s %s\n", fam_len, name, tname);
		if (unit)
			putf(w, "# UNIT %.*s %s\n", fam_len, name, unit);
	}
	putf(w, "# HELP %.*s ", fam_len, name);
	put_escaped(w, help, om);
	puts_(w, "\n");
	if (!om)
		putf(w, "# TYPE %s %s\n", name, tname);
	return w->err;
}

static int check_labels(struct metrics_writer *w, const struct metrics_label *l, size_t n)
{
	size_t i, j, all = w->ncommon + n;

	for (i = 0; i < all; i++) {
		const struct metrics_label *a = i < w->ncommon ? &w->common[i] : &l[i - w->ncommon];

		if (!a->name || !valid_name(a->name, false) || !strncmp(a->name, "__", 2) || !a->value)
			return wfail(w, "%s: invalid label name \"%s\"", w->family, a->name ? a->name : "(null)");
		if (w->type == METRICS_HISTOGRAM && !strcmp(a->name, "le"))
			return wfail(w, "%s: a histogram's own labels cannot include le", w->family);
		for (j = 0; j < i; j++) {
			const struct metrics_label *b = j < w->ncommon ? &w->common[j] : &l[j - w->ncommon];

			if (!strcmp(a->name, b->name))
				return wfail(w, "%s: label %s given twice", w->family, a->name);
		}
	}
	return 0;
}

/* name{common...,own...[,le="..."]} — the caller adds " value\n". */
static void put_series(struct metrics_writer *w, const char *suffix, const struct metrics_label *l, size_t n,
		       const char *le)
{
	size_t i, all = w->ncommon + n;

	puts_(w, w->family);
	puts_(w, suffix);
	if (!all && !le)
		return;
	puts_(w, "{");
	for (i = 0; i < all; i++) {
		const struct metrics_label *a = i < w->ncommon ? &w->common[i] : &l[i - w->ncommon];

		putf(w, "%s%s=\"", i ? "," : "", a->name);
		put_escaped(w, a->value, true);
		puts_(w, "\"");
	}
	if (le)
		putf(w, "%sle=\"%s\"", all ? "," : "", le);
	puts_(w, "}");
}

static int begin_sample(struct metrics_writer *w, const struct metrics_label *l, size_t n, bool histogram)
{
	if (w->err)
		return -1;
	if (!w->in_family)
		return wfail(w, "a sample before any metrics_family()");
	if ((w->type == METRICS_HISTOGRAM) != histogram)
		return wfail(w, "%s: %s sample in a %s family", w->family, histogram ? "a histogram" : "a plain",
			     histogram ? "plain" : "histogram");
	return check_labels(w, l, n);
}

int metrics_sample(struct metrics_writer *w, const struct metrics_label *labels, size_t n, double value)
{
	char v[40];

	if (begin_sample(w, labels, n, false))
		return -1;
	if (w->type == METRICS_COUNTER && !(value >= 0))
		return wfail(w, "%s: a counter cannot be negative or NaN", w->family);
	metrics_format_double(v, sizeof(v), value);
	put_series(w, "", labels, n, NULL);
	putf(w, " %s\n", v);
	return w->err;
}

int metrics_sample_u64(struct metrics_writer *w, const struct metrics_label *labels, size_t n, uint64_t value)
{
	if (begin_sample(w, labels, n, false))
		return -1;
	put_series(w, "", labels, n, NULL);
	putf(w, " %llu\n", (unsigned long long)value);
	return w->err;
}

int metrics_histogram(struct metrics_writer *w, const struct metrics_label *labels, size_t n,
		      const struct ht_hist *h)
{
	uint64_t cum = 0;
	char le[40], sum[40];
	int k, s = 0;

	if (begin_sample(w, labels, n, true))
		return -1;
	for (k = METRICS_LE_FIRST_LOG2; k <= METRICS_LE_LAST_LOG2; k++) {
		/* slot s counts [2^s, 2^(s+1)) ns: all of it is below le = 2^k ns when s < k */
		for (; s < k && s < HT_HIST_SLOTS; s++)
			cum += h->slots[s];
		metrics_format_double(le, sizeof(le), ldexp(1, k) / 1e9);
		put_series(w, "_bucket", labels, n, le);
		putf(w, " %llu\n", (unsigned long long)cum);
	}
	for (; s < HT_HIST_SLOTS; s++)
		cum += h->slots[s];
	/* _count is the slots' total, not h->count, so that it always equals +Inf. */
	put_series(w, "_bucket", labels, n, "+Inf");
	putf(w, " %llu\n", (unsigned long long)cum);
	metrics_format_double(sum, sizeof(sum), (double)h->sum_ns / 1e9);
	put_series(w, "_sum", labels, n, NULL);
	putf(w, " %s\n", sum);
	put_series(w, "_count", labels, n, NULL);
	putf(w, " %llu\n", (unsigned long long)cum);
	return w->err;
}

int metrics_finish(struct metrics_writer *w, char **text, size_t *len)
{
	if (w->format == METRICS_OPENMETRICS)
		puts_(w, "# EOF\n");
	if (w->err) {
		metrics_writer_free(w);
		return -1;
	}
	*text = w->buf;
	*len = w->len;
	w->buf = NULL;
	w->len = w->cap = 0;
	return 0;
}

const char *metrics_content_type(enum metrics_format format)
{
	return format == METRICS_OPENMETRICS ? "application/openmetrics-text; version=1.0.0; charset=utf-8"
					     : "text/plain; version=0.0.4; charset=utf-8";
}

/* n zeros, for the fixed form of a number. */
static const char *zeros(int n)
{
	static const char z[] = "0000000000";

	return z + sizeof(z) - 1 - (n > 0 ? n : 0);
}

void metrics_format_double(char *buf, size_t len, double v)
{
	char e[40], digits[20], *p;
	int prec, exp, nd, dp;

	if (isnan(v)) {
		snprintf(buf, len, "NaN");
		return;
	}
	if (isinf(v)) {
		snprintf(buf, len, v > 0 ? "+Inf" : "-Inf");
		return;
	}
	/* The fewest significant digits that read back as v (Go's shortest). */
	for (prec = 0; prec < 17; prec++) {
		snprintf(e, sizeof(e), "%.*e", prec, fabs(v));
		if (strtod(e, NULL) == fabs(v))
			break;
	}
	/* e is "D[.DDD]e[+-]XX": gather the digits and the exponent. */
	for (nd = 0, p = e; *p != 'e'; p++)
		if (*p != '.')
			digits[nd++] = *p;
	digits[nd] = '\0';
	exp = atoi(p + 1);
	dp = exp + 1; /* digits before the decimal point */
	p = buf;
	if (signbit(v) && len > 1) {
		*p++ = '-';
		len--;
	}
	/* Go's 'g' with the shortest precision: the exponent form when exp < -4
	 * or exp >= 6, so dp is in [-3, 6] in the fixed forms below. */
	if (exp < -4 || exp >= 6)
		snprintf(p, len, "%c%s%se%c%02d", digits[0], nd > 1 ? "." : "", digits + 1, exp < 0 ? '-' : '+', abs(exp));
	else if (dp <= 0)
		snprintf(p, len, "0.%s%s", zeros(-dp), digits);
	else if (dp >= nd)
		snprintf(p, len, "%s%s.0", digits, zeros(dp - nd));
	else
		snprintf(p, len, "%.*s.%s", dp, digits, digits + dp);
}

/* The q of one media range ("type/sub;a=b;q=0.5"), 1 when not given. */
static double media_q(const char *range, size_t n)
{
	const char *p = range, *end = range + n;

	while ((p = memchr(p, ';', (size_t)(end - p)))) {
		p++;
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		if (end - p > 2 && (p[0] == 'q' || p[0] == 'Q') && p[1] == '=')
			return strtod(p + 2, NULL);
	}
	return 1;
}

static bool media_is(const char *range, size_t n, const char *type)
{
	size_t t = strlen(type);

	while (n && (*range == ' ' || *range == '\t'))
		range++, n--;
	return n >= t && !strncasecmp(range, type, t) && (n == t || strchr(" \t;", range[t]));
}

enum metrics_format metrics_negotiate(const char *accept)
{
	double q_om = 0, q_text = 0, q;
	const char *p = accept, *end;
	size_t n;

	if (!accept)
		return METRICS_PROMETHEUS;
	for (; *p; p = *end ? end + 1 : end) {
		end = strchr(p, ',');
		if (!end)
			end = p + strlen(p);
		n = (size_t)(end - p);
		q = media_q(p, n);
		if (media_is(p, n, "application/openmetrics-text"))
			q_om = q > q_om ? q : q_om;
		else if (media_is(p, n, "text/plain") || media_is(p, n, "text/*") || media_is(p, n, "*/*"))
			q_text = q > q_text ? q : q_text;
	}
	return q_om > 0 && q_om >= q_text ? METRICS_OPENMETRICS : METRICS_PROMETHEUS;
}
