/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Strings a target controls (its file name, its function, file and type
 * names, its cgroup) made safe for where they go: a terminal or a journal
 * must not receive control characters (a forged log line, an escape
 * sequence), and JSON, Prometheus labels and pprof strings must be UTF-8.
 */
#ifndef HT_UTIL_TEXTSAFE_H
#define HT_UTIL_TEXTSAFE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* For a terminal or a log: control characters (C0, DEL, C1) and bytes that
 * are not UTF-8 become "\xNN"; the rest is copied. Always terminated;
 * truncated to len. Returns dst. */
char *text_escape(char *dst, size_t len, const char *src);
/* The same into one of a few buffers of this thread, for printf
 * arguments: valid until TEXT_SAFE_SLOTS more calls (1 KiB at most each). */
#define TEXT_SAFE_SLOTS 16
const char *tsafe(const char *s);
/* For JSON, labels and pprof: invalid UTF-8 replaced by U+FFFD. Always
 * terminated; truncated to len at a character boundary. Returns dst. */
char *utf8_lossy(char *dst, size_t len, const char *src);
/* Is s valid UTF-8 (no replacement needed)? */
bool utf8_valid(const char *s);
/* The length of the UTF-8 character at s, within n bytes (1-4), or 0 if it
 * is not one: no overlong forms, no surrogates, nothing past U+10FFFF. */
size_t utf8_char_len(const unsigned char *s, size_t n, uint32_t *cp);
#endif
