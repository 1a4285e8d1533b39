// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <stdio.h>
#include <string.h>
#include <bpf/libbpf.h>
#include "util/log.h"
#include "util/textsafe.h"

bool ht_verbose;
/* Per thread: the calibration thread fails and reports on its own. */
static __thread char last_error[1024];

/* One line on stderr: what the message holds of a target's names cannot
 * start a line of its own or move a terminal's cursor. */
static void say(const char *fmt, va_list ap)
{
	char msg[2048], safe[4 * sizeof(msg)];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	fprintf(stderr, "heaptrace: %s\n", text_escape(safe, sizeof(safe), msg));
}

void ht_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	say(fmt, ap);
	va_end(ap);
}

void ht_debug(const char *fmt, ...)
{
	va_list ap;

	if (!ht_verbose)
		return;
	va_start(ap, fmt);
	say(fmt, ap);
	va_end(ap);
}

int ht_fail(const char *fmt, ...)
{
	char buf[sizeof(last_error)];
	va_list ap;

	/* fmt may reference last_error itself (adding context): format aside. */
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	memcpy(last_error, buf, sizeof(buf));
	return -1;
}

int ht_fail_sticky(int *sticky, const char *prefix, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	*sticky = -1;
	return ht_fail("%s: %s", prefix, msg);
}

const char *ht_last_error(void)
{
	return last_error[0] ? last_error : "unknown error";
}

/* Per thread: libbpf calls its print callback in the thread that called it. */
static __thread bool libbpf_quiet;

void ht_libbpf_quiet(bool quiet)
{
	libbpf_quiet = quiet;
}

int ht_libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG && !ht_verbose)
		return 0;
	if ((level != LIBBPF_WARN || libbpf_quiet) && !ht_verbose)
		return 0;
	return vfprintf(stderr, fmt, ap);
}
