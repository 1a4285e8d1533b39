// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The exports' renderers on a fixture snapshot (a real Go binary's functions
 * and probe plan, made-up figures and maps): the exposition against
 * promtool and prometheus_client's strict OpenMetrics parser, every figure
 * against the JSON report of the same snapshot, the map profile against
 * go tool pprof. No root needed; a missing oracle fails the test.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include "support/export_readers.h"
#include <jansson.h>
#include "util/log.h"
#include "util/monotonic.h"
#include "export/render_metrics.h"
#include "export/render_pprof.h"
#include "export/textfile.h"
#include "report/report.h"

#define FIXTURE_PID 4242
#define NMAPS 25 /* more than the default --top-maps */

static char tmpdir[] = "/tmp/ht-render-XXXXXX";

/* The fixture: everything a snapshot points at. */
static struct target tgt;
static struct probe_plan plan;
static struct probe_hits hits[PLAN_MAX_PROBES];
static struct ht_figures figures;
static struct event_tally tally;
static struct map_tracker maps;
static struct overhead ovh;
static struct madvise_probe madv = { .method = "uprobe" };
static struct trace_snapshot snap;
static uint64_t grow_leaf, grow_caller; /* runtime addresses in the grown map's stack */

static uint64_t func_entry(const char *name)
{
	const struct go_func *f = go_funcs_find(&tgt.funcs, name);

	if (!f)
		fail_msg("%s is not in %s", name, tgt.exe);
	return f->entry;
}

static void hist_add(struct ht_hist *h, int slot, uint64_t n, uint64_t ns_each)
{
	h->slots[slot] += n;
	h->count += n;
	h->sum_ns += n * ns_each;
	if (ns_each > h->max_ns)
		h->max_ns = ns_each;
}

static struct tracked_map *add_map(uint64_t addr, uint64_t live, uint64_t table, uint64_t needed, const char *type,
				   const char *site)
{
	struct tracked_map *m = &maps.v[maps.n++];

	memset(m, 0, sizeof(*m));
	m->m = (struct go_map){ .addr = addr, .live = live, .table_bytes = table, .needed_bytes = needed,
				.slot_bytes = 208, .tables = (uint32_t)(table / 208 / 8 ? table / 208 / 8 : 1),
				.implied_peak = live * 4 };
	m->parsed = true;
	m->peak = live;
	m->m.capacity = (uint64_t)m->m.tables * 8;
	snprintf(m->type, sizeof(m->type), "%s", type);
	m->type_from = TYPE_TABLE;
	/* "global X": a map grown before attach, held by the global X */
	if (!strncmp(site, "global ", 7)) {
		m->held = calloc(1, sizeof(*m->held) + sizeof(m->held->steps[0]));
		assert_non_null(m->held);
		m->held->n = 1;
		m->held->steps[0].kind = STEP_GLOBAL;
		snprintf(m->held->steps[0].name, sizeof(m->held->steps[0].name), "%s", site + 7);
		snprintf(m->held->held_by, sizeof(m->held->held_by), "%s", site + 7);
	} else {
		snprintf(m->site, sizeof(m->site), "%s", site);
	}
	return m;
}

static int fixture_setup(void **state)
{
	const char *dir = getenv("HT_TARGETS");
	char path[2100];
	struct tracked_map *m;
	int i;

	if (!dir || !mkdtemp(tmpdir))
		fail_msg("HT_TARGETS is not set (run through 'make unit') or no temporary directory");
	/* Go 1.19: bucket maps, whose capacity is 8 slots a bucket. */
	snprintf(path, sizeof(path), "%s/go119-mapleak", dir);
	if (target_from_file(&tgt, path) || plan_probes(&tgt, HT_TIER_WARM, &plan))
		fail_msg("%s: %s", path, ht_last_error());
	tgt.pid = FIXTURE_PID;
	for (i = 0; i < plan.n; i++)
		hits[i] = (struct probe_hits){ .entries = 100u * (unsigned)i + 7, .exits = 3, .work_ns = 150u * (unsigned)i };

	figures.gc_cycles = 17;
	hist_add(&figures.gc_pause, 14, 30, 20000);
	hist_add(&figures.gc_pause, 17, 4, 150000);
	hist_add(&figures.other_pause, 12, 2, 5000);
	figures.madvise[4] = (struct ht_madvise_figures){ .calls = 12, .bytes = 48u << 20, .errors = 1 }; /* DONTNEED */
	hist_add(&figures.madvise[4].latency, 15, 12, 40000);
	figures.madvise[14] = (struct ht_madvise_figures){ .calls = 3, .bytes = 12u << 20 }; /* HUGEPAGE */
	hist_add(&figures.madvise[14].latency, 11, 3, 3000);
	figures.madvise[31] = (struct ht_madvise_figures){ .calls = 1, .bytes = 4096 }; /* no name */
	hist_add(&figures.madvise[31].latency, 10, 1, 1500);
	hist_add(&figures.scavenger_run, 20, 5, 1500000);
	figures.heap_grow_calls = 9;
	figures.heap_grow_bytes = 96u << 20;
	figures.unused_bytes = 40u << 20;
	figures.lost_records = 3;
	figures.map_grows = 4;

	tally = (struct event_tally){ .maps = &maps, .records = 99 };
	maps.t = &tgt;
	maps.cap = 200000;
	maps.v = calloc(maps.cap, sizeof(*maps.v));
	assert_non_null(maps.v);
	/* grown while traced: the growth probe in the runtime, then user code */
	grow_leaf = func_entry("runtime.hashGrow") + 8;
	grow_caller = func_entry("main.growLater") + 0x40;
	m = add_map(0xc000100000, 10, 40u << 20, 4096, "map[int64]int64",
		    "main.growLater (/src/mapleak/main.go:65)");
	m->stack[0] = grow_leaf;
	m->stack[1] = func_entry("runtime.mapassign_fast64") + 0x30;
	m->stack[2] = grow_caller;
	m->stack[3] = func_entry("main.main") + 0x50;
	m->nstack = 4;
	m->grows = 12;
	add_map(0xc000200000, 10, 20u << 20, 4096, "map[int64]int64", "global main.leaky");
	add_map(0xc000300000, 5000, 1u << 20, 900u << 10, "map[string]string \"q\"\\", "");
	for (i = 0; i < NMAPS - 3; i++)
		add_map(0xc001000000 + 0x1000 * (uint64_t)i, 100, (64u + (unsigned)i) << 10, 16u << 10, "map[int]int",
			"global main.small");
	m = add_map(0xc00f000000, 1, 90u << 20, 4096, "map[int]int", "global main.freed");
	m->freed = true; /* out of the list, still in the totals' count of freed maps */
	maps.mheap = 0x6f0000;
	maps.mheap_how = "symbol";
	maps.walk_done = true;

	ovh.cost = (struct hit_cost){ .branch_ns = 1000, .entry_ns = 4000, .ret_ns = 3000, .measured = true };

	snap = (struct trace_snapshot){ .target = &tgt, .plan = &plan, .hits = hits, .figures = &figures,
					.tally = &tally, .maps = &maps, .overhead = &ovh, .attach_method = "uprobe_multi",
					.madvise = &madv, .duration_ns = 12500000000ull };
	snap.mem = (struct smaps){ .rss = 300u << 20, .anon = 250u << 20, .lazyfree = 1u << 20 };
	snap.have_mem = true;
	snap.heap = (struct heap_stats){ .committed = 200u << 20, .released = 30u << 20, .free_unreleased = 20u << 20,
					 .in_heap = 150u << 20 };
	snap.have_heap = true;
	return 0;
}

static int fixture_teardown(void **state)
{
	char cmd[64];

	for (size_t k = 0; k < maps.n; k++)
		free(maps.v[k].held);
	free(maps.v);
	target_close(&tgt);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static char *render(enum metrics_format f, unsigned top, size_t *len)
{
	const struct trace_snapshot *v[] = { &snap };
	char *text;
	size_t n;

	if (render_metrics_text(v, 1, top, f, &text, len ? len : &n))
		fail_msg("render_metrics_text: %s", ht_last_error());
	return text;
}

/* The value of the series written exactly as `series` (name{labels}), or
 * fails: the exposition is the renderer's, so its label order is known. */
static double value_of(const char *text, const char *series)
{
	size_t n = strlen(series);
	const char *p = text;

	while ((p = strstr(p, series))) {
		if ((p == text || p[-1] == '\n') && p[n] == ' ')
			return strtod(p + n + 1, NULL);
		p += n;
	}
	fail_msg("no series %s in:\n%s", series, text);
	return 0;
}

static bool has_series(const char *text, const char *prefix)
{
	char line[256];

	snprintf(line, sizeof(line), "\n%s", prefix);
	return strstr(text, line) != NULL;
}

#define PID "pid=\"4242\""

static void test_prometheus_text_passes_promtool(void **state)
{
	size_t len;
	char *text = render(METRICS_PROMETHEUS, RENDER_TOP_MAPS_DEFAULT, &len);

	check_prometheus_text(tmpdir, text, len);
	free(text);
}

/* promtool and the OpenMetrics parser (support/export_readers.c says what each tolerates). */
static void test_openmetrics_text_passes_parsers(void **state)
{
	size_t len;
	char *text = render(METRICS_OPENMETRICS, RENDER_TOP_MAPS_DEFAULT, &len);
	char *out = check_openmetrics_text(tmpdir, text, len);

	assert_non_null(strstr(out, "heaptrace_gc_cycles counter  1\n"));
	assert_non_null(strstr(out, "heaptrace_madvise_seconds histogram seconds 87\n")); /* 3 advice x 29 */
	assert_non_null(strstr(out, "heaptrace_map_retained_bytes gauge bytes 20\n"));
	assert_non_null(strstr(out, "heaptrace_target_info gauge  1\n"));
	assert_int_equal(strcmp(text + len - 6, "# EOF\n"), 0);
	free(out);
	free(text);
}

static json_t *json_report(void)
{
	char path[160];
	FILE *f;
	json_error_t e;
	json_t *j;

	snprintf(path, sizeof(path), "%s/report.json", tmpdir);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(report_json(f, &snap), 0);
	fclose(f);
	j = json_load_file(path, 0, &e);
	if (!j)
		fail_msg("report.json: %s", e.text);
	return j;
}

static double jnum(json_t *root, const char *path)
{
	json_t *v = root;
	char copy[256], *save = NULL, *k;

	snprintf(copy, sizeof(copy), "%s", path);
	for (k = strtok_r(copy, ".", &save); k && v; k = strtok_r(NULL, ".", &save))
		v = json_object_get(v, k);
	if (!v || !json_is_number(v))
		fail_msg("JSON report: no number at %s", path);
	return json_number_value(v);
}

#define EQ(series, json_path)                                                                    \
	do {                                                                                     \
		double m_ = value_of(text, series), j_ = jnum(r, json_path);                     \
		if (m_ != j_)                                                                    \
			fail_msg("%s = %.17g, but the JSON report's %s = %.17g", series, m_, json_path, j_); \
	} while (0)

/* Every figure the metrics and the JSON report share, from the same snapshot. */
static void test_metrics_equal_the_json_report(void **state)
{
	char *text = render(METRICS_PROMETHEUS, RENDER_TOP_MAPS_DEFAULT, NULL), series[512];
	json_t *r = json_report(), *a, *o;
	size_t i;

	EQ("heaptrace_gc_cycles_total{" PID "}", "gc.cycles");
	EQ("heaptrace_gc_pause_seconds_count{" PID "}", "gc.stw.count");
	assert_true(value_of(text, "heaptrace_gc_pause_seconds_sum{" PID "}") == jnum(r, "gc.stw.sum_ns") / 1e9);
	EQ("heaptrace_other_pause_seconds_count{" PID "}", "gc.other_stw.count");
	EQ("heaptrace_scavenger_passes_total{" PID "}", "release.scavenger.passes");
	EQ("heaptrace_heap_grown_bytes_total{" PID "}", "release.ledger.grown_bytes");
	EQ("heaptrace_heap_returned_bytes_total{" PID "}", "release.ledger.released_bytes");
	EQ("heaptrace_heap_free_unreleased_bytes{" PID "}", "release.ledger.free_unreleased_bytes");
	EQ("heaptrace_heap_released_bytes{" PID "}", "release.ledger.runtime_released_bytes");
	EQ("heaptrace_heap_in_use_bytes{" PID "}", "heap.in_use_bytes");
	EQ("heaptrace_process_rss_bytes{" PID "}", "memory.rss_bytes");
	EQ("heaptrace_process_lazyfree_bytes{" PID "}", "memory.lazyfree_bytes");
	EQ("heaptrace_maps_followed{" PID "}", "maps_summary.followed");
	EQ("heaptrace_maps_freed{" PID "}", "maps_summary.freed");
	EQ("heaptrace_maps_table_bytes{" PID "}", "maps_summary.table_bytes");
	EQ("heaptrace_maps_retained_bytes{" PID "}", "maps_summary.retained_bytes");
	EQ("heaptrace_lost_events_total{" PID "}", "lost_events");
	assert_true(value_of(text, "heaptrace_overhead_cpu_ratio{" PID "}") ==
		    jnum(r, "overhead.est_cpu_percent") / 100);
	assert_true(value_of(text, "heaptrace_overhead_cpu_seconds_total{" PID "}") ==
		    jnum(r, "overhead.est_target_ns") / 1e9);

	a = json_object_get(r, "release");
	json_array_foreach (json_object_get(a, "madvise"), i, o) {
		const char *adv = json_string_value(json_object_get(o, "advice"));
		const char *kind = json_string_value(json_object_get(o, "kind"));

		snprintf(series, sizeof(series), "heaptrace_madvise_calls_total{" PID ",advice=\"%s\",kind=\"%s\"}", adv,
			 kind);
		assert_true(value_of(text, series) == jnum(o, "calls"));
		snprintf(series, sizeof(series), "heaptrace_madvise_bytes_total{" PID ",advice=\"%s\",kind=\"%s\"}", adv,
			 kind);
		assert_true(value_of(text, series) == jnum(o, "bytes"));
	}
	assert_int_equal(json_array_size(json_object_get(a, "madvise")), 3);
	json_array_foreach (json_object_get(r, "probes"), i, o) {
		snprintf(series, sizeof(series), "heaptrace_probe_hits_total{" PID ",probe=\"%s\"}",
			 json_string_value(json_object_get(o, "symbol")));
		assert_true(value_of(text, series) == jnum(o, "hits"));
	}
	/* the top 20 of maps[], in the same order, with the same labels */
	a = json_object_get(r, "maps");
	assert_int_equal(json_array_size(a), NMAPS); /* the freed map is not listed */
	json_array_foreach (a, i, o) {
		const json_t *site = json_object_get(o, "site"), *held = json_object_get(o, "held_by");
		char labels[400];

		if (i >= RENDER_TOP_MAPS_DEFAULT)
			break;
		snprintf(labels, sizeof(labels),
			 "{" PID ",addr=\"%s\",type=\"%s\",site=\"%s\",verdict=\"%s\",held_by=\"%s\"}",
			 json_string_value(json_object_get(o, "addr")), json_string_value(json_object_get(o, "type")),
			 json_is_string(site) ? json_string_value(site) : "",
			 json_string_value(json_object_get(o, "verdict")), json_is_string(held) ? json_string_value(held) : "");
		if (strchr(labels, '\\') || strchr(json_string_value(json_object_get(o, "type")), '"'))
			continue; /* escaped in the exposition: test_label_values_are_escaped */
		snprintf(series, sizeof(series), "heaptrace_map_retained_bytes%s", labels);
		assert_true(value_of(text, series) == jnum(o, "retained_bytes"));
		snprintf(series, sizeof(series), "heaptrace_map_table_bytes%s", labels);
		assert_true(value_of(text, series) == jnum(o, "table_bytes"));
		snprintf(series, sizeof(series), "heaptrace_map_live_entries%s", labels);
		assert_true(value_of(text, series) == jnum(o, "live"));
		snprintf(series, sizeof(series), "heaptrace_map_peak_entries%s", labels);
		assert_true(value_of(text, series) == jnum(o, "peak"));
	}
	json_decref(r);
	free(text);
}

static void test_target_info_and_pid_on_every_series(void **state)
{
	char *text = render(METRICS_PROMETHEUS, RENDER_TOP_MAPS_DEFAULT, NULL), *line, *save = NULL, want[PATH_MAX + 256];

	snprintf(want, sizeof(want),
		 "\nheaptrace_target_info{" PID ",exe=\"%s\",go_version=\"%s\",map_impl=\"buckets\"} 1.0\n", tgt.exe,
		 tgt.bi.version);
	if (!strstr(text, want))
		fail_msg("no %s in:\n%s", want, text);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (line[0] != '#' && !strstr(line, "{" PID))
			fail_msg("a series without pid first: %s", line);
	free(text);
}

static void test_per_map_series_are_the_top_n(void **state)
{
	char *text = render(METRICS_PROMETHEUS, RENDER_TOP_MAPS_DEFAULT, NULL), *p;
	int n = 0;

	for (p = text; (p = strstr(p, "\nheaptrace_map_table_bytes{")); p++)
		n++;
	assert_int_equal(n, RENDER_TOP_MAPS_DEFAULT);
	assert_null(strstr(text, "0xc00f000000")); /* freed */
	/* the leaky maps first; the escaped type of the third map */
	assert_true(value_of(text, "heaptrace_map_retained_bytes{" PID ",addr=\"0xc000100000\",type=\"map[int64]int64\","
				   "site=\"main.growLater (/src/mapleak/main.go:65)\",verdict=\"retained\",held_by=\"\"}") ==
		    (40u << 20) - 4096);
	assert_non_null(strstr(text, "addr=\"0xc000300000\",type=\"map[string]string \\\"q\\\"\\\\\",site=\"\","));
	free(text);

	text = render(METRICS_PROMETHEUS, 3, NULL);
	for (n = 0, p = text; (p = strstr(p, "\nheaptrace_map_live_entries{")); p++)
		n++;
	assert_int_equal(n, 3);
	free(text);

	text = render(METRICS_OPENMETRICS, 0, NULL);
	assert_null(strstr(text, "heaptrace_map_"));
	assert_true(has_series(text, "heaptrace_maps_retained_bytes{"));
	free(text);
}

/* Unknown is absent, not 0: the page accounting not found, no smaps sample,
 * no per-hit cost, no madvise call. */
static void test_unknown_figures_are_left_out(void **state)
{
	struct trace_snapshot keep = snap;
	struct ht_figures f = figures;
	struct overhead o = ovh;
	char *text;

	snap.have_heap = snap.have_mem = false;
	memset(f.madvise, 0, sizeof(f.madvise));
	o.cost.measured = false;
	snap.figures = &f;
	snap.overhead = &o;
	text = render(METRICS_PROMETHEUS, RENDER_TOP_MAPS_DEFAULT, NULL);
	snap = keep;
	assert_null(strstr(text, "heaptrace_heap_free_unreleased_bytes"));
	assert_null(strstr(text, "heaptrace_heap_released_bytes"));
	assert_null(strstr(text, "heaptrace_process_rss_bytes"));
	assert_null(strstr(text, "heaptrace_madvise_"));
	assert_null(strstr(text, "heaptrace_overhead_cpu_ratio"));
	assert_true(has_series(text, "heaptrace_gc_cycles_total{"));
	assert_true(has_series(text, "heaptrace_heap_grown_bytes_total{"));
	free(text);
}

/* Host mode renders many targets into one exposition: one family, a series each. */
static void test_two_targets_share_each_family(void **state)
{
	struct trace_snapshot other = snap;
	struct target t2 = tgt;
	const struct trace_snapshot *v[] = { &snap, &other };
	char *text;
	size_t len;

	t2.pid = 4343;
	other.target = &t2;
	assert_int_equal(render_metrics_text(v, 2, 5, METRICS_PROMETHEUS, &text, &len), 0);
	check_prometheus_text(tmpdir, text, len);
	assert_true(value_of(text, "heaptrace_gc_cycles_total{pid=\"4343\"}") == 17);
	assert_non_null(strstr(text, "heaptrace_gc_cycles_total{" PID "} 17\nheaptrace_gc_cycles_total{pid=\"4343\"} 17\n"));
	free(text);
}

static void write_profile(const char *path)
{
	const struct trace_snapshot *one[1] = { &snap };
	struct pprof_builder *b = render_pprof(one, 1);

	if (!b || pprof_write_file(b, path))
		fail_msg("render_pprof: %s", ht_last_error());
	pprof_free(b);
}

static void test_pprof_reads_back_with_go_tool_pprof(void **state)
{
	char path[160], *out, want[512];

	snprintf(path, sizeof(path), "%s/maps.pb.gz", tmpdir);
	write_profile(path);
	out = check_pprof_view(tmpdir, path, "-raw", NULL);
	assert_non_null(strstr(out, "PeriodType: space bytes\nPeriod: 1\n"));
	assert_non_null(strstr(out, "maps/count table_space/bytes retained_space/bytes[dflt]\n"));
	/* the grown map: its stack from main.growLater on, the runtime's frames dropped */
	snprintf(want, sizeof(want), " 1   %" PRIu64 "   %" PRIu64 ": 1 2 \n", (uint64_t)40 << 20,
		 ((uint64_t)40 << 20) - 4096);
	if (!strstr(out, want))
		fail_msg("no sample \"%s\" in:\n%s", want, out);
	snprintf(want, sizeof(want), "     1: %#" PRIx64 " M=1 main.growLater ", grow_caller);
	if (!strstr(out, want))
		fail_msg("no location \"%s\" in:\n%s", want, out);
	assert_non_null(strstr(out, "     2: "));
	assert_non_null(strstr(out, " main.main "));
	assert_null(strstr(out, "runtime.hashGrow"));
	assert_null(strstr(out, "runtime.mapassign"));
	/* grown before attach: its holder, else its type */
	assert_non_null(strstr(out, "     3: 0x0 main.leaky :0:0 s=0\n"));
	if (!strstr(out, " map[string]string \"q\"\\ grown before attach :0:0 s=0\n"))
		fail_msg("no frame for a map known by its type in:\n%s", out);
	assert_non_null(strstr(out, "addr:[0xc000100000] site:[main.growLater (/src/mapleak/main.go:65)] "
				    "type:[map[int64]int64] verdict:[retained]"));
	/* the peak seen, not the 40 its table implies; 40 MiB of 208-byte
	 * buckets: 2^B = 25206 -> tables 25206, 8 slots each */
	assert_non_null(strstr(out, "capacity:[201648 count] live:[10 count] peak:[10 count]"));
	assert_null(strstr(out, "0xc00f000000")); /* freed */
	assert_non_null(strstr(out, "[FN][FL][LN][IN]"));
	free(out);

	out = check_pprof_view(tmpdir, path, "-top", "-sample_index=table_space");
	assert_non_null(strstr(out, "Type: table_space\n"));
	assert_non_null(strstr(out, "main.growLater\n"));
	free(out);
	out = check_pprof_view(tmpdir, path, "-top", NULL);
	assert_non_null(strstr(out, "Type: retained_space\n"));
	assert_non_null(strstr(out, "main.leaky\n"));
	free(out);
}

static uint64_t cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/*
 * What an interval's rendering costs the session's thread with many maps:
 * 100,000 followed maps, a fifth of them with a 16-frame growth stack. The
 * numbers are printed (the measurement: CPU time of this thread, and wall
 * time, which a loaded machine inflates); the bound is loose.
 */
static void test_render_time_with_many_maps(void **state)
{
	const struct trace_snapshot *v[] = { &snap };
	size_t keep = maps.n, i, len;
	uint64_t c[4], t[4];
	struct pprof_builder *b;
	char *text;
	void *gz;
	int k;

	for (i = 0; maps.n < maps.cap && i < 100000; i++) {
		struct tracked_map *m = add_map(0xd000000000 + 0x1000 * (uint64_t)i, i % 977, (40u + i % 1000) << 10,
						16u << 10, "map[string]*main.session", i % 3 ? "global main.cache" : "");

		if (i % 5 == 0) {
			for (k = 0; k < 16; k++)
				m->stack[k] = (k ? grow_caller : grow_leaf) + (uint64_t)(i % 64);
			m->nstack = 16;
		}
	}
	c[0] = cpu_ns(), t[0] = monotonic_ns();
	assert_int_equal(render_metrics_text(v, 1, RENDER_TOP_MAPS_DEFAULT, METRICS_PROMETHEUS, &text, &len), 0);
	free(text);
	c[1] = cpu_ns(), t[1] = monotonic_ns();
	assert_int_equal(render_metrics_text(v, 1, RENDER_TOP_MAPS_DEFAULT, METRICS_OPENMETRICS, &text, &len), 0);
	free(text);
	c[2] = cpu_ns(), t[2] = monotonic_ns();
	b = render_pprof(v, 1);
	assert_non_null(b);
	assert_int_equal(pprof_serialize(b, &gz, &len), 0);
	c[3] = cpu_ns(), t[3] = monotonic_ns();
	print_message("render with %zu maps, CPU (wall) ms: metrics %.1f (%.1f), OpenMetrics %.1f (%.1f), "
		      "pprof %.1f (%.1f), %zu bytes gzipped\n",
		      maps.n, (double)(c[1] - c[0]) / 1e6, (double)(t[1] - t[0]) / 1e6, (double)(c[2] - c[1]) / 1e6,
		      (double)(t[2] - t[1]) / 1e6, (double)(c[3] - c[2]) / 1e6, (double)(t[3] - t[2]) / 1e6, len);
	free(gz);
	pprof_free(b);
	maps.n = keep;
	assert_true(c[3] - c[0] < 1000000000ull);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_prometheus_text_passes_promtool),
		cmocka_unit_test(test_openmetrics_text_passes_parsers),
		cmocka_unit_test(test_metrics_equal_the_json_report),
		cmocka_unit_test(test_target_info_and_pid_on_every_series),
		cmocka_unit_test(test_per_map_series_are_the_top_n),
		cmocka_unit_test(test_unknown_figures_are_left_out),
		cmocka_unit_test(test_two_targets_share_each_family),
		cmocka_unit_test(test_pprof_reads_back_with_go_tool_pprof),
		cmocka_unit_test(test_render_time_with_many_maps),
	};

	if (getenv("HT_TEST_FILTER")) /* e.g. "*render_time*" */
		cmocka_set_test_filter(getenv("HT_TEST_FILTER"));
	return cmocka_run_group_tests(tests, fixture_setup, fixture_teardown);
}
