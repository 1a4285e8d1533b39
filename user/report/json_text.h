/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* A JSON string of text a target controls: bytes that are not UTF-8 become
 * U+FFFD (jansson refuses them, and a name must not turn into null); NULL
 * gives null. */
#ifndef HT_REPORT_JSON_TEXT_H
#define HT_REPORT_JSON_TEXT_H
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <jansson.h>
#include "util/textsafe.h"

static inline json_t *json_text(const char *s)
{
	size_t len;
	char *buf;
	json_t *j;

	if (!s)
		return json_null();
	if (utf8_valid(s))
		return json_string(s);
	len = 3 * strlen(s) + 1; /* each byte may become three */
	buf = malloc(len);
	if (!buf)
		return json_null();
	j = json_string(utf8_lossy(buf, len, s));
	free(buf);
	return j;
}

/* "2026-12-01T08:57:04.123Z": UTC, to the millisecond. */
static inline json_t *json_time(const struct timespec *ts)
{
	char buf[64];
	struct tm tm;

	gmtime_r(&ts->tv_sec, &tm);
	snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts->tv_nsec / 1000000);
	return json_string(buf);
}
#endif
