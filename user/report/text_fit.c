// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include "report/text_fit.h"

static bool cont(unsigned char c)
{
	return (c & 0xc0) == 0x80;
}

int text_width(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += !cont((unsigned char)*s);
	return n;
}

/* The byte offset of column `col` in s (its length if s is shorter). */
static size_t byte_at(const char *s, int col)
{
	size_t i = 0;

	for (; s[i] && col > 0; col--)
		for (i++; s[i] && cont((unsigned char)s[i]); i++)
			;
	return i;
}

/* "[go.shape.int64,go.shape.string]" after a function's name: its type
 * arguments as the compiler's shapes, which a traceback prints "[...]". */
static const char *shape_args(const char *s)
{
	int depth = 0;
	const char *p;

	if (*s != '[')
		return NULL;
	for (p = s; *p; p++) {
		depth += *p == '[';
		depth -= *p == ']';
		if (!depth)
			break;
	}
	if (!*p)
		return NULL;
	return memmem(s, (size_t)(p - s), "go.shape.", 9) ? p + 1 : NULL;
}

void text_short_names(const char *s, char *buf, size_t len)
{
	size_t o = 0;
	const char *open = strstr(s, " (");

	if (!len)
		return;
	while (*s && o + 1 < len) {
		const char *slash = NULL, *p, *after = shape_args(s);

		if (after && o + 5 < len) {
			memcpy(buf + o, "[...]", 5);
			o += 5;
			s = after;
			continue;
		}

		/* a file name in parentheses keeps its base name */
		if (s == open) {
			const char *close = strchr(s, ')'), *base = s + 2;

			for (p = s + 2; *p && p != close; p++)
				if (*p == '/')
					base = p + 1;
			if (o + 2 < len) {
				buf[o++] = ' ';
				buf[o++] = '(';
			}
			s = base;
			open = NULL;
			continue;
		}
		/* a path runs to the next character that cannot be in one */
		for (p = s; *p && !strchr("[]*(), {}:\"", *p) && (!open || p < open); p++)
			if (*p == '/')
				slash = p;
		if (slash && slash > s) {
			s = slash + 1; /* keep from the last element on */
			continue;
		}
		buf[o++] = *s++;
	}
	buf[o] = '\0';
}

void text_fit_middle(char *s, int w)
{
	int width = text_width(s), keep_w, head_w;
	const char *paren = strstr(s, " ("), *end = paren ? paren : s + strlen(s), *q, *tail = s;
	char tailbuf[512];
	size_t hb;

	if (w < 1) {
		s[0] = '\0';
		return;
	}
	if (width <= w)
		return;
	/* the tail to keep: from the last '.' or '[' of the name on, outside
	 * brackets ("pkg.F[...]" keeps ".F[...]") */
	{
		int depth = 0;

		for (q = end; q > s; q--) {
			depth += q[-1] == ']';
			depth -= q[-1] == '[' && depth > 0;
			if (depth)
				continue;
			if ((q[-1] == '.' || (q[-1] == '[' && q[0] != '.')) && q - 1 > s) {
				tail = q - 1;
				break;
			}
		}
	}
	snprintf(tailbuf, sizeof(tailbuf), "%s", tail);
	keep_w = text_width(tailbuf);
	if (w < 3 || keep_w + 1 >= w) {
		/* no room for a start: the end of the tail */
		int drop = keep_w - (w - 1);
		size_t b = drop > 0 ? byte_at(tailbuf, drop) : 0;

		if (w < 2) {
			s[byte_at(s, w)] = '\0';
			return;
		}
		memmove(s + 1, tailbuf + b, strlen(tailbuf + b) + 1);
		s[0] = '~';
		return;
	}
	head_w = w - keep_w - 1;
	hb = byte_at(s, head_w);
	s[hb] = '~';
	memmove(s + hb + 1, tailbuf, strlen(tailbuf) + 1);
}

void text_put_line(FILE *out, const char *line, int width)
{
	if (width > 0 && text_width(line) > width)
		fprintf(out, "%.*s~\n", (int)byte_at(line, width - 1), line);
	else
		fprintf(out, "%s\n", line);
}
