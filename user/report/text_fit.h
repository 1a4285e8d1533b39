/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* Names made to fit a terminal's columns without losing what identifies
 * them: import paths dropped, then the middle shortened, the function name
 * and line (or the last field) kept whole. Widths count characters (UTF-8
 * code points), not bytes. */
#ifndef HT_REPORT_TEXT_FIT_H
#define HT_REPORT_TEXT_FIT_H
#include <stddef.h>
#include <stdio.h>

/* Display columns of s (code points). */
int text_width(const char *s);
/* "github.com/a/b/pkg.(*T).m" -> "pkg.(*T).m": the last path element of
 * every qualified name in s; "pkg.F (/long/path/file.go:12)" -> "pkg.F
 * (file.go:12)". */
void text_short_names(const char *s, char *buf, size_t len);
/* Fits s (already short) into w columns in place: whole, or with "~"
 * where its middle was, keeping the end from its last '.' or '[' before
 * " (" (the function name and its file:line, or the last field) and as
 * much of the start as fits; w < 1 empties it. */
void text_fit_middle(char *s, int w);
/* Writes line to out cut to `width` columns (0: whole) with "~" at the cut. */
void text_put_line(FILE *out, const char *line, int width);
#endif
