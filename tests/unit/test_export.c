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
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include "util/log.h"
#include "export/metrics_text.h"
#include "export/pprof.h"
#include "export/textfile.h"

#define PROMTOOL "/usr/bin/promtool"
/* Debian's python3-prometheus-client: the pyenv python first in PATH lacks it. */
#define PYTHON "/usr/bin/python3"

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

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	if (len)
		*len = (size_t)n;
	return buf;
}

/* Runs argv with in on its stdin; returns its exit status and, in *out, what
 * it printed on stdout and stderr. Files rather than pipes: no deadlock on
 * large outputs. */
static int run(const char *const argv[], const char *in, size_t in_len, char **out)
{
	char in_path[128], out_path[128];
	int status, fd;
	pid_t pid;

	snprintf(in_path, sizeof(in_path), "%s/stdin", tmpdir);
	snprintf(out_path, sizeof(out_path), "%s/stdout", tmpdir);
	assert_int_equal(textfile_write(in_path, in, in_len), 0);
	if (access(argv[0], X_OK))
		fail_msg("%s is missing (tools/setup.sh installs it): %s", argv[0], strerror(errno));
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		fd = open(in_path, O_RDONLY);
		dup2(fd, 0);
		fd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		dup2(fd, 1);
		dup2(fd, 2);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	*out = read_file(out_path, NULL);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
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
	const char *argv[] = { PROMTOOL, "check", "metrics", NULL };
	size_t len;
	char *text = render(METRICS_PROMETHEUS, &len), *out;
	int rc = run(argv, text, len, &out);

	if (rc || *out)
		fail_msg("promtool check metrics: exit %d:\n%s\n--- on:\n%s", rc, out, text);
	assert_true(contains(text, "# HELP heaptrace_gc_cycles_total GC cycles"));
	assert_true(contains(text, "# TYPE heaptrace_gc_cycles_total counter\nheaptrace_gc_cycles_total{pid=\"4242\"} 7\n"));
	assert_true(contains(text, "# TYPE heaptrace_target_info gauge\n"));
	assert_null(strstr(text, "# UNIT"));
	assert_null(strstr(text, "# EOF"));
	free(out);
	free(text);
}

/*
 * promtool 2.42 lints with the 0.0.4 parser even for OpenMetrics: it parses
 * the text (exit 1 on a syntax error) but takes a counter's _total sample
 * for an untyped family and says it has "no help text". That, and only
 * that, is expected; prometheus_client's OpenMetrics parser, which checks
 * # EOF, # UNIT against the name, _total and histogram buckets, must accept
 * the text outright.
 */
static void test_openmetrics_text_passes_parsers(void **state)
{
	const char *promtool[] = { PROMTOOL, "check", "metrics", NULL };
	const char *python[] = { PYTHON, "-c",
				 "import sys\n"
				 "from prometheus_client.openmetrics.parser import text_string_to_metric_families as p\n"
				 "for f in p(sys.stdin.read()):\n"
				 "    print(f.name, f.type, f.unit, len(f.samples))\n",
				 NULL };
	size_t len;
	char *text = render(METRICS_OPENMETRICS, &len), *out, *line, *save = NULL;
	int rc = run(promtool, text, len, &out);

	if (rc != 0 && rc != 3)
		fail_msg("promtool check metrics: exit %d:\n%s", rc, out);
	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (!strstr(line, "_total no help text"))
			fail_msg("promtool: unexpected problem: %s\n--- on:\n%s", line, text);
	free(out);
	rc = run(python, text, len, &out);
	if (rc)
		fail_msg("OpenMetrics parser: exit %d:\n%s\n--- on:\n%s", rc, out, text);
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
	old = umask(077); /* the collector runs as another user: 0644 whatever the umask */
	assert_int_equal(textfile_write(path, "a 1\n", 4), 0);
	assert_int_equal(textfile_write(path, "a 2\n", 4), 0);
	umask(old);
	got = read_file(path, NULL);
	assert_string_equal(got, "a 2\n");
	free(got);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);
	assert_int_equal(count_entries(dir), 1); /* no temporary file left */

	/* a symlink at the path is replaced, never written through */
	snprintf(other, sizeof(other), "%s/victim", dir);
	assert_int_equal(textfile_write(other, "keep", 4), 0);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(symlink(other, path), 0);
	assert_int_equal(textfile_write(path, "new", 3), 0);
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	got = read_file(other, NULL);
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

static const char *go_bin(void)
{
	const char *go = getenv("HT_GO");

	return go && *go ? go : "/usr/local/go/bin/go";
}

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
	const char *raw[] = { go_bin(), "tool", "pprof", "-raw", path, NULL };
	const char *top[] = { go_bin(), "tool", "pprof", "-top", "-sample_index=table_space", path, NULL };
	const char *dflt[] = { go_bin(), "tool", "pprof", "-top", path, NULL };
	int rc;

	snprintf(path, sizeof(path), "%s/maps.pb.gz", tmpdir);
	write_profile(path);
	rc = run(raw, "", 0, &out);
	if (rc)
		fail_msg("go tool pprof -raw: exit %d:\n%s", rc, out);
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

	rc = run(top, "", 0, &out);
	if (rc)
		fail_msg("go tool pprof -top -sample_index=table_space: exit %d:\n%s", rc, out);
	assert_true(contains(out, "Type: table_space\n"));
	assert_true(contains(out, "of 72kB total"));
	assert_true(contains(out, "64kB 88.89% 88.89%       64kB 88.89%  main.(*cache).put (inline)\n"));
	assert_true(contains(out, "8kB 11.11%   100%        8kB 11.11%  main.sessions\n"));
	free(out);

	rc = run(dflt, "", 0, &out);
	if (rc)
		fail_msg("go tool pprof -top: exit %d:\n%s", rc, out);
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
	};

	return cmocka_run_group_tests_name("export", tests, group_setup, group_teardown);
}
