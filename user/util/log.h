/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* Messages to the user: one prefix, one place. */
#ifndef HT_UTIL_LOG_H
#define HT_UTIL_LOG_H
#include <stdarg.h>
#include <stdbool.h>
#include <bpf/libbpf.h>

extern bool ht_verbose;

/* "heaptrace: <message>" on stderr. */
void ht_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Only under -v. */
void ht_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Library code does not print: it records why it failed here and returns -1.
 * The caller adds context with ht_fail() again or prints ht_last_error().
 */
int ht_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
const char *ht_last_error(void);
/* The same, for objects whose errors are sticky (a writer, a builder):
 * sets *sticky to -1 and records "<prefix>: <message>". */
int ht_fail_sticky(int *sticky, const char *prefix, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* libbpf print callback: libbpf's own lines only under -v. */
/* While probing for kernel features, expected failures are not warnings. */
void ht_libbpf_quiet(bool quiet);
int ht_libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap);
#endif
