/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* A JSON string of text a target controls: bytes that are not UTF-8 become
 * U+FFFD (jansson refuses them, and a name must not turn into null); NULL
 * gives null. */
#ifndef HT_REPORT_JSON_TEXT_H
#define HT_REPORT_JSON_TEXT_H
#include <stdlib.h>
#include <string.h>
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
#endif
