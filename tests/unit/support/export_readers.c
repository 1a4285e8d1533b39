// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "export_readers.h"
#include "run_capture.h"

#define PROMTOOL "/usr/bin/promtool"
#define PYTHON "/usr/bin/python3" /* Debian's, with python3-prometheus-client */

void check_prometheus_text(const char *dir, const char *text, size_t len)
{
	const char *argv[] = { PROMTOOL, "check", "metrics", NULL };
	char *out;
	int rc = test_run_capture(dir, argv, text, len, &out);

	if (rc || *out)
		fail_msg("promtool check metrics: exit %d:\n%s\n--- on:\n%s", rc, out, text);
	free(out);
}

/*
 * promtool 2.42 lints with the 0.0.4 parser even for OpenMetrics: it parses
 * the text (exit 1 on a syntax error) but takes a counter's _total sample
 * for an untyped family and says it has "no help text". That, and only
 * that, is expected; prometheus_client's OpenMetrics parser, which checks
 * # EOF, # UNIT against the name, _total and histogram buckets, must accept
 * the text outright.
 */
char *check_openmetrics_text(const char *dir, const char *text, size_t len)
{
	const char *promtool[] = { PROMTOOL, "check", "metrics", NULL };
	const char *python[] = { PYTHON, "-c",
				 "import sys\n"
				 "from prometheus_client.openmetrics.parser import text_string_to_metric_families as p\n"
				 "for f in p(sys.stdin.read()):\n"
				 "    print(f.name, f.type, f.unit, len(f.samples))\n",
				 NULL };
	char *out, *line, *save = NULL;
	int rc = test_run_capture(dir, promtool, text, len, &out);

	if (rc != 0 && rc != 3)
		fail_msg("promtool check metrics: exit %d:\n%s", rc, out);
	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (!strstr(line, "_total no help text"))
			fail_msg("promtool: unexpected problem: %s\n--- on:\n%s", line, text);
	free(out);
	rc = test_run_capture(dir, python, text, len, &out);
	if (rc)
		fail_msg("OpenMetrics parser: exit %d:\n%s\n--- on:\n%s", rc, out, text);
	return out;
}

char *check_pprof_view(const char *dir, const char *profile, const char *option, const char *option2)
{
	const char *go = getenv("HT_GO");
	const char *argv[] = { go && *go ? go : "/usr/local/go/bin/go", "tool", "pprof", option,
			       option2 ? option2 : profile, option2 ? profile : NULL, NULL };
	char *out;
	int rc = test_run_capture(dir, argv, "", 0, &out);

	if (rc)
		fail_msg("go tool pprof %s%s%s: exit %d:\n%s", option, option2 ? " " : "", option2 ? option2 : "", rc,
			 out);
	return out;
}
