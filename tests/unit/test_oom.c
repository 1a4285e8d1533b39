// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The OOM post-mortem's parts without a kill: the verdict's rules, the
 * record directory's names and bounds, the memory cgroup readers (on cgroup
 * files and kernel records made up here), and the kill in the reports (the
 * JSON report's `oom`, heaptrace_oom_kills_total) on a fixture snapshot of
 * a real Go binary. No root needed.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include <jansson.h>
#include "export/render_metrics.h"
#include "oom/memcg.h"
#include "oom/oom_event.h"
#include "oom/oom_verdict.h"
#include "oom/postmortem_dir.h"
#include "report/report.h"
#include "util/log.h"

#define MiB (1ull << 20)

static char tmpdir[] = "/tmp/ht-oom-XXXXXX";

static bool contains(const char *haystack, const char *needle)
{
	if (!strstr(haystack, needle)) {
		print_error("--- not found: %s\n--- in:\n%s\n", needle, haystack);
		return false;
	}
	return true;
}

static void write_file(const char *dir, const char *name, const char *text)
{
	char path[PATH_MAX + 160];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void write_size(const char *dir, const char *name, size_t len)
{
	char *buf = calloc(1, len + 1);

	assert_non_null(buf);
	memset(buf, 'x', len);
	write_file(dir, name, buf);
	free(buf);
}

static bool exists(const char *dir, const char *name)
{
	char path[PATH_MAX + 160];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return access(path, F_OK) == 0;
}

static void fresh_dir(char *out, size_t len, const char *name)
{
	char cmd[PATH_MAX + 16];

	snprintf(out, len, "%s/%s", tmpdir, name);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", out);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(mkdir(out, 0755), 0);
}

/* ---- the verdict ---- */

static struct oom_verdict_in cgroup_limit(uint64_t limit)
{
	return (struct oom_verdict_in){ .have_total = true, .total = limit,
					.total_what = "that reached the memory cgroup's limit", .have_heap = true,
					.maps_known = true };
}

static void test_verdict_live_heap_names_the_largest_maps(void **state)
{
	struct oom_verdict_in in = cgroup_limit(160 * MiB);
	struct oom_verdict v;

	in.heap_in_use = 140 * MiB;
	in.heap_free = 6 * MiB;
	in.maps_table_bytes = 120 * MiB;
	in.nmaps = 2;
	in.maps[0] = (struct oom_verdict_map){ .type = "map[int64]main.value", .site = "main.fill (main.go:30)",
					       .table_bytes = 112 * MiB, .grows = 14 };
	in.maps[1] = (struct oom_verdict_map){ .type = NULL, .site = "global main.cache", .table_bytes = 8 * MiB };
	oom_verdict_decide(&in, &v);
	assert_int_equal(v.kind, OOM_VERDICT_LIVE_HEAP);
	assert_string_equal(oom_verdict_kind_name(v.kind), "live_heap_growth");
	assert_int_equal(v.in_use, 140 * MiB);
	assert_int_equal(v.free, 6 * MiB);
	assert_int_equal(v.other, 14 * MiB);
	assert_true(contains(v.text, "live heap growth: the Go heap had 140 MiB in use of the 160 MiB that reached the memory cgroup's limit"));
	assert_true(contains(v.text, "maps hold 120 MiB of table"));
	assert_true(contains(v.text, "map[int64]main.value, main.fill (main.go:30), 112 MiB of table, grown 14 times while traced"));
	assert_true(contains(v.text, "; a map, global main.cache, 8 MiB of table"));
}

static void test_verdict_free_heap_not_released(void **state)
{
	struct oom_verdict_in in = cgroup_limit(512 * MiB);
	struct oom_verdict v;

	in.heap_in_use = 100 * MiB;
	in.heap_free = 300 * MiB;
	oom_verdict_decide(&in, &v);
	assert_int_equal(v.kind, OOM_VERDICT_FREE_HEAP);
	assert_string_equal(oom_verdict_kind_name(v.kind), "free_heap_not_released");
	assert_true(contains(v.text, "free heap not yet released: 300 MiB of the Go heap was free but not returned to the OS"));
	assert_true(contains(v.text, "GOMEMLIMIT"));
}

static void test_verdict_memory_that_is_not_go(void **state)
{
	struct oom_verdict_in in = cgroup_limit(1ull << 30);
	struct oom_verdict v;

	in.heap_in_use = 100 * MiB;
	in.heap_free = 20 * MiB;
	oom_verdict_decide(&in, &v);
	assert_int_equal(v.kind, OOM_VERDICT_NOT_GO);
	assert_int_equal(v.other, (1ull << 30) - 120 * MiB);
	assert_true(contains(v.text, "memory that is not Go's: of the 1 GiB that reached the memory cgroup's limit, the Go heap held 120 MiB"));
	assert_true(contains(v.text, "the other 904 MiB"));
}

static void test_verdict_ties_go_to_the_live_heap(void **state)
{
	struct oom_verdict_in in = cgroup_limit(300 * MiB);
	struct oom_verdict v;

	in.heap_in_use = 100 * MiB;
	in.heap_free = 100 * MiB;
	oom_verdict_decide(&in, &v);
	assert_int_equal(v.kind, OOM_VERDICT_LIVE_HEAP);
}

static void test_verdict_unknown_without_page_accounting(void **state)
{
	struct oom_verdict_in in = cgroup_limit(160 * MiB);
	struct oom_verdict v;

	in.have_heap = false;
	oom_verdict_decide(&in, &v);
	assert_int_equal(v.kind, OOM_VERDICT_UNKNOWN);
	assert_string_equal(oom_verdict_kind_name(v.kind), "unknown");
	assert_true(contains(v.text, "page accounting was not read before the kill"));
}

static void test_verdict_heap_larger_than_the_limit(void **state)
{
	struct oom_verdict_in in = cgroup_limit(160 * MiB);
	struct oom_verdict v;

	/* a doubling bucket map: its new table allocated, not all touched */
	in.heap_in_use = 194 * MiB;
	in.age_ns = 32000000;
	oom_verdict_decide(&in, &v);
	assert_int_equal(v.kind, OOM_VERDICT_LIVE_HEAP);
	assert_int_equal(v.other, 0);
	assert_true(contains(v.text, "194 MiB in use, more than the 160 MiB that reached the memory cgroup's limit"));
	assert_true(contains(v.text, "(heap figures from 32 ms before the kill)"));
}

static void test_verdict_says_why_no_map_is_named(void **state)
{
	struct oom_verdict_in in = cgroup_limit(160 * MiB);
	struct oom_verdict v;

	in.heap_in_use = 150 * MiB;
	oom_verdict_decide(&in, &v);
	assert_true(contains(v.text, "no map holds 32 KiB or more"));
	in.maps_known = false;
	in.age_ns = 2500000000ull;
	oom_verdict_decide(&in, &v);
	assert_true(contains(v.text, "no map is known: the process was killed before heaptrace walked its heap"));
	assert_true(contains(v.text, "(heap figures from 2.5 s before the kill: the heap may have grown since)"));
}

static void test_verdict_without_cgroup_uses_the_heap(void **state)
{
	struct oom_verdict_in in = { .have_heap = true, .heap_in_use = 10 * MiB, .heap_free = 50 * MiB };
	struct oom_verdict v;

	oom_verdict_decide(&in, &v);
	assert_int_equal(v.kind, OOM_VERDICT_FREE_HEAP);
	assert_int_equal(v.other, 0);
}

static void test_bytes_as_a_limit_is_written(void **state)
{
	char b[32];

	assert_string_equal(oom_bytes(b, sizeof(b), 160 * MiB), "160 MiB");
	assert_string_equal(oom_bytes(b, sizeof(b), 2ull << 30), "2 GiB");
	assert_string_equal(oom_bytes(b, sizeof(b), 160 * MiB + 4096), "160.0 MiB");
	assert_string_equal(oom_bytes(b, sizeof(b), 0), "0 B");
}

/* ---- the record directory ---- */

static void test_record_names(void **state)
{
	struct timespec t = { .tv_sec = 1796547424, .tv_nsec = 123456789 }; /* 2026-12-06T08:57:04.123Z */
	char base[PATH_MAX], name[PATH_MAX];

	assert_int_equal(postmortem_base(base, sizeof(base), "/var/lib/heaptrace/oom", 4242, &t), 0);
	assert_string_equal(base, "/var/lib/heaptrace/oom/heaptrace-oom-4242-20261206T085704.123Z");
	snprintf(name, sizeof(name), "%s.json", strrchr(base, '/') + 1);
	assert_int_equal(postmortem_name_base(name), strlen("heaptrace-oom-4242-20261206T085704.123Z"));
	snprintf(name, sizeof(name), "%s.pb.gz", strrchr(base, '/') + 1);
	assert_int_equal(postmortem_name_base(name), strlen("heaptrace-oom-4242-20261206T085704.123Z"));
	/* not heaptrace's: never counted, never removed */
	assert_int_equal(postmortem_name_base("heaptrace-oom-4242-20261206T085704.123Z.json.Ab12Cd"), 0);
	assert_int_equal(postmortem_name_base("heaptrace-oom-x-20261206T085704.123Z.json"), 0);
	assert_int_equal(postmortem_name_base("heaptrace-oom-4242-2026126T085704.123Z.json"), 0);
	assert_int_equal(postmortem_name_base("notes.json"), 0);
	assert_int_equal(postmortem_name_base("heaptrace-oom-4242-20261206T085704.123Z.txt"), 0);
}

static void record(const char *dir, int pid, int second, size_t json_len, size_t pb_len)
{
	char name[128];

	snprintf(name, sizeof(name), "heaptrace-oom-%d-20261206T0857%02d.000Z.json", pid, second);
	write_size(dir, name, json_len);
	if (pb_len) {
		snprintf(name, sizeof(name), "heaptrace-oom-%d-20261206T0857%02d.000Z.pb.gz", pid, second);
		write_size(dir, name, pb_len);
	}
}

static void test_prune_keeps_the_newest_records(void **state)
{
	char dir[PATH_MAX];
	struct prune_result r;
	int i;

	fresh_dir(dir, sizeof(dir), "count");
	/* pids out of time order: the kill's time orders them */
	for (i = 0; i < 10; i++)
		record(dir, 1000 - i, i, 100, 50);
	write_file(dir, "README", "someone else's");
	assert_int_equal(postmortem_prune(dir, 4, 1u << 30, "heaptrace-oom-991-20261206T085709.000Z", &r), 0);
	assert_int_equal(r.removed, 6);
	assert_int_equal(r.kept, 4);
	assert_int_equal(r.kept_bytes, 4 * 150);
	for (i = 0; i < 10; i++) {
		char name[128];

		snprintf(name, sizeof(name), "heaptrace-oom-%d-20261206T0857%02d.000Z.json", 1000 - i, i);
		assert_int_equal(exists(dir, name), i >= 6);
		snprintf(name, sizeof(name), "heaptrace-oom-%d-20261206T0857%02d.000Z.pb.gz", 1000 - i, i);
		assert_int_equal(exists(dir, name), i >= 6);
	}
	assert_true(exists(dir, "README"));
}

static void test_prune_bounds_the_bytes_and_keeps_the_newest(void **state)
{
	char dir[PATH_MAX];
	struct prune_result r;

	fresh_dir(dir, sizeof(dir), "bytes");
	record(dir, 1, 1, 4000, 1000);
	record(dir, 2, 2, 4000, 1000);
	record(dir, 3, 3, 4000, 0);
	assert_int_equal(postmortem_prune(dir, 100, 9000, NULL, &r), 0);
	assert_int_equal(r.removed, 1);
	assert_int_equal(r.kept_bytes, 9000);
	assert_false(exists(dir, "heaptrace-oom-1-20261206T085701.000Z.json"));
	assert_true(exists(dir, "heaptrace-oom-2-20261206T085702.000Z.pb.gz"));
	/* one record larger than the bound: the newest stays */
	record(dir, 4, 4, 20000, 0);
	assert_int_equal(postmortem_prune(dir, 100, 9000, "heaptrace-oom-4-20261206T085704.000Z", &r), 0);
	assert_int_equal(r.kept, 1);
	assert_true(exists(dir, "heaptrace-oom-4-20261206T085704.000Z.json"));
	assert_false(exists(dir, "heaptrace-oom-3-20261206T085703.000Z.json"));
}

static int entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d)))
		n += de->d_name[0] != '.';
	closedir(d);
	return n;
}

static void test_write_is_whole_files_and_bounded(void **state)
{
	char dir[PATH_MAX], base[PATH_MAX], path[PATH_MAX + 16], buf[64];
	struct timespec t = { .tv_sec = 1796547424 };
	int i, fd;
	ssize_t n;

	fresh_dir(dir, sizeof(dir), "write");
	for (i = 0; i < POSTMORTEM_KEEP + 3; i++) {
		t.tv_sec++;
		assert_int_equal(postmortem_base(base, sizeof(base), dir, 100 + i, &t), 0);
		assert_int_equal(postmortem_write(dir, base, "{\"a\": 1}\n", 9, "\x1f\x8b", 2), 0);
	}
	/* the newest POSTMORTEM_KEEP records, each a .json and a .pb.gz, no temporary file left */
	assert_int_equal(entries(dir), 2 * POSTMORTEM_KEEP);
	snprintf(path, sizeof(path), "%s.json", base);
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	n = read(fd, buf, sizeof(buf));
	close(fd);
	assert_int_equal(n, 9);
	assert_int_equal(postmortem_dir_check(dir), 0);
}

static void test_dir_check_creates_and_refuses(void **state)
{
	char dir[PATH_MAX], file[PATH_MAX + 8];
	struct stat st;

	snprintf(dir, sizeof(dir), "%s/created", tmpdir);
	assert_int_equal(postmortem_dir_check(dir), 0);
	assert_int_equal(stat(dir, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	snprintf(file, sizeof(file), "%s/file", tmpdir);
	write_file(tmpdir, "file", "x");
	assert_int_equal(postmortem_dir_check(file), -1);
	assert_true(contains(ht_last_error(), "not a directory"));
	snprintf(file, sizeof(file), "%s/no/such", tmpdir);
	assert_int_equal(postmortem_dir_check(file), -1);
	assert_true(contains(ht_last_error(), "does its parent exist?"));
}

/* ---- memory cgroups ---- */

static void test_memcg_path_of_proc_cgroup(void **state)
{
	char path[256];

	assert_int_equal(memcg_path_of("9:name=systemd:/\n4:memory:/kubepods/pod1/abc\n0::/\n", path, sizeof(path)), 1);
	assert_string_equal(path, "/kubepods/pod1/abc");
	/* controllers named together */
	assert_int_equal(memcg_path_of("3:cpu,memory:/a\n", path, sizeof(path)), 1);
	assert_string_equal(path, "/a");
	/* "memory" only as a whole name */
	assert_int_equal(memcg_path_of("3:memoryx:/a\n0::/system.slice/x.service\n", path, sizeof(path)), 2);
	assert_string_equal(path, "/system.slice/x.service");
	assert_int_equal(memcg_path_of("5:pids:/\n", path, sizeof(path)), 0);
}

static void test_memcg_mount_of_mountinfo(void **state)
{
	char mnt[256], root[256];

	assert_true(memcg_mount_of("35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n", 1, mnt,
				   sizeof(mnt), root, sizeof(root)));
	assert_string_equal(mnt, "/sys/fs/cgroup/memory");
	assert_string_equal(root, "/");
	assert_false(memcg_mount_of("32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n", 1, mnt,
				    sizeof(mnt), root, sizeof(root)));
	/* optional fields before the separator, an escaped space */
	assert_true(memcg_mount_of("41 31 0:38 /kube /host\\040cg rw shared:9 master:2 - cgroup2 cgroup2 rw\n", 2, mnt,
				   sizeof(mnt), root, sizeof(root)));
	assert_string_equal(mnt, "/host cg");
	assert_string_equal(root, "/kube");
	assert_false(memcg_mount_of("41 31 0:38 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n", 1, mnt, sizeof(mnt),
				    root, sizeof(root)));
	assert_false(memcg_mount_of("garbage", 2, mnt, sizeof(mnt), root, sizeof(root)));
}

static void test_memcg_level_files(void **state)
{
	char v1[PATH_MAX], v2[PATH_MAX];
	struct memcg_level lv;

	fresh_dir(v1, sizeof(v1), "v1");
	write_file(v1, "memory.limit_in_bytes", "167772160\n");
	write_file(v1, "memory.usage_in_bytes", "167710720\n");
	write_file(v1, "memory.max_usage_in_bytes", "167772160\n");
	write_file(v1, "memory.failcnt", "325\n");
	write_file(v1, "memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n");
	memcg_read_level(v1, 1, &lv);
	assert_true(lv.have_limit && lv.have_usage && lv.have_peak && lv.have_failcnt && lv.have_oom_kills);
	assert_false(lv.unlimited);
	assert_int_equal(lv.limit, 160 * MiB);
	assert_int_equal(lv.usage, 167710720);
	assert_int_equal(lv.failcnt, 325);
	assert_int_equal(lv.oom_kills, 2);
	write_file(v1, "memory.limit_in_bytes", "9223372036854771712\n");
	memcg_read_level(v1, 1, &lv);
	assert_true(lv.have_limit && lv.unlimited);

	fresh_dir(v2, sizeof(v2), "v2");
	write_file(v2, "memory.max", "max\n");
	write_file(v2, "memory.current", "1048576\n");
	write_file(v2, "memory.events", "low 0\nhigh 0\nmax 7\noom 1\noom_kill 1\noom_group_kill 0\n");
	memcg_read_level(v2, 2, &lv);
	assert_true(lv.have_limit && lv.unlimited);
	assert_false(lv.have_peak); /* no memory.peak before Linux 5.19: absent, not 0 */
	assert_int_equal(lv.failcnt, 7);
	assert_int_equal(lv.oom_kills, 1);
	write_file(v2, "memory.max", "not a number\n");
	memcg_read_level(v2, 2, &lv);
	assert_false(lv.have_limit);
}

static void test_memcg_pick_the_limit_reached(void **state)
{
	struct memcg_level lv[3] = {
		{ .have_limit = true, .unlimited = true, .have_usage = true, .usage = 150 * MiB }, /* the container */
		{ .have_limit = true, .limit = 160 * MiB, .have_usage = true, .usage = 159 * MiB }, /* the pod: reached */
		{ .have_limit = true, .unlimited = true, .have_usage = true, .usage = 3ull << 30 }, /* the root */
	};
	bool reached;

	assert_int_equal(memcg_pick(lv, 3, &reached), 1);
	assert_true(reached);
	/* far under every limit: the nearest limit, not reached */
	lv[1].usage = 20 * MiB;
	assert_int_equal(memcg_pick(lv, 3, &reached), 1);
	assert_false(reached);
	/* a peak at the limit counts, the usage having fallen */
	lv[1].have_peak = true;
	lv[1].peak = 160 * MiB;
	assert_int_equal(memcg_pick(lv, 3, &reached), 1);
	assert_true(reached);
	/* no limit anywhere: the process's own */
	lv[1] = lv[0];
	assert_int_equal(memcg_pick(lv, 3, &reached), 0);
	assert_false(reached);
}

static void test_memcg_from_the_kernels_record(void **state)
{
	struct ht_oom_record r;
	struct memcg_figures f;
	char path[256];

	memset(&r, 0, sizeof(r));
	r.cg_levels = 3;
	r.cg[0] = (struct ht_oom_memcg){ .usage = 40000, .max = (1ull << 63) / 4096, .watermark = 40000, .name = "abc" };
	r.cg[1] = (struct ht_oom_memcg){ .usage = 40960, .max = 40960, .watermark = 40960, .failcnt = 325,
					 .name = "pod1" };
	r.cg[2] = (struct ht_oom_memcg){ .usage = 900000, .max = (1ull << 63) / 4096, .name = "" };
	assert_int_equal(memcg_from_kernel(&r, 4096, &f), 0);
	assert_true(f.limit_reached);
	assert_string_equal(f.cgroup, "/pod1/abc");
	assert_string_equal(f.limited, "/pod1");
	assert_int_equal(f.at.limit, 160 * MiB);
	assert_int_equal(f.at.usage, 160 * MiB);
	assert_int_equal(f.at.failcnt, 325);
	/* what the report's memory.limits says: the lowest limit up the tree */
	assert_int_equal(f.lowest_limit, 160 * MiB);
	assert_true(contains(f.lowest_file, "/pod1"));
	memcg_kernel_path(&r, 2, path, sizeof(path));
	assert_string_equal(path, "/");
	r.cg_more = 1;
	memcg_kernel_path(&r, 0, path, sizeof(path));
	assert_string_equal(path, "/.../pod1/abc");
	r.cg_levels = 0;
	assert_int_equal(memcg_from_kernel(&r, 4096, &f), -1);
	assert_true(contains(f.why, "names no memory cgroup"));
}

/* ---- the kill in the reports ---- */

static struct target tgt;
static struct probe_plan plan;
static struct probe_hits hits[PLAN_MAX_PROBES];
static struct ht_figures figures;
static struct event_tally tally;
static struct map_tracker maps;
static struct overhead ovh;
static struct madvise_probe madv = { .method = "uprobe" };
static struct trace_snapshot snap;
static struct oom_event ev;

static void add_map(uint64_t addr, uint64_t live, uint64_t table, uint64_t needed, const char *type)
{
	struct tracked_map *m = &maps.v[maps.n++];

	memset(m, 0, sizeof(*m));
	m->m = (struct go_map){ .addr = addr, .live = live, .table_bytes = table, .needed_bytes = needed,
				.slot_bytes = 464, .tables = 1 };
	m->parsed = true;
	m->peak = live;
	snprintf(m->type, sizeof(m->type), "%s", type);
}

static int setup(void **state)
{
	const char *dir = getenv("HT_TARGETS");
	char path[2100];

	if (!dir || !mkdtemp(tmpdir))
		fail_msg("HT_TARGETS is not set (run through 'make unit') or no temporary directory");
	snprintf(path, sizeof(path), "%s/go119-oomgrow", dir);
	if (target_from_file(&tgt, path) || plan_probes(&tgt, HT_TIER_WARM, &plan))
		fail_msg("%s: %s", path, ht_last_error());
	tgt.pid = 4242;
	tally = (struct event_tally){ .maps = &maps };
	maps.t = &tgt;
	maps.cap = 8;
	maps.v = calloc(maps.cap, sizeof(*maps.v));
	assert_non_null(maps.v);
	/* retains more, holds less: the usual order puts it first */
	add_map(0xc000100000, 10, 8 * MiB, 4096, "map[int]int");
	add_map(0xc000200000, 850000, 120 * MiB, 118 * MiB, "map[int64]main.value");
	maps.walk_done = true;
	snap = (struct trace_snapshot){ .target = &tgt, .plan = &plan, .hits = hits, .figures = &figures,
					.tally = &tally, .maps = &maps, .overhead = &ovh, .attach_method = "uprobe_multi",
					.madvise = &madv, .duration_ns = 2000000000ull };
	ev = (struct oom_event){ .pid = 4242, .tid = 4243, .killer = 4242, .uid = 0, .comm = "oomgrow",
				 .killed_at = { .tv_sec = 1796547424, .tv_nsec = 123000000 }, .sigkill_seen = true,
				 .exited = true, .traced = true, .have_cg = true, .reread_maps = true,
				 .maps_known = true, .figures_age_ns = 12000000, .have_heap = true, .have_mem = true };
	ev.cg = (struct memcg_figures){ .version = 1, .cgroup = "/oomtest", .limited = "/oomtest",
					.limit_reached = true };
	ev.cg.at = (struct memcg_level){ .have_limit = true, .have_usage = true, .have_peak = true, .limit = 160 * MiB,
					 .usage = 160 * MiB, .peak = 160 * MiB };
	ev.verdict = (struct oom_verdict){ .kind = OOM_VERDICT_LIVE_HEAP, .in_use = 150 * MiB, .text = "live heap growth" };
	return 0;
}

static int teardown(void **state)
{
	char cmd[64];

	free(maps.v);
	target_close(&tgt);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_json_report_has_oom_and_maps_by_table(void **state)
{
	json_t *root, *oom, *m;

	snap.oom = NULL;
	root = report_json_object(&snap);
	assert_null(json_object_get(root, "oom"));
	/* without a kill: by retained bytes */
	assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(root, "maps"), 0), "type")),
			    "map[int]int");
	json_decref(root);

	snap.oom = &ev;
	root = report_json_object(&snap);
	oom = json_object_get(root, "oom");
	assert_non_null(oom);
	assert_string_equal(json_string_value(json_object_get(oom, "killed_at")), "2026-12-06T08:57:04.123Z");
	assert_string_equal(json_string_value(json_object_get(oom, "cgroup")), "/oomtest");
	assert_int_equal(json_integer_value(json_object_get(oom, "limit_bytes")), 160 * MiB);
	assert_int_equal(json_integer_value(json_object_get(oom, "usage_bytes")), 160 * MiB);
	assert_string_equal(json_string_value(json_object_get(oom, "reason")), "memory cgroup limit");
	assert_string_equal(json_string_value(json_object_get(oom, "verdict_kind")), "live_heap_growth");
	assert_true(json_is_true(json_object_get(oom, "died")));
	assert_int_equal(json_array_size(json_object_get(oom, "limitations")), 0);
	/* a figure not read is null, never 0 */
	assert_true(json_is_null(json_object_get(oom, "cgroup_oom_kills")));
	/* at a kill: by table bytes, the memory they held */
	m = json_array_get(json_object_get(root, "maps"), 0);
	assert_string_equal(json_string_value(json_object_get(m, "type")), "map[int64]main.value");
	json_decref(root);

	/* what the record cannot see, it says */
	ev.maps_known = false;
	ev.reread_maps = false;
	root = report_json_object(&snap);
	oom = json_object_get(root, "oom");
	assert_int_equal(json_array_size(json_object_get(oom, "limitations")), 2);
	assert_true(contains(json_string_value(json_array_get(json_object_get(oom, "limitations"), 0)),
			     "killed before heaptrace walked its heap"));
	assert_true(contains(json_string_value(json_array_get(json_object_get(oom, "limitations"), 1)),
			     "its maps are as read 12 ms before it"));
	json_decref(root);
	ev.maps_known = ev.reread_maps = true;
	snap.oom = NULL;
}

static char *metrics(const struct trace_snapshot *const *v, size_t n)
{
	char *text;
	size_t len;

	if (render_metrics_text(v, n, 20, METRICS_PROMETHEUS, &text, &len))
		fail_msg("render: %s", ht_last_error());
	return text;
}

static void test_metric_counts_the_kill_and_outlives_the_process(void **state)
{
	const struct trace_snapshot *v[] = { &snap };
	char *text;

	snap.oom = NULL;
	text = metrics(v, 1);
	assert_true(contains(text, "# TYPE heaptrace_oom_kills_total counter\n"));
	assert_true(contains(text, "heaptrace_oom_kills_total{pid=\"4242\"} 0\n"));
	free(text);
	snap.oom = &ev;
	text = metrics(v, 1);
	assert_true(contains(text, "heaptrace_oom_kills_total{pid=\"4242\"} 1\n"));
	assert_true(contains(text, "heaptrace_gc_cycles_total{pid=\"4242\"}"));
	free(text);
	/* host mode, the process gone: its kill's series alone */
	snap.gone = true;
	text = metrics(v, 1);
	assert_true(contains(text, "heaptrace_oom_kills_total{pid=\"4242\"} 1\n"));
	assert_null(strstr(text, "heaptrace_gc_cycles_total"));
	assert_null(strstr(text, "heaptrace_target_info"));
	free(text);
	snap.gone = false;
	snap.oom = NULL;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_verdict_live_heap_names_the_largest_maps),
		cmocka_unit_test(test_verdict_free_heap_not_released),
		cmocka_unit_test(test_verdict_memory_that_is_not_go),
		cmocka_unit_test(test_verdict_ties_go_to_the_live_heap),
		cmocka_unit_test(test_verdict_unknown_without_page_accounting),
		cmocka_unit_test(test_verdict_heap_larger_than_the_limit),
		cmocka_unit_test(test_verdict_says_why_no_map_is_named),
		cmocka_unit_test(test_verdict_without_cgroup_uses_the_heap),
		cmocka_unit_test(test_bytes_as_a_limit_is_written),
		cmocka_unit_test(test_record_names),
		cmocka_unit_test(test_prune_keeps_the_newest_records),
		cmocka_unit_test(test_prune_bounds_the_bytes_and_keeps_the_newest),
		cmocka_unit_test(test_write_is_whole_files_and_bounded),
		cmocka_unit_test(test_dir_check_creates_and_refuses),
		cmocka_unit_test(test_memcg_path_of_proc_cgroup),
		cmocka_unit_test(test_memcg_mount_of_mountinfo),
		cmocka_unit_test(test_memcg_level_files),
		cmocka_unit_test(test_memcg_pick_the_limit_reached),
		cmocka_unit_test(test_memcg_from_the_kernels_record),
		cmocka_unit_test(test_json_report_has_oom_and_maps_by_table),
		cmocka_unit_test(test_metric_counts_the_kill_and_outlives_the_process),
	};

	return cmocka_run_group_tests_name("oom", tests, setup, teardown);
}
