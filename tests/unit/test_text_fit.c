// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Names fitted to a terminal: import paths and generic shapes shortened,
 * then the middle cut, the function name and its line (or the last field)
 * kept whole; widths in characters, not bytes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "report/text_fit.h"

static const char *fit(const char *s, int w)
{
	static char buf[512];

	text_short_names(s, buf, sizeof(buf));
	text_fit_middle(buf, w);
	return buf;
}

static void test_short_names(void **state)
{
	char buf[256];

	text_short_names("github.com/nats-io/nats-server/v2/server.(*Server).processSub (/src/nats/server/client.go:2712)",
			 buf, sizeof(buf));
	assert_string_equal(buf, "server.(*Server).processSub (client.go:2712)");
	text_short_names("map[string]*github.com/a/b/pkg.T", buf, sizeof(buf));
	assert_string_equal(buf, "map[string]*pkg.T");
	text_short_names("main.fillEmpty[go.shape.int64,go.shape.string] (/x/main.go:75)", buf, sizeof(buf));
	assert_string_equal(buf, "main.fillEmpty[...] (main.go:75)");
	/* a map key is not a shape */
	text_short_names("main.nested[\"hot\"]", buf, sizeof(buf));
	assert_string_equal(buf, "main.nested[\"hot\"]");
}

static void test_fit_keeps_function_and_line(void **state)
{
	/* room enough: whole (the "main.(main.go:25)" is what not to do) */
	assert_string_equal(fit("main.(*store).put (/src/main.go:25)", 40), "main.(*store).put (main.go:25)");
	/* short of room: the middle goes, ".put (main.go:25)" stays */
	assert_string_equal(fit("main.(*store).put (/src/main.go:25)", 24), "main.(~.put (main.go:25)");
	assert_int_equal(strlen(fit("github.com/x/y/server.(*consumer).processAck (consumer.go:1234)", 40)), 40);
	assert_non_null(strstr(fit("github.com/x/y/server.(*consumer).processAck (consumer.go:1234)", 40),
			       ".processAck (consumer.go:1234)"));
	/* a holder keeps its last field */
	assert_string_equal(fit("held by main.registryOfEverything.sessionsByID", 24), "held by ma~.sessionsByID");
	/* narrower than the tail: its end, marked */
	assert_string_equal(fit("main.(*store).put (main.go:25)", 10), "~in.go:25)");
	assert_string_equal(fit("abc", 0), "");
}

static void test_widths_are_characters(void **state)
{
	char buf[64];
	FILE *f;
	char out[128] = "";

	assert_int_equal(text_width("héllo"), 5);
	snprintf(buf, sizeof(buf), "%s", "map[string]héllo.T.field");
	text_fit_middle(buf, 12);
	assert_int_equal(text_width(buf), 12);
	f = fmemopen(out, sizeof(out), "w");
	text_put_line(f, "ééééééééé", 5);
	fclose(f);
	assert_string_equal(out, "éééé~\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_short_names),
		cmocka_unit_test(test_fit_keeps_function_and_line),
		cmocka_unit_test(test_widths_are_characters),
	};

	return cmocka_run_group_tests_name("text_fit", tests, NULL, NULL);
}
