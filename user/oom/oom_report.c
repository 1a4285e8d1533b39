// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <stdlib.h>
#include <string.h>
#include "oom/oom_report.h"
#include "report/json_text.h"
#include "report/report.h"
#include "util/monotonic.h"
#include "util/textsafe.h"

static json_t *jint(uint64_t v)
{
	return json_integer((json_int_t)v);
}

static json_t *jmaybe(bool have, uint64_t v)
{
	return have ? jint(v) : json_null();
}

void oom_wall_clock(uint64_t mono_ns, struct timespec *out)
{
	uint64_t now = monotonic_ns(), ago = now > mono_ns ? now - mono_ns : 0;
	struct timespec real;
	int64_t ns;

	clock_gettime(CLOCK_REALTIME, &real);
	ns = (int64_t)real.tv_sec * 1000000000ll + real.tv_nsec - (int64_t)ago;
	out->tv_sec = (time_t)(ns / 1000000000ll);
	out->tv_nsec = (long)(ns % 1000000000ll);
}

static const char *reason(const struct oom_event *ev)
{
	if (!ev->have_cg)
		return NULL;
	return ev->cg.limit_reached ? "memory cgroup limit" : "system out of memory";
}

void oom_killer_words(const struct oom_event *ev, char *buf, size_t len)
{
	char b[32];

	if (ev->have_cg && ev->cg.limit_reached)
		snprintf(buf, len, "the OOM killer (memory cgroup limit %s)", oom_bytes(b, sizeof(b), ev->cg.at.limit));
	else if (ev->have_cg)
		snprintf(buf, len, "the OOM killer (the system was out of memory: its memory cgroup was under its limit)");
	else
		snprintf(buf, len, "the OOM killer (its memory cgroup could not be read: %s)", ev->cg.why);
}

static json_t *victim_json(const struct oom_event *ev, const struct trace_snapshot *r)
{
	json_t *o = json_object();

	json_object_set_new(o, "pid", json_integer(ev->pid));
	json_object_set_new(o, "tid", json_integer(ev->tid));
	json_object_set_new(o, "comm", json_text(ev->comm));
	json_object_set_new(o, "uid", ev->uid == HT_OOM_UID_UNKNOWN ? json_null() : jint(ev->uid));
	json_object_set_new(o, "killer_pid", json_integer(ev->killer));
	if (r && r->labels) {
		json_object_set_new(o, "container_id",
				    r->labels->container_id[0] ? json_text(r->labels->container_id) : json_null());
		json_object_set_new(o, "pod_uid", r->labels->pod_uid[0] ? json_text(r->labels->pod_uid) : json_null());
	}
	return o;
}

/* What the record cannot say, in words. */
static json_t *limitations_json(const struct oom_event *ev)
{
	json_t *a = json_array();
	char buf[512];

	if (!ev->traced)
		json_array_append_new(a, json_string("heaptrace had not attached to the process when it was killed: "
						     "no heap, map, GC or release figures"));
	else if (!ev->maps_known)
		json_array_append_new(a, json_string("killed before heaptrace walked its heap: maps that grew before "
						     "heaptrace attached are missing (those grown while traced are listed)"));
	if (ev->traced && !ev->reread_maps) {
		snprintf(buf, sizeof(buf), "the process could not be read after the kill: its maps are as read %.0f ms "
			 "before it", (double)ev->figures_age_ns / 1e6);
		json_array_append_new(a, json_string(buf));
	}
	if (ev->traced && !ev->have_heap)
		json_array_append_new(a, json_string("the Go runtime's page accounting was not read before the kill"));
	if (ev->traced && !ev->have_mem)
		json_array_append_new(a, json_string("the process's RSS was not read before the kill"));
	if (!ev->have_cg || ev->cg.why[0]) {
		snprintf(buf, sizeof(buf), "memory cgroup: %s", ev->cg.why);
		json_array_append_new(a, json_text(buf));
	}
	return a;
}

static json_t *oom_json(const struct oom_event *ev, const struct trace_snapshot *r)
{
	const struct memcg_level *at = &ev->cg.at;
	json_t *o = json_object(), *reread = json_object(), *parts = json_object();
	bool cg = ev->have_cg;

	json_object_set_new(o, "killed_at", json_time(&ev->killed_at));
	json_object_set_new(o, "cgroup", cg ? json_text(ev->cg.limited) : json_null());
	json_object_set_new(o, "limit_bytes", jmaybe(cg && at->have_limit && !at->unlimited, at->limit));
	json_object_set_new(o, "usage_bytes", jmaybe(cg && at->have_usage, at->usage));
	json_object_set_new(o, "reason", reason(ev) ? json_string(reason(ev)) : json_null());
	json_object_set_new(o, "peak_usage_bytes", jmaybe(cg && at->have_peak, at->peak));
	json_object_set_new(o, "limit_hits", jmaybe(cg && at->have_failcnt, at->failcnt));
	json_object_set_new(o, "cgroup_oom_kills", jmaybe(cg && at->have_oom_kills, at->oom_kills));
	json_object_set_new(o, "process_cgroup", ev->cg.cgroup[0] ? json_text(ev->cg.cgroup) : json_null());
	json_object_set_new(o, "cgroup_version", ev->cg.version ? json_integer(ev->cg.version) : json_null());
	json_object_set_new(o, "victim", victim_json(ev, r));
	/* followed through its trace: not known of a process heaptrace did not trace */
	json_object_set_new(o, "sigkill_delivered", ev->traced ? json_boolean(ev->sigkill_seen) : json_null());
	json_object_set_new(o, "exited", ev->traced ? json_boolean(ev->exited) : json_null());
	json_object_set_new(o, "died", ev->traced ? json_boolean(ev->sigkill_seen && ev->exited) : json_null());
	json_object_set_new(o, "traced", json_boolean(ev->traced));
	json_object_set_new(reread, "maps", json_boolean(ev->reread_maps));
	json_object_set_new(reread, "heap", json_boolean(ev->reread_heap));
	json_object_set_new(reread, "rss", json_boolean(ev->reread_rss));
	json_object_set_new(o, "read_after_kill", reread);
	json_object_set_new(o, "read_after_kill_ns", ev->traced ? jint(ev->capture_delay_ns) : json_null());
	json_object_set_new(o, "figures_age_ns", ev->traced ? jint(ev->figures_age_ns) : json_null());
	json_object_set_new(o, "heap_figures_age_ns",
			    ev->traced ? jint(ev->reread_heap ? 0 : ev->heap_age_ns) : json_null());
	json_object_set_new(o, "reads_at_limit", ev->traced ? jint(ev->pressure_reads) : json_null());
	json_object_set_new(o, "verdict", json_text(ev->verdict.text));
	json_object_set_new(o, "verdict_kind", json_string(oom_verdict_kind_name(ev->verdict.kind)));
	json_object_set_new(parts, "heap_in_use", jmaybe(ev->verdict.kind != OOM_VERDICT_UNKNOWN, ev->verdict.in_use));
	json_object_set_new(parts, "heap_free_unreleased",
			    jmaybe(ev->verdict.kind != OOM_VERDICT_UNKNOWN, ev->verdict.free));
	json_object_set_new(parts, "other", jmaybe(ev->verdict.kind != OOM_VERDICT_UNKNOWN, ev->verdict.other));
	json_object_set_new(o, "verdict_bytes", parts);
	json_object_set_new(o, "maps_sorted_by", json_string("table_bytes"));
	json_object_set_new(o, "limitations", limitations_json(ev));
	json_object_set_new(o, "record", ev->base[0] ? json_sprintf("%s.json", ev->base) : json_null());
	return o;
}

static int by_table(const void *a, const void *b)
{
	json_int_t x = json_integer_value(json_object_get(*(json_t *const *)a, "table_bytes"));
	json_int_t y = json_integer_value(json_object_get(*(json_t *const *)b, "table_bytes"));

	return x > y ? -1 : x < y;
}

/* At an OOM kill the question is what held the memory: the largest table
 * first (the report's usual order is by retained bytes). */
static void maps_by_table(json_t *root)
{
	json_t *maps = json_object_get(root, "maps"), **v;
	size_t i, n = json_array_size(maps);

	if (n < 2 || !(v = calloc(n, sizeof(*v))))
		return;
	for (i = 0; i < n; i++)
		v[i] = json_incref(json_array_get(maps, i));
	qsort(v, n, sizeof(*v), by_table);
	json_array_clear(maps);
	for (i = 0; i < n; i++)
		json_array_append_new(maps, v[i]);
	free(v);
}

void oom_report_json(json_t *root, const struct trace_snapshot *r)
{
	if (!r->oom)
		return;
	json_object_set_new(root, "oom", oom_json(r->oom, r));
	maps_by_table(root);
}

void oom_report_text(FILE *out, const struct oom_event *ev, const char *exe)
{
	char who[512];

	oom_killer_words(ev, who, sizeof(who));
	if (exe)
		fprintf(out, "heaptrace: the OOM killer chose pid %d (%s)\n", ev->pid, tsafe(exe));
	if (ev->verdict.text[0])
		fprintf(out, "heaptrace: OOM verdict: %s\n", tsafe(ev->verdict.text));
	if (ev->written)
		fprintf(out, "heaptrace: post-mortem record: %s.json\n", tsafe(ev->base));
	if (ev->error[0])
		fprintf(out, "heaptrace: the post-mortem record %s: %s\n",
			ev->written ? "is written without its map profile" : "could not be written", tsafe(ev->error));
	/* last: the line a script looks for */
	fprintf(out, "heaptrace: pid %d was killed by %s\n", ev->pid, who);
	fflush(out);
}
