// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The exports' building blocks against the programs that read them:
 * promtool and prometheus_client's OpenMetrics parser for the exposition,
 * go tool pprof for profiles, a raw socket client for the HTTP server.
 * No root needed. A missing oracle fails the test: it never skips.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include "support/export_readers.h"
#include "support/run_capture.h"
#include "util/log.h"
#include "export/metrics_text.h"
#include "serve/http.h"
#include "serve/wire.h"
#include "export/listen.h"
#include "export/pprof.h"
#include "export/textfile.h"


static char tmpdir[] = "/tmp/ht-export-XXXXXX";

static int group_setup(void **state)
{
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int group_teardown(void **state)
{
	char cmd[64];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static bool contains(const char *haystack, const char *needle)
{
	if (!strstr(haystack, needle)) {
		print_error("--- not found: %s\n--- in:\n%s\n", needle, haystack);
		return false;
	}
	return true;
}

/* ---- exposition ---- */

static struct ht_hist hist_of(const int *slots, const uint64_t *counts, size_t n, uint64_t sum_ns)
{
	struct ht_hist h;
	size_t i;

	memset(&h, 0, sizeof(h));
	for (i = 0; i < n; i++) {
		h.slots[slots[i]] += counts[i];
		h.count += counts[i];
	}
	h.sum_ns = sum_ns;
	return h;
}

/* Every family shape the exports use, with the contract's names. */
static char *render(enum metrics_format format, size_t *len)
{
	static const struct metrics_label target[] = { { "pid", "4242" } };
	static const struct metrics_label info[] = { { "exe", "/srv/app \"blue\"\\x\n" }, { "go_version", "go1.26.8" },
						     { "map_impl", "swiss" } };
	static const struct metrics_label dontneed[] = { { "advice", "DONTNEED" } }, hugepage[] = { { "advice", "HUGEPAGE" } };
	static const struct metrics_label map[] = { { "addr", "0xc000123000" }, { "type", "map[string][]uint8" },
						    { "site", "main.(*cache).put" }, { "verdict", "retained" } };
	const int slots[] = { 3, 12, 20, 38 };
	const uint64_t counts[] = { 1, 4, 2, 1 };
	struct ht_hist stw = hist_of(slots, counts, 4, 40000123456ull), empty = hist_of(NULL, NULL, 0, 0);
	struct metrics_writer w;
	char *text;

	assert_int_equal(metrics_writer_init(&w, format), 0);
	metrics_common_labels(&w, target, 1);
	metrics_family(&w, "heaptrace_target_info", METRICS_INFO, "The traced process.", NULL);
	metrics_sample(&w, info, 3, 1);
	metrics_family(&w, "heaptrace_gc_cycles_total", METRICS_COUNTER,
		       "GC cycles completed while traced (go_gc_cycles_total_gc_cycles_total counts from start).", NULL);
	metrics_sample_u64(&w, NULL, 0, 7);
	metrics_family(&w, "heaptrace_gc_pause_seconds", METRICS_HISTOGRAM, "Stop-the-world pauses.", "seconds");
	metrics_histogram(&w, NULL, 0, &stw);
	metrics_family(&w, "heaptrace_madvise_bytes_total", METRICS_COUNTER, "Bytes passed to madvise, by advice.", "bytes");
	metrics_sample_u64(&w, dontneed, 1, 1ull << 40);
	metrics_sample_u64(&w, hugepage, 1, 0);
	metrics_family(&w, "heaptrace_madvise_seconds", METRICS_HISTOGRAM, "madvise latency, by advice.", "seconds");
	metrics_histogram(&w, dontneed, 1, &stw);
	metrics_histogram(&w, hugepage, 1, &empty);
	metrics_family(&w, "heaptrace_map_retained_bytes", METRICS_GAUGE, "Bytes a map holds beyond what it needs.",
		       "bytes");
	metrics_sample_u64(&w, map, 4, 3 << 20);
	metrics_family(&w, "heaptrace_overhead_cpu_ratio", METRICS_GAUGE, "Estimated probe cost, in CPUs.", NULL);
	metrics_sample(&w, NULL, 0, 0.0125);
	if (metrics_finish(&w, &text, len))
		fail_msg("render: %s", ht_last_error());
	return text;
}

static void test_prometheus_text_passes_promtool(void **state)
{
	size_t len;
	char *text = render(METRICS_PROMETHEUS, &len);

	check_prometheus_text(tmpdir, text, len);
	assert_true(contains(text, "# HELP heaptrace_gc_cycles_total GC cycles"));
	assert_true(contains(text, "# TYPE heaptrace_gc_cycles_total counter\nheaptrace_gc_cycles_total{pid=\"4242\"} 7\n"));
	assert_true(contains(text, "# TYPE heaptrace_target_info gauge\n"));
	assert_null(strstr(text, "# UNIT"));
	assert_null(strstr(text, "# EOF"));
	free(text);
}

/* promtool and the OpenMetrics parser (support/export_readers.c says what each tolerates). */
static void test_openmetrics_text_passes_parsers(void **state)
{
	size_t len;
	char *text = render(METRICS_OPENMETRICS, &len);
	char *out = check_openmetrics_text(tmpdir, text, len);

	assert_true(contains(out, "heaptrace_gc_cycles counter  1\n"));
	assert_true(contains(out, "heaptrace_gc_pause_seconds histogram seconds 29\n")); /* 26 le + Inf + sum + count */
	assert_true(contains(out, "heaptrace_madvise_bytes counter bytes 2\n"));
	assert_true(contains(out, "heaptrace_target_info gauge  1\n"));
	assert_true(contains(text, "# TYPE heaptrace_gc_cycles counter\n# HELP heaptrace_gc_cycles GC cycles"));
	assert_true(contains(text, "# TYPE heaptrace_madvise_bytes counter\n# UNIT heaptrace_madvise_bytes bytes\n"));
	assert_true(contains(text, "\nheaptrace_madvise_bytes_total{pid=\"4242\",advice=\"DONTNEED\"} 1099511627776\n"));
	assert_int_equal(strcmp(text + len - 6, "# EOF\n"), 0);
	free(out);
	free(text);
}

/* Hand-computed: slots 3, 12, 20, 38 hold 1, 4, 2, 1 values. */
static void test_histogram_buckets_are_cumulative_seconds(void **state)
{
	static const struct metrics_label pid[] = { { "pid", "1" } };
	const int slots[] = { 3, 12, 20, 38 };
	const uint64_t counts[] = { 1, 4, 2, 1 };
	struct ht_hist h = hist_of(slots, counts, 4, 1500000000);
	struct metrics_writer w;
	size_t len;
	char *text;

	h.count = 99; /* a racy total: _count must still equal +Inf */
	metrics_writer_init(&w, METRICS_PROMETHEUS);
	metrics_family(&w, "x_seconds", METRICS_HISTOGRAM, "h", "seconds");
	metrics_histogram(&w, pid, 1, &h);
	assert_int_equal(metrics_finish(&w, &text, &len), 0);
	/* slot 3 ([8, 16) ns) folds into the first bucket, le = 2^10 ns */
	assert_true(contains(text, "x_seconds_bucket{pid=\"1\",le=\"1.024e-06\"} 1\n"));
	assert_true(contains(text, "x_seconds_bucket{pid=\"1\",le=\"4.096e-06\"} 1\n"));
	/* slot 12 ([4096, 8192) ns) is below le = 2^13 ns */
	assert_true(contains(text, "x_seconds_bucket{pid=\"1\",le=\"8.192e-06\"} 5\n"));
	assert_true(contains(text, "x_seconds_bucket{pid=\"1\",le=\"0.000131072\"} 5\n"));
	assert_true(contains(text, "x_seconds_bucket{pid=\"1\",le=\"0.001048576\"} 5\n"));
	assert_true(contains(text, "x_seconds_bucket{pid=\"1\",le=\"0.002097152\"} 7\n"));
	/* slot 38 (about 275 s) is beyond the last finite bucket, 2^35 ns */
	assert_true(contains(text, "x_seconds_bucket{pid=\"1\",le=\"34.359738368\"} 7\n"));
	assert_true(contains(text, "x_seconds_bucket{pid=\"1\",le=\"+Inf\"} 8\n"));
	assert_true(contains(text, "x_seconds_sum{pid=\"1\"} 1.5\nx_seconds_count{pid=\"1\"} 8\n"));
	assert_null(strstr(text, "le=\"5.12e-07\""));
	assert_null(strstr(text, "le=\"68.719476736\""));
	free(text);
}

static void test_label_values_are_escaped(void **state)
{
	static const struct metrics_label l[] = { { "exe", "a\\b\"c\nd\xff" "\xc3\xa9" } };
	struct metrics_writer w;
	size_t len;
	char *text;

	metrics_writer_init(&w, METRICS_OPENMETRICS);
	metrics_family(&w, "x_info", METRICS_INFO, "help with \\ and \"quotes\"\nand a newline", NULL);
	metrics_sample(&w, l, 1, 1);
	assert_int_equal(metrics_finish(&w, &text, &len), 0);
	/* invalid UTF-8 (0xff) becomes U+FFFD; valid (é) stays */
	assert_true(contains(text, "x_info{exe=\"a\\\\b\\\"c\\nd\xef\xbf\xbd\xc3\xa9\"} 1.0\n"));
	assert_true(contains(text, "# HELP x_info help with \\\\ and \\\"quotes\\\"\\nand a newline\n"));
	free(text);
	/* 0.0.4 does not escape a double quote in HELP */
	metrics_writer_init(&w, METRICS_PROMETHEUS);
	metrics_family(&w, "x_info", METRICS_INFO, "say \"hi\"\n", NULL);
	assert_int_equal(metrics_finish(&w, &text, &len), 0);
	assert_true(contains(text, "# HELP x_info say \"hi\"\\n\n"));
	free(text);
}

static void expect_family_error(const char *name, enum metrics_type type, const char *unit, const char *why)
{
	struct metrics_writer w;
	size_t len;
	char *text;

	metrics_writer_init(&w, METRICS_PROMETHEUS);
	assert_int_equal(metrics_family(&w, name, type, "h", unit), -1);
	assert_int_equal(metrics_sample(&w, NULL, 0, 1), -1); /* sticky */
	assert_int_equal(metrics_finish(&w, &text, &len), -1);
	assert_true(contains(ht_last_error(), why));
}

static void expect_label_error(const char *label, const char *why)
{
	const struct metrics_label l[] = { { "pid", "1" }, { label, "v" } };
	struct metrics_writer w;

	metrics_writer_init(&w, METRICS_PROMETHEUS);
	metrics_family(&w, "x_seconds", METRICS_HISTOGRAM, "h", "seconds");
	assert_int_equal(metrics_histogram(&w, l, 2, &(struct ht_hist){ 0 }), -1);
	assert_true(contains(ht_last_error(), why));
	metrics_writer_free(&w);
}

static void test_names_are_checked(void **state)
{
	expect_family_error("heaptrace_gc_cycles", METRICS_COUNTER, NULL, "counters, and only counters, end in _total");
	expect_family_error("x_total", METRICS_GAUGE, NULL, "counters, and only counters, end in _total");
	expect_family_error("9x", METRICS_GAUGE, NULL, "invalid metric name \"9x\"");
	expect_family_error("x-y", METRICS_GAUGE, NULL, "invalid metric name");
	expect_family_error("x_bytes", METRICS_GAUGE, "seconds", "is named ..._seconds");
	expect_family_error("x_count", METRICS_GAUGE, NULL, "reserved");
	expect_family_error("x", METRICS_INFO, NULL, "ends in _info");
	expect_label_error("0pid", "invalid label name \"0pid\"");
	expect_label_error("__name__", "invalid label name");
	expect_label_error("le", "cannot include le");
	expect_label_error("pid", "label pid given twice");
}

static void expect_number(double v, const char *want)
{
	char got[40];

	metrics_format_double(got, sizeof(got), v);
	assert_string_equal(got, want);
}

/* OpenMetrics 1.0's examples of canonical numbers (Go's %g, plus ".0"). */
static void test_numbers_are_canonical(void **state)
{
	const double v[] = { 0, 0.001, 0.002, 0.01, 0.1, 0.9, 0.95, 0.99, 0.999, 1, 1.7, 10,
			     1e-10, 1e-9, 1e-5, 1e-4, 100000, 1e6, 1e10 };
	const char *want[] = { "0.0", "0.001", "0.002", "0.01", "0.1", "0.9", "0.95", "0.99", "0.999", "1.0", "1.7", "10.0",
			       "1e-10", "1e-09", "1e-05", "0.0001", "100000.0", "1e+06", "1e+10" };
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		expect_number(v[i], want[i]);
	expect_number(-2.5, "-2.5");
	expect_number(1.0 / 0.0, "+Inf");
	expect_number(-1.0 / 0.0, "-Inf");
	expect_number(0.0 / 0.0, "NaN");
	expect_number(34.359738368, "34.359738368");
	expect_number(123456789, "1.23456789e+08");
	expect_number(0.1 + 0.2, "0.30000000000000004");
}

static void test_accept_header_negotiation(void **state)
{
	/* what Prometheus 2.42 sends */
	assert_int_equal(metrics_negotiate("application/openmetrics-text;version=1.0.0,application/openmetrics-text;"
					   "version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"),
			 METRICS_OPENMETRICS);
	assert_int_equal(metrics_negotiate("application/openmetrics-text; version=1.0.0; charset=utf-8"),
			 METRICS_OPENMETRICS);
	assert_int_equal(metrics_negotiate("Application/OpenMetrics-Text"), METRICS_OPENMETRICS);
	assert_int_equal(metrics_negotiate(NULL), METRICS_PROMETHEUS);
	assert_int_equal(metrics_negotiate(""), METRICS_PROMETHEUS);
	assert_int_equal(metrics_negotiate("*/*"), METRICS_PROMETHEUS);
	assert_int_equal(metrics_negotiate("text/plain;version=0.0.4"), METRICS_PROMETHEUS);
	assert_int_equal(metrics_negotiate("application/openmetrics-text;q=0"), METRICS_PROMETHEUS);
	assert_int_equal(metrics_negotiate("text/plain, application/openmetrics-text;q=0.5"), METRICS_PROMETHEUS);
	assert_int_equal(metrics_negotiate("application/openmetrics-textx"), METRICS_PROMETHEUS);
	assert_string_equal(metrics_content_type(METRICS_PROMETHEUS), "text/plain; version=0.0.4; charset=utf-8");
	assert_string_equal(metrics_content_type(METRICS_OPENMETRICS),
			    "application/openmetrics-text; version=1.0.0; charset=utf-8");
}

/* ---- textfile ---- */

static int count_entries(const char *path)
{
	struct dirent *e;
	DIR *d = opendir(path);
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)))
		n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	closedir(d);
	return n;
}

static void test_textfile_replaces_atomically(void **state)
{
	char dir[128], path[160], other[160], *got;
	struct stat st;
	mode_t old;

	snprintf(dir, sizeof(dir), "%s/textfile", tmpdir);
	assert_int_equal(mkdir(dir, 0755), 0);
	snprintf(path, sizeof(path), "%s/heaptrace.prom", dir);
	/* the umask decides who may read it (the metrics name every
	 * tenant's programs): 0600 under 077, 0640 under 027 */
	old = umask(077);
	assert_int_equal(textfile_write(path, "a 1\n", 4), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	umask(027);
	assert_int_equal(textfile_write(path, "a 2\n", 4), 0);
	umask(old);
	got = test_read_file(path, NULL);
	assert_string_equal(got, "a 2\n");
	free(got);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640);
	assert_int_equal(count_entries(dir), 1); /* no temporary file left */

	/* a symlink at the path is replaced, never written through */
	snprintf(other, sizeof(other), "%s/victim", dir);
	assert_int_equal(textfile_write(other, "keep", 4), 0);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(symlink(other, path), 0);
	assert_int_equal(textfile_write(path, "new", 3), 0);
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	got = test_read_file(other, NULL);
	assert_string_equal(got, "keep");
	free(got);
}

static void test_textfile_errors_say_what_to_do(void **state)
{
	char path[160], dir[128];

	snprintf(path, sizeof(path), "%s/no/such/dir/x.prom", tmpdir);
	assert_int_equal(textfile_write(path, "x", 1), -1);
	assert_true(contains(ht_last_error(), path));
	assert_true(contains(ht_last_error(), "does the directory exist?"));

	/* a directory in the way: the rename fails and the temporary file goes */
	snprintf(dir, sizeof(dir), "%s/isdir", tmpdir);
	snprintf(path, sizeof(path), "%s/isdir/x.prom", tmpdir);
	assert_int_equal(mkdir(dir, 0755), 0);
	assert_int_equal(mkdir(path, 0755), 0);
	assert_int_equal(textfile_write(path, "x", 1), -1);
	assert_true(contains(ht_last_error(), "cannot rename"));
	assert_int_equal(count_entries(dir), 1);
}

struct reader {
	const char *path;
	volatile bool stop;
	int torn, reads;
};

static void *read_loop(void *arg)
{
	struct reader *r = arg;
	char buf[70000];

	while (!r->stop) {
		int fd = open(r->path, O_RDONLY);
		ssize_t n;

		if (fd < 0)
			continue;
		n = read(fd, buf, sizeof(buf));
		close(fd);
		r->reads++;
		/* each version is 65536 bytes of one letter */
		if (n != 65536 || memchr(buf, buf[0] == 'a' ? 'b' : 'a', (size_t)n))
			r->torn++;
	}
	return NULL;
}

/* A reader in a loop sees one whole version or the other, never a mix. */
static void test_textfile_readers_never_see_a_partial_file(void **state)
{
	static char a[65536], b[65536];
	struct reader r = { 0 };
	char path[160];
	pthread_t t;
	int i;

	memset(a, 'a', sizeof(a));
	memset(b, 'b', sizeof(b));
	snprintf(path, sizeof(path), "%s/torn.prom", tmpdir);
	assert_int_equal(textfile_write(path, a, sizeof(a)), 0);
	r.path = path;
	assert_int_equal(pthread_create(&t, NULL, read_loop, &r), 0);
	for (i = 0; i < 100; i++)
		assert_int_equal(textfile_write(path, i % 2 ? a : b, sizeof(a)), 0);
	r.stop = true;
	pthread_join(t, NULL);
	assert_true(r.reads > 0);
	assert_int_equal(r.torn, 0);
}

/* ---- pprof ---- */

/* The map retention profile's shape: a map grown while traced (inlined
 * put into handler, called from main) and one grown before attach, known
 * only by its global. */
static void write_profile(const char *path)
{
	struct pprof_builder *b = pprof_new();
	uint64_t m, put, handler, mainf, global, a, a2, bl, c, s1[2], s2[1];
	const int64_t v1[] = { 1, 65536, 40960 }, v2[] = { 1, 8192, 0 };
	const struct pprof_label l1[] = { { .key = "type", .str = "map[string][]uint8" },
					  { .key = "verdict", .str = "retained" },
					  { .key = "live", .num = 12, .unit = "count" },
					  { .key = "capacity", .num = 1024, .unit = "count" } };
	const struct pprof_label l2[] = { { .key = "type", .str = "map[int64]string" }, { .key = "verdict", .str = "fits" } };
	struct pprof_line la[2], lb[1], lc[1];

	assert_non_null(b);
	pprof_sample_type(b, "maps", "count");
	pprof_sample_type(b, "table_space", "bytes");
	pprof_sample_type(b, "retained_space", "bytes");
	pprof_default_sample_type(b, "retained_space");
	pprof_period(b, "space", "bytes", 1);
	pprof_comment(b, "heaptrace pid 4242");
	m = pprof_mapping(b, &(struct pprof_mapping){ .start = 0x400000, .limit = 0x800000, .filename = "/srv/app",
						       .build_id = "9f3c" });
	put = pprof_function(b, "main.(*cache).put", NULL, "/src/cache.go", 40);
	handler = pprof_function(b, "main.handler", NULL, "/src/server.go", 10);
	mainf = pprof_function(b, "main.main", NULL, "/src/main.go", 5);
	global = pprof_function(b, "main.sessions", NULL, NULL, 0);
	assert_int_equal(pprof_function(b, "main.handler", NULL, "/src/server.go", 10), handler); /* deduplicated */
	la[0] = (struct pprof_line){ put, 42 }; /* leaf first: put was inlined into handler */
	la[1] = (struct pprof_line){ handler, 17 };
	lb[0] = (struct pprof_line){ mainf, 9 };
	lc[0] = (struct pprof_line){ global, 0 };
	a = pprof_location(b, m, 0x401000, la, 2);
	bl = pprof_location(b, m, 0x402000, lb, 1);
	c = pprof_location(b, 0, 0, lc, 1);
	a2 = pprof_location(b, m, 0x401000, la, 2);
	assert_int_equal(a2, a);
	assert_int_not_equal(a, bl);
	s1[0] = a;
	s1[1] = bl;
	s2[0] = c;
	assert_int_equal(pprof_sample(b, s1, 2, v1, 3, l1, 4), 0);
	assert_int_equal(pprof_sample(b, s2, 1, v2, 3, l2, 2), 0);
	if (pprof_write_file(b, path))
		fail_msg("pprof_write_file: %s", ht_last_error());
	pprof_free(b);
}

static void test_pprof_reads_back_with_go_tool_pprof(void **state)
{
	char path[160], *out;

	snprintf(path, sizeof(path), "%s/maps.pb.gz", tmpdir);
	write_profile(path);
	out = check_pprof_view(tmpdir, path, "-raw", NULL);
	assert_true(contains(out, "PeriodType: space bytes\nPeriod: 1\n"));
	assert_true(contains(out, "maps/count table_space/bytes retained_space/bytes[dflt]\n"));
	/* values and location ids, leaf first */
	assert_true(contains(out, "          1      65536      40960: 1 2 \n"));
	assert_true(contains(out, "          1       8192          0: 3 \n"));
	assert_true(contains(out, "type:[map[string][]uint8] verdict:[retained]"));
	assert_true(contains(out, "capacity:[1024 count] live:[12 count]"));
	/* one location, two lines: the inlined frame, then its caller */
	assert_true(contains(out, "     1: 0x401000 M=1 main.(*cache).put /src/cache.go:42:0 s=40\n"
				  "             main.handler /src/server.go:17:0 s=10\n"));
	assert_true(contains(out, "     3: 0x0 main.sessions :0:0 s=0\n"));
	assert_null(strstr(out, "     4: ")); /* the repeated location was not added twice */
	assert_true(contains(out, "1: 0x400000/0x800000/0x0 /srv/app 9f3c [FN][FL][LN][IN]"));
	free(out);

	out = check_pprof_view(tmpdir, path, "-top", "-sample_index=table_space");
	assert_true(contains(out, "Type: table_space\n"));
	assert_true(contains(out, "of 72kB total"));
	assert_true(contains(out, "64kB 88.89% 88.89%       64kB 88.89%  main.(*cache).put (inline)\n"));
	assert_true(contains(out, "8kB 11.11%   100%        8kB 11.11%  main.sessions\n"));
	free(out);

	out = check_pprof_view(tmpdir, path, "-top", NULL);
	assert_true(contains(out, "Type: retained_space\n"));
	assert_true(contains(out, "40kB   100%   100%       40kB   100%  main.(*cache).put (inline)\n"));
	free(out);
}

static void test_pprof_rejects_inconsistent_input(void **state)
{
	struct pprof_builder *b = pprof_new();
	const int64_t v[] = { 1, 2 };
	const uint64_t loc[] = { 1 };
	size_t len;
	void *gz;

	pprof_sample_type(b, "maps", "count");
	assert_int_equal(pprof_default_sample_type(b, "retained_space"), -1);
	assert_true(contains(ht_last_error(), "retained_space is not a sample type"));
	pprof_free(b);

	b = pprof_new();
	pprof_sample_type(b, "maps", "count");
	assert_int_equal(pprof_sample(b, NULL, 0, v, 2, NULL, 0), -1);
	assert_true(contains(ht_last_error(), "2 values for 1 sample types"));
	assert_int_equal(pprof_serialize(b, &gz, &len), -1); /* sticky */
	pprof_free(b);

	b = pprof_new();
	pprof_sample_type(b, "maps", "count");
	assert_int_equal(pprof_sample(b, loc, 1, v, 1, NULL, 0), -1);
	assert_true(contains(ht_last_error(), "location 1, of 0"));
	pprof_free(b);

	b = pprof_new();
	pprof_sample_type(b, "maps", "count");
	assert_int_equal(pprof_location(b, 0, 0x10, &(struct pprof_line){ 7, 1 }, 1), 0);
	assert_true(contains(ht_last_error(), "no function 7"));
	pprof_free(b);
}

/* ---- HTTP server ---- */

/* A raw client: the server is checked byte for byte, not through a library
 * that might paper over what it sends. */
static int tcp_connect(int family, int port, int rcvbuf)
{
	struct sockaddr_storage ss;
	struct timeval tv = { .tv_sec = 5 };
	socklen_t len;
	int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	memset(&ss, 0, sizeof(ss));
	if (family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)&ss;

		in->sin_family = AF_INET;
		in->sin_port = htons((uint16_t)port);
		in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		len = sizeof(*in);
	} else {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;

		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
		in6->sin6_addr = in6addr_loopback;
		len = sizeof(*in6);
	}
	/* a small receive buffer keeps a large response in flight */
	if (rcvbuf)
		assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)), 0);
	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
	if (connect(fd, (struct sockaddr *)&ss, len)) {
		int err = errno;

		close(fd);
		return -err;
	}
	return fd;
}

static void send_str(int fd, const char *s)
{
	assert_int_equal(send(fd, s, strlen(s), MSG_NOSIGNAL), (ssize_t)strlen(s));
}

/* A request line and this loopback server's Host header, then `rest`. */
static void send_request(int fd, int port, const char *line, const char *rest)
{
	char req[512];

	snprintf(req, sizeof(req), "%s\r\nHost: 127.0.0.1:%d\r\n%s", line, port, rest);
	send_str(fd, req);
}

/* Reads exactly n bytes, or to EOF when n is 0; returns the count. */
static size_t recv_n(int fd, char *buf, size_t cap, size_t n)
{
	size_t got = 0;
	ssize_t r;

	while (got < (n ? n : cap)) {
		r = recv(fd, buf + got, (n ? n : cap) - got, 0);
		if (r < 0)
			fail_msg("recv: %s", strerror(errno));
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return got;
}

struct reply {
	int status;
	char *raw;		/* headers and body, NUL-terminated */
	const char *body;
	size_t body_len;
};

static struct reply parse_reply(char *raw, size_t len)
{
	struct reply r = { .raw = raw };
	char *end = strstr(raw, "\r\n\r\n");

	assert_non_null(end);
	assert_int_equal(sscanf(raw, "HTTP/1.1 %d", &r.status), 1);
	r.body = end + 4;
	r.body_len = len - (size_t)(r.body - raw);
	return r;
}

/* "Host: t" in a request becomes this server's own name: on loopback the
 * server answers no other (serve/host_check.h). */
static struct reply roundtrip(int family, int port, const char *request)
{
	size_t cap = 16 << 20, len;
	char *buf = malloc(cap + 1), req[1024];
	const char *t = strstr(request, "Host: t\r\n");
	int fd = tcp_connect(family, port, 0);

	assert_true(fd >= 0);
	assert_non_null(buf);
	if (t)
		snprintf(req, sizeof(req), "%.*sHost: %s:%d\r\n%s", (int)(t - request), request,
			 family == AF_INET6 ? "[::1]" : "127.0.0.1", port, t + strlen("Host: t\r\n"));
	send_str(fd, t ? req : request);
	len = recv_n(fd, buf, cap, 0);
	close(fd);
	buf[len] = '\0';
	return parse_reply(buf, len);
}

static struct reply get(int port, const char *path, const char *extra_headers)
{
	char req[512];

	snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: t\r\nConnection: close\r\n%s\r\n", path,
		 extra_headers ? extra_headers : "");
	return roundtrip(AF_INET, port, req);
}

/* The value of a response header, compared case-insensitively by name. */
static bool has_header(const struct reply *r, const char *name, const char *value)
{
	char want[256];
	const char *p;

	snprintf(want, sizeof(want), "\r\n%s: %s\r\n", name, value);
	for (p = r->raw; p < r->body; p++)
		if (!strncasecmp(p, want, strlen(want)))
			return true;
	print_error("--- no header %s: %s in:\n%.*s\n", name, value, (int)(r->body - r->raw), r->raw);
	return false;
}

/* The worker's HTTP server, in this process, without a web config. */
struct tsrv {
	struct http_server *h;
	int port;
	char address[80];
};

static struct tsrv *start_server(const char *listen)
{
	struct serve_config none = { .source = "", .min_version = SERVE_TLS12, .max_version = SERVE_TLS13 };
	struct tsrv *s = calloc(1, sizeof(*s));
	int fd;

	assert_non_null(s);
	fd = listen_open(listen, s->address, sizeof(s->address));
	if (fd < 0)
		fail_msg("listen_open(%s): %s", listen, ht_last_error());
	s->port = atoi(strrchr(s->address, ':') + 1);
	s->h = http_start(fd, &none);
	if (!s->h)
		fail_msg("http_start(%s): %s", listen, ht_last_error());
	return s;
}

static void stop_server(struct tsrv *s)
{
	http_stop(s->h); /* closes the listening socket too */
	free(s);
}

static void publish(struct tsrv *s, const char *text, const char *om, const void *pprof, size_t pprof_len)
{
	struct serve_bodies b = { .metrics_text = { (const uint8_t *)text, strlen(text) },
				  .metrics_openmetrics = { (const uint8_t *)om, strlen(om) },
				  .pprof_maps = { pprof, pprof_len },
				  .have_text = true, .have_openmetrics = true, .have_pprof = pprof != NULL };

	assert_int_equal(http_publish(s->h, &b), 0);
}

static void test_http_serves_published_snapshots(void **state)
{
	struct tsrv *s = start_server("127.0.0.1:0");
	size_t text_len, om_len, pprof_len;
	char *text = render(METRICS_PROMETHEUS, &text_len), *om = render(METRICS_OPENMETRICS, &om_len), *pprof, *out;
	char path[160], url[160];
	int port = s->port;
	struct reply r;

	assert_true(port > 0);
	assert_true(contains(s->address, "127.0.0.1:"));
	r = get(port, "/metrics", NULL);
	assert_int_equal(r.status, 503); /* nothing published yet */
	free(r.raw);

	snprintf(path, sizeof(path), "%s/served.pb.gz", tmpdir);
	write_profile(path);
	pprof = test_read_file(path, &pprof_len);
	publish(s, text, om, pprof, pprof_len);

	r = get(port, "/metrics", NULL);
	assert_int_equal(r.status, 200);
	assert_true(has_header(&r, "Content-Type", "text/plain; version=0.0.4; charset=utf-8"));
	assert_true(has_header(&r, "Vary", "Accept"));
	assert_int_equal(r.body_len, text_len);
	assert_memory_equal(r.body, text, text_len);
	free(r.raw);

	r = get(port, "/metrics", "Accept: application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5\r\n");
	assert_int_equal(r.status, 200);
	assert_true(has_header(&r, "Content-Type", "application/openmetrics-text; version=1.0.0; charset=utf-8"));
	assert_int_equal(r.body_len, om_len);
	assert_memory_equal(r.body, om, om_len);
	free(r.raw);

	r = get(port, "/", NULL);
	assert_int_equal(r.status, 200);
	assert_true(has_header(&r, "Content-Type", "text/html; charset=utf-8"));
	assert_true(contains(r.body, "href=\"/metrics\"") && contains(r.body, "href=\"/debug/pprof/maps\""));
	free(r.raw);

	r = get(port, "/debug/pprof/maps", NULL);
	assert_int_equal(r.status, 200);
	assert_true(has_header(&r, "Content-Type", "application/octet-stream"));
	assert_int_equal(r.body_len, pprof_len);
	assert_memory_equal(r.body, pprof, pprof_len);
	free(r.raw);

	r = get(port, "/metricsx", NULL);
	assert_int_equal(r.status, 404);
	free(r.raw);
	r = roundtrip(AF_INET, port, "POST /metrics HTTP/1.1\r\nHost: t\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
	assert_int_equal(r.status, 405);
	assert_true(has_header(&r, "Allow", "GET, HEAD"));
	free(r.raw);
	r = roundtrip(AF_INET, port, "HEAD /metrics HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
	assert_int_equal(r.status, 200);
	assert_int_equal(r.body_len, 0);
	free(r.raw);

	/* go tool pprof fetches the profile from the server itself */
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/debug/pprof/maps", port);
	setenv("PPROF_TMPDIR", tmpdir, 1); /* where it saves what it fetched */
	out = check_pprof_view(tmpdir, url, "-raw", NULL);
	assert_true(contains(out, "main.(*cache).put /src/cache.go:42:0 s=40\n             main.handler"));
	free(out);
	stop_server(s);
	free(text);
	free(om);
	free(pprof);
}

static void test_http_answers_while_another_client_stalls(void **state)
{
	struct tsrv *s = start_server("127.0.0.1:0");
	int port = s->port, slow;
	char buf[4096];
	struct reply r;
	size_t n;

	publish(s, "a 1\n", "a 1\n# EOF\n", NULL, 0);
	/* a client that sent half its request and waits */
	slow = tcp_connect(AF_INET, port, 0);
	assert_true(slow >= 0);
	send_request(slow, port, "GET /metrics HTTP/1.1", "");
	r = get(port, "/metrics", NULL);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body, "a 1\n");
	free(r.raw);
	r = get(port, "/debug/pprof/maps", NULL);
	assert_int_equal(r.status, 503); /* published without a profile */
	free(r.raw);
	send_str(slow, "Connection: close\r\n\r\n");
	n = recv_n(slow, buf, sizeof(buf) - 1, 0);
	buf[n] = '\0';
	r = parse_reply(buf, n);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body, "a 1\n");
	close(slow);
	stop_server(s);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A client reading a large body slowly keeps the snapshot it started with:
 * publishing meanwhile neither waits for it nor changes what it gets. */
static void test_http_publish_while_a_client_reads(void **state)
{
	const size_t big = 8 << 20;
	char *a = malloc(big + 1), *b = malloc(big + 1), *buf = malloc(big + 4096);
	struct tsrv *s = start_server("127.0.0.1:0");
	int port = s->port, fd;
	size_t head, got;
	struct reply r;
	double t0;
	char *end;

	assert_non_null(a);
	assert_non_null(b);
	assert_non_null(buf);
	memset(a, 'a', big);
	memset(b, 'b', big);
	a[big] = b[big] = '\0';
	publish(s, a, a, NULL, 0);
	fd = tcp_connect(AF_INET, port, 16384);
	assert_true(fd >= 0);
	send_request(fd, port, "GET /metrics HTTP/1.1", "Connection: close\r\n\r\n");
	head = recv_n(fd, buf, big, 4096); /* the response has started */
	t0 = now_s();
	publish(s, b, b, NULL, 0);
	assert_true(now_s() - t0 < 0.5);
	got = head + recv_n(fd, buf + head, big + 4096 - head, 0);
	close(fd);
	buf[got] = '\0';
	end = strstr(buf, "\r\n\r\n");
	assert_non_null(end);
	assert_int_equal(got - (size_t)(end + 4 - buf), big);
	assert_memory_equal(end + 4, a, big);
	r = get(port, "/metrics", NULL);
	assert_int_equal(r.body_len, big);
	assert_memory_equal(r.body, b, big);
	free(r.raw);
	stop_server(s);
	free(a);
	free(b);
	free(buf);
}

static void test_http_refuses_a_port_in_use(void **state)
{
	struct tsrv *s = start_server("127.0.0.1:0");
	char spec[64], want[256], bound[80];
	int port = s->port;

	snprintf(spec, sizeof(spec), "127.0.0.1:%d", port);
	assert_int_equal(listen_open(spec, bound, sizeof(bound)), -1);
	snprintf(want, sizeof(want),
		 "cannot listen on %s: Address already in use (is another heaptrace or exporter running? "
		 "choose another --listen port)", spec);
	assert_string_equal(ht_last_error(), want);
	/* by name too, and not by taking the port on another address of the name */
	snprintf(spec, sizeof(spec), "localhost:%d", port);
	assert_int_equal(listen_open(spec, bound, sizeof(bound)), -1);
	snprintf(want, sizeof(want), "cannot listen on localhost:%d (127.0.0.1:%d): Address already in use", port, port);
	assert_true(contains(ht_last_error(), want));
	stop_server(s);
	/* and the port is free again once stopped */
	snprintf(spec, sizeof(spec), "127.0.0.1:%d", port);
	s = start_server(spec);
	stop_server(s);
}

static void test_http_stops_promptly_with_clients_connected(void **state)
{
	const size_t big = 8 << 20;
	char *body = malloc(big + 1), buf[4096];
	struct tsrv *s = start_server("127.0.0.1:0");
	int port = s->port, idle, reading;
	double t0;

	assert_non_null(body);
	memset(body, 'x', big);
	body[big] = '\0';
	publish(s, body, body, NULL, 0);
	idle = tcp_connect(AF_INET, port, 0);
	reading = tcp_connect(AF_INET, port, 16384);
	assert_true(idle >= 0 && reading >= 0);
	send_str(idle, "GET /metrics HTTP/1.1\r\n");
	send_request(reading, port, "GET /metrics HTTP/1.1", "\r\n");
	assert_int_equal(recv_n(reading, buf, sizeof(buf), 100), 100);
	t0 = now_s();
	stop_server(s);
	assert_true(now_s() - t0 < 1.0);
	assert_int_equal(tcp_connect(AF_INET, port, 0), -ECONNREFUSED);
	close(idle);
	close(reading);
	free(body);
}

static void test_http_on_ipv6_loopback(void **state)
{
	struct tsrv *s = start_server("[::1]:0");
	char req[] = "GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
	struct reply r;

	assert_true(contains(s->address, "[::1]:"));
	r = roundtrip(AF_INET6, s->port, req);
	assert_int_equal(r.status, 200);
	free(r.raw);
	stop_server(s);
}

static void expect_listen(const char *spec, const char *host, const char *port)
{
	char h[64], p[8];

	if (listen_parse(spec, h, sizeof(h), p, sizeof(p)))
		fail_msg("listen_parse(%s): %s", spec, ht_last_error());
	assert_string_equal(h, host);
	assert_string_equal(p, port);
}

static void expect_listen_error(const char *spec, const char *why)
{
	char h[64], p[8];

	assert_int_equal(listen_parse(spec, h, sizeof(h), p, sizeof(p)), -1);
	assert_true(contains(ht_last_error(), why));
	assert_true(contains(ht_last_error(), "expected HOST:PORT, e.g. 127.0.0.1:9464"));
}

static void test_listen_addresses(void **state)
{
	char bound[80];

	expect_listen("127.0.0.1:9464", "127.0.0.1", "9464");
	expect_listen("[::1]:9464", "::1", "9464");
	expect_listen("localhost:9464", "localhost", "9464");
	expect_listen(":9464", "", "9464");
	expect_listen("[::]:0", "::", "0");
	expect_listen_error("9464", "no port");
	expect_listen_error("127.0.0.1:", "a number from 0 to 65535");
	expect_listen_error("127.0.0.1:65536", "a number from 0 to 65535");
	expect_listen_error("127.0.0.1:http", "a number from 0 to 65535");
	expect_listen_error("::1:9464", "in brackets");
	expect_listen_error("[::1]9464", "followed by :PORT");
	assert_int_equal(listen_open("no-such-host.invalid:9464", bound, sizeof(bound)), -1);
	assert_true(contains(ht_last_error(), "cannot listen on no-such-host.invalid:9464: "));
	assert_int_equal(listen_open("192.0.2.1:9464", bound, sizeof(bound)), -1); /* TEST-NET: not ours */
	assert_true(contains(ht_last_error(), "Cannot assign requested address (that address is not one of this machine's)"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_textfile_replaces_atomically),
		cmocka_unit_test(test_textfile_errors_say_what_to_do),
		cmocka_unit_test(test_textfile_readers_never_see_a_partial_file),
		cmocka_unit_test(test_prometheus_text_passes_promtool),
		cmocka_unit_test(test_openmetrics_text_passes_parsers),
		cmocka_unit_test(test_histogram_buckets_are_cumulative_seconds),
		cmocka_unit_test(test_label_values_are_escaped),
		cmocka_unit_test(test_names_are_checked),
		cmocka_unit_test(test_numbers_are_canonical),
		cmocka_unit_test(test_accept_header_negotiation),
		cmocka_unit_test(test_pprof_reads_back_with_go_tool_pprof),
		cmocka_unit_test(test_pprof_rejects_inconsistent_input),
		cmocka_unit_test(test_http_serves_published_snapshots),
		cmocka_unit_test(test_http_answers_while_another_client_stalls),
		cmocka_unit_test(test_http_publish_while_a_client_reads),
		cmocka_unit_test(test_http_refuses_a_port_in_use),
		cmocka_unit_test(test_http_stops_promptly_with_clients_connected),
		cmocka_unit_test(test_http_on_ipv6_loopback),
		cmocka_unit_test(test_listen_addresses),
	};

	return cmocka_run_group_tests_name("export", tests, group_setup, group_teardown);
}
