// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <string.h>
#include "report/json_text.h"
#include "host/host_report.h"
#include "report/gomap_report.h"
#include "report/hist_print.h"
#include "util/term.h"
#include "util/log.h"
#include "util/monotonic.h"
#include "util/textsafe.h"

#define FMT(kind, v) fmt_##kind((char[32]){ 0 }, 32, (v))

void host_summary(const struct host *h, char *buf, size_t len)
{
	const struct host_stats *s = &h->stats;
	int i, live = 0;

	for (i = 0; i < h->n; i++)
		live += !h->procs[i]->done;
	snprintf(buf, len, "heaptrace --all at %.0fs: %d Go processes traced, %llu ended, %llu refused (--max-procs), %llu not Go",
		 (double)(monotonic_ns() - h->start) / 1e9, live, (unsigned long long)s->ended,
		 (unsigned long long)s->refused_max_procs, (unsigned long long)s->not_go);
}

/* Top maps a process shows in the text report; the JSON has them all. */
#define TEXT_TOP_MAPS 3

/* s in at most w columns: whole, or its head and tail around a "~" (a path's
 * beginning and its file name both tell). */
static const char *middle(const char *s, int w, char *buf, size_t len)
{
	int n = (int)strlen(s), head;

	if (n <= w || w < 5)
		return s;
	head = (w - 1) / 2;
	snprintf(buf, len, "%.*s~%s", head, s, s + n - (w - 1 - head));
	return buf;
}

static void process_text(FILE *out, const struct host_proc *p, int width)
{
	const struct ht_figures *f = p->s.snap.figures;
	char line[1024], exe[512], retained[32];
	struct map_totals t;
	int n;

	map_tracker_totals(&p->s.maps, &t);
	snprintf(retained, sizeof(retained), "%s",
		 map_tracker_complete(&p->s.maps) ? FMT(bytes, t.retained_bytes) : "? (heap not walked)");
	n = snprintf(line, sizeof(line), "pid %d %s: GC %llu cycles, pauses %s in all; maps retain %s%s%s",
		     p->t.pid, tsafe(p->t.bi.version), (unsigned long long)f->gc_cycles, FMT(ns, f->gc_pause.sum_ns),
		     retained, p->done ? "; " : "", p->done ? p->s.stop_reason : "");
	fprintf(out, "%.*s%s\n", width - 1, line, n > width - 1 ? "~" : "");
	fprintf(out, "  %s\n", middle(tsafe(p->t.exe), width - 2, exe, sizeof(exe)));
	print_maps(out, &p->s.maps, TEXT_TOP_MAPS, width > 4 ? width - 2 : width);
}

void host_report_text(FILE *out, const struct host *h)
{
	struct term_size ts = term_size_of(out);
	int width = ts.tty ? ts.cols : 120;
	char sum[256];
	int i, pass;

	host_summary(h, sum, sizeof(sum));
	fprintf(out, "\n%s\n", sum);
	if (h->stats.ended_dropped)
		fprintf(out, "(%llu ended processes before these are not kept: the report has the last %d)\n",
			(unsigned long long)h->stats.ended_dropped, HOST_DONE_KEEP);
	/* running processes first, then the ended ones */
	for (pass = 0; pass < 2; pass++)
		for (i = 0; i < h->n; i++)
			if (h->procs[i]->done == (pass == 1)) {
				fputc('\n', out);
				process_text(out, h->procs[i], width);
			}
	fflush(out);
}

static json_t *labels_json(const struct host_proc *p)
{
	json_t *o = json_object();

	json_object_set_new(o, "pid", json_integer(p->t.pid));
	json_object_set_new(o, "exe", json_text(p->t.exe));
	json_object_set_new(o, "comm", json_text(p->labels.comm));
	json_object_set_new(o, "go_version", json_text(p->t.bi.version));
	json_object_set_new(o, "container_id", p->labels.container_id[0] ? json_text(p->labels.container_id) : json_null());
	json_object_set_new(o, "pod_uid", p->labels.pod_uid[0] ? json_text(p->labels.pod_uid) : json_null());
	json_object_set_new(o, "cgroup", json_text(p->labels.cgroup));
	return o;
}

int host_report_json(FILE *out, const struct host *h)
{
	json_t *root = json_object(), *procs = json_array(), *disc = json_object();
	const struct host_stats *s = &h->stats;
	int i;

	json_object_set_new(root, "schema", json_integer(1));
	json_object_set_new(root, "mode", json_text("host"));
	json_object_set_new(root, "duration_ns", json_integer((json_int_t)(monotonic_ns() - h->start)));
	json_object_set_new(disc, "method", json_text("raw_tracepoint sched_process_exec, /proc scans"));
	json_object_set_new(disc, "scans", json_integer((json_int_t)s->scans));
	json_object_set_new(disc, "execs_seen", json_integer((json_int_t)s->execs_seen));
	json_object_set_new(disc, "execs_lost", json_integer((json_int_t)tracer_execs_lost(&h->run.tr)));
	json_object_set_new(disc, "attached", json_integer((json_int_t)s->attached));
	json_object_set_new(disc, "ended", json_integer((json_int_t)s->ended));
	json_object_set_new(disc, "ended_dropped", json_integer((json_int_t)s->ended_dropped));
	json_object_set_new(disc, "exited_before_attach", json_integer((json_int_t)s->exited_before_attach));
	json_object_set_new(disc, "refused_max_procs", json_integer((json_int_t)s->refused_max_procs));
	json_object_set_new(disc, "not_go", json_integer((json_int_t)s->not_go));
	json_object_set_new(disc, "filtered", json_integer((json_int_t)s->filtered));
	json_object_set_new(disc, "failed", json_integer((json_int_t)s->failed));
	json_object_set_new(disc, "attach_latency_max_ns", json_integer((json_int_t)s->attach_latency_max_ns));
	json_object_set_new(disc, "executables_analyzed", json_integer((json_int_t)h->run.exes.analyses));
	json_object_set_new(disc, "max_procs", json_integer(h->o->max_procs));
	json_object_set_new(root, "discovery", disc);
	for (i = 0; i < h->n; i++) {
		const struct host_proc *p = h->procs[i];
		json_t *o = report_json_object(&p->s.snap);

		json_object_del(o, "schema");
		json_object_set_new(o, "labels", labels_json(p));
		json_object_set_new(o, "running", json_boolean(!p->done));
		json_array_append_new(procs, o);
	}
	json_object_set_new(root, "processes", procs);
	return report_json_write(out, root);
}
