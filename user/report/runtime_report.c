// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <stdint.h>
#include <string.h>
#include "report/hist_print.h"
#include "report/json_text.h"
#include "report/runtime_report.h"
#include "trace/figures.h"
#include "util/textsafe.h"

#define FMT(kind, v) fmt_##kind((char[32]){ 0 }, 32, (v))

static json_t *jint(uint64_t v)
{
	return json_integer((json_int_t)v);
}

size_t runtime_advice(const struct runtime_watch *w, const struct target *t, struct advice *out, size_t max)
{
	const struct runtime_state *s = &w->now;
	struct advice_in in = { .ver = t->bi.ver, .thp_max_ptes_none = w->thp_max_ptes_none,
				.thp_enabled = w->thp_enabled[0] ? w->thp_enabled : NULL };

	if (!w->have_now)
		return 0;
	if (s->have_controller) {
		const struct rt_gccontroller *c = &s->gc;
		uint64_t heap_alloc = c->total_alloc - c->total_free;

		in.have_settings = true;
		in.gogc = c->gogc;
		in.gomemlimit = c->memory_limit;
		in.heap_marked = c->heap_marked;
		/* what memoryLimitHeapGoal counts besides heap objects and free heap */
		in.non_heap = c->mapped_ready - c->heap_free - heap_alloc;
	}
	in.have_memory = runtime_watch_memory(w, &in.mem);
	in.heap_released = s->classes.heap_released;
	in.have_cgroup = w->have_cgroup;
	in.cgroup_limit = w->cgroup.bytes;
	return advice_compute(&in, out, max);
}

void runtime_gc_json(json_t *gc, const struct runtime_watch *w, bool no_probes)
{
	bool ms = w && w->have_now, ctl = ms && w->now.have_controller;
	const struct runtime_state *s = w ? &w->now : NULL;

	if (ms) {
		json_t *since = json_object(), *recent = json_array();
		uint64_t p[GO_PAUSE_HISTORY];
		size_t i, n = rt_recent_pauses(&s->ms, p, GO_PAUSE_HISTORY);

		for (i = 0; i < n; i++)
			json_array_append_new(recent, jint(p[i]));
		json_object_set_new(since, "cycles", jint(runtime_watch_cycles(w)));
		json_object_set_new(since, "forced_cycles", jint(s->ms.numforcedgc));
		json_object_set_new(since, "pause_total_ns", jint(s->ms.pause_total_ns));
		json_object_set_new(since, "recent_pauses_ns", recent);
		json_object_set_new(gc, "since_start", since);
	} else {
		json_object_set_new(gc, "since_start", json_null());
	}
	json_object_set_new(gc, "gogc", ctl ? json_integer(s->gc.gogc) : json_null());
	json_object_set_new(gc, "gomemlimit_bytes", ctl ? json_integer(s->gc.memory_limit) : json_null());
	json_object_set_new(gc, "heap_goal_bytes", ctl ? jint(s->heap_goal) : json_null());
	json_object_set_new(gc, "heap_live_bytes", ctl ? jint(s->gc.heap_marked) : json_null());
	json_object_set_new(gc, "cpu_fraction",
			    ms && s->ms.cpu_fraction_valid ? json_real(s->ms.gc_cpu_fraction) : json_null());
	json_object_set_new(gc, "source", json_string(no_probes ? "runtime_memory" : "probes"));
	if (no_probes) {
		/* the window's collections, from successive readings */
		json_t *win = json_object();

		json_object_set_new(win, "cycles", w && w->window_reads ? jint(w->window.cycles) : json_null());
		json_object_set_new(win, "forced_cycles", w && w->window_reads ? jint(w->window.forced) : json_null());
		json_object_set_new(win, "pause_total_ns",
				    w && w->window_reads ? jint(w->window.pause_total_ns) : json_null());
		json_object_set_new(win, "pauses_read", jint(w ? w->window.pauses.count : 0));
		json_object_set_new(win, "pauses_missed", jint(w ? w->window.pauses_missed : 0));
		json_object_set_new(win, "readings", jint(w ? w->window_reads : 0));
		json_object_set_new(gc, "window", win);
	}
}

static json_t *classes_json(const struct rt_classes *c)
{
	json_t *o = json_object();

	json_object_set_new(o, "heap_objects", jint(c->heap_objects));
	json_object_set_new(o, "heap_unused", jint(c->heap_unused));
	json_object_set_new(o, "heap_free", jint(c->heap_free));
	json_object_set_new(o, "heap_released", jint(c->heap_released));
	json_object_set_new(o, "heap_stacks", jint(c->heap_stacks));
	json_object_set_new(o, "os_stacks", jint(c->os_stacks));
	json_object_set_new(o, "metadata", jint(c->metadata));
	json_object_set_new(o, "other", jint(c->other));
	json_object_set_new(o, "total", jint(c->total));
	return o;
}

void runtime_memory_json(json_t *m, const struct runtime_watch *w)
{
	bool ms = w && w->have_now, ctl = ms && w->now.have_controller;
	struct rt_memory split;
	bool have = w && runtime_watch_memory(w, &split);
	json_t *limits = json_object();

	json_object_set_new(m, "classes", ms ? classes_json(&w->now.classes) : json_null());
	json_object_set_new(m, "go_bytes", have ? jint(split.go_bytes) : json_null());
	json_object_set_new(m, "go_bytes_source",
			    have ? json_string(split.go_measured ? "vma_names" : "runtime_accounting") : json_null());
	json_object_set_new(m, "executable_bytes", have ? jint(split.exe_bytes) : json_null());
	json_object_set_new(m, "not_go_bytes", have ? jint(split.not_go_bytes) : json_null());
	json_object_set_new(m, "released_resident_bytes", have ? jint(split.released_resident) : json_null());
	json_object_set_new(m, "released_lazyfree_bytes", have ? jint(split.released_lazyfree) : json_null());
	json_object_set_new(m, "released_huge_bytes", have ? jint(split.released_huge) : json_null());
	json_object_set_new(m, "anon_huge_bytes", w && w->have_smaps ? jint(w->smaps.all.anon_huge) : json_null());
	/* a limit that is not set is null; one that could not be read too,
	 * with the reason */
	json_object_set_new(limits, "cgroup_bytes",
			    w && w->have_cgroup && w->cgroup.bytes ? jint(w->cgroup.bytes) : json_null());
	json_object_set_new(limits, "cgroup_file", w && w->have_cgroup ? json_text(w->cgroup.file) : json_null());
	if (w && !w->have_cgroup && w->cgroup_why[0])
		json_object_set_new(limits, "cgroup_unknown", json_text(w->cgroup_why));
	json_object_set_new(limits, "gomemlimit_bytes",
			    ctl && w->now.gc.memory_limit != INT64_MAX ? json_integer(w->now.gc.memory_limit)
								      : json_null());
	json_object_set_new(m, "limits", limits);
}

json_t *runtime_advice_json(const struct runtime_watch *w, const struct target *t)
{
	struct advice adv[ADVICE_MAX];
	size_t i, n = w ? runtime_advice(w, t, adv, ADVICE_MAX) : 0;
	json_t *a = json_array();

	for (i = 0; i < n; i++) {
		json_t *o = json_object();

		json_object_set_new(o, "kind", json_string(adv[i].kind));
		json_object_set_new(o, "value", jint(adv[i].value));
		json_object_set_new(o, "text", json_text(adv[i].text));
		json_array_append_new(a, o);
	}
	return a;
}

json_t *runtime_state_json(const struct runtime_watch *w)
{
	json_t *o = json_object();
	const struct runtime_state_reader *r = w ? &w->reader : NULL;

	json_object_set_new(o, "available", json_boolean(w && w->have_now));
	json_object_set_new(o, "memstats_found_by", r && r->memstats ? json_string(r->memstats_how) : json_null());
	json_object_set_new(o, "gccontroller_found_by",
			    r && r->controller ? json_string(r->controller_how) : json_null());
	json_object_set_new(o, "why_not", r && r->why[0] ? json_text(r->why) : json_null());
	json_object_set_new(o, "reads", jint(r ? r->reads : 0));
	json_object_set_new(o, "reads_again", jint(r ? r->retries : 0));
	json_object_set_new(o, "reads_given_up", jint(r ? r->torn : 0));
	return o;
}

/* "GOGC 150, GOMEMLIMIT 400.0 MiB, heap goal 174.8 MiB (live 66.0 MiB), GC CPU 0.4%" */
static void settings_line(FILE *out, const struct runtime_state *s, bool live)
{
	fprintf(out, "runtime   ");
	if (s->have_controller) {
		if (s->gc.gogc < 0)
			fprintf(out, "GOGC off");
		else
			fprintf(out, "GOGC %d", s->gc.gogc);
		if (s->gc.memory_limit == INT64_MAX)
			fprintf(out, ", GOMEMLIMIT none");
		else
			fprintf(out, ", GOMEMLIMIT %s", FMT(bytes, (uint64_t)s->gc.memory_limit));
		fprintf(out, ", %s %s", live ? "goal" : "heap goal", FMT(bytes, s->heap_goal));
		if (!live)
			fprintf(out, " (live heap %s)", FMT(bytes, s->gc.heap_marked));
	} else {
		fprintf(out, "settings unknown");
	}
	if (s->ms.cpu_fraction_valid)
		fprintf(out, ", GC CPU %.1f%%", s->ms.gc_cpu_fraction * 100);
	fputc('\n', out);
}

/* "303 collections since start, 5.9ms paused; last 256: p50<16us ..." and
 * the newest pauses */
static void history_lines(FILE *out, const struct runtime_watch *w, bool live)
{
	const struct rt_memstats *ms = &w->now.ms;
	uint64_t p[GO_PAUSE_HISTORY];
	size_t n = rt_recent_pauses(ms, p, GO_PAUSE_HISTORY), i, shown = live ? 6 : 16;
	struct ht_hist h = { 0 };
	int col;

	for (i = 0; i < n; i++)
		hist_record(&h, p[i]);
	if (live) {
		/* one line: the count, the total, the newest pauses */
		col = fprintf(out, "          %llu collections since start, %s paused; newest",
			      (unsigned long long)runtime_watch_cycles(w),
			      FMT(ns, ms->pause_total_ns));
		for (i = 0; i < n && i < shown && col < 70; i++)
			col += fprintf(out, " %s", FMT(ns, p[i]));
		fputc('\n', out);
		return;
	}
	fprintf(out, "          %llu collections since start (%u forced), paused %s in all",
		(unsigned long long)runtime_watch_cycles(w), ms->numforcedgc, FMT(ns, ms->pause_total_ns));
	if (n)
		fprintf(out, "; last %zu: p50<%s p99<%s max %s", n, FMT(ns, hist_quantile_ns(&h, 0.5)),
			FMT(ns, hist_quantile_ns(&h, 0.99)), FMT(ns, h.max_ns));
	fputc('\n', out);
	if (!n)
		return;
	col = fprintf(out, "          newest first:");
	for (i = 0; i < n && i < shown && col < 70; i++)
		col += fprintf(out, " %s", FMT(ns, p[i]));
	fputc('\n', out);
}

/* --no-probes: more collections between two readings than the ring holds */
static void overrun_line(FILE *out, const struct runtime_watch *w, bool live)
{
	if (w->window.pauses_missed && live)
		fprintf(out, "GC        %llu pauses overwritten unread (over 256 GCs an interval): use a shorter -i\n",
			(unsigned long long)w->window.pauses_missed);
	else if (w->window.pauses_missed)
		fprintf(out, "GC        %llu collections' pauses were overwritten before heaptrace read them (over 256 between two readings): counted, and in the pause total, not one by one; a shorter -i reads them all\n",
			(unsigned long long)w->window.pauses_missed);
}

static void rss_lines(FILE *out, const struct runtime_watch *w, bool live)
{
	const struct rt_classes *c = &w->now.classes;
	struct rt_memory m;

	if (runtime_watch_memory(w, &m) && live)
		fprintf(out, "RSS       %s: Go %s, program %s, not Go %s\n", FMT(bytes, m.rss), FMT(bytes, m.go_bytes),
			FMT(bytes, m.exe_bytes), FMT(bytes, m.not_go_bytes));
	else if (runtime_watch_memory(w, &m) && m.go_measured)
		fprintf(out, "RSS       %s = Go %s + program file %s + not Go %s (cgo, C libraries, other mappings)\n",
			FMT(bytes, m.rss), FMT(bytes, m.go_bytes), FMT(bytes, m.exe_bytes), FMT(bytes, m.not_go_bytes));
	else if (runtime_watch_memory(w, &m))
		fprintf(out, "RSS       %s = Go up to %s + program file %s + not Go at least %s (cgo, C libraries,\n"
			     "          other mappings); Go's part from its accounting: what it has mapped and not released\n",
			FMT(bytes, m.rss), FMT(bytes, m.go_bytes), FMT(bytes, m.exe_bytes), FMT(bytes, m.not_go_bytes));
	if (live) {
		fprintf(out, "          objects %s, free %s, released %s\n", FMT(bytes, c->heap_objects),
			FMT(bytes, c->heap_free + c->heap_unused), FMT(bytes, c->heap_released));
		return;
	}
	fprintf(out, "          Go's classes: heap objects %s, unused %s, free %s, stacks %s, OS stacks %s,\n",
		FMT(bytes, c->heap_objects), FMT(bytes, c->heap_unused), FMT(bytes, c->heap_free),
		FMT(bytes, c->heap_stacks), FMT(bytes, c->os_stacks));
	fprintf(out, "          metadata %s, other %s; %s in all, of which released to the OS %s", FMT(bytes, c->metadata),
		FMT(bytes, c->other), FMT(bytes, c->total), FMT(bytes, c->heap_released));
	if (runtime_watch_memory(w, &m))
		fprintf(out, " (%s still resident)", FMT(bytes, m.released_resident));
	fputc('\n', out);
}

static void limits_line(FILE *out, const struct runtime_watch *w, bool live)
{
	fprintf(out, "limits    cgroup ");
	if (!w->have_cgroup)
		fprintf(out, "unknown");
	else if (!w->cgroup.bytes)
		fprintf(out, "none");
	else
		fprintf(out, "%s", FMT(bytes, w->cgroup.bytes));
	if (!live && w->have_cgroup)
		fprintf(out, " (%s)", tsafe(w->cgroup.file));
	if (w->now.have_controller)
		fprintf(out, ", GOMEMLIMIT %s",
			w->now.gc.memory_limit == INT64_MAX ? "none" : FMT(bytes, (uint64_t)w->now.gc.memory_limit));
	fputc('\n', out);
}

void print_runtime_block(FILE *out, const struct runtime_watch *w, const struct target *t, bool live)
{
	struct advice adv[ADVICE_MAX];
	size_t i, n;

	if (!w || !w->have_now) {
		if (w && w->reader.why[0] && !live)
			fprintf(out, "runtime   not read: %s\n", tsafe(w->reader.why));
		return;
	}
	settings_line(out, &w->now, live);
	history_lines(out, w, live);
	overrun_line(out, w, live);
	rss_lines(out, w, live);
	limits_line(out, w, live);
	n = runtime_advice(w, t, adv, ADVICE_MAX);
	for (i = 0; i < n; i++) {
		if (live) {
			/* one line each: the kind and its value */
			if (!strcmp(adv[i].kind, "gomemlimit") && adv[i].value)
				fprintf(out, "advice    set GOMEMLIMIT=%lluMiB (the report says why)\n",
					(unsigned long long)(adv[i].value >> 20));
			else if (!strcmp(adv[i].kind, "gomemlimit"))
				fprintf(out, "advice    the cgroup limit leaves Go nothing: raise it, then set GOMEMLIMIT\n");
			else
				fprintf(out, "advice    %s: %s at stake (the report says what to set)\n", adv[i].kind,
					FMT(bytes, adv[i].value));
		} else {
			fprintf(out, "advice    %s: %s\n", adv[i].kind, adv[i].text);
		}
	}
}
