// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <string.h>
#include "host/host_report.h"
#include "report/hist_print.h"
#include "util/log.h"
#include "util/monotonic.h"

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

void host_report_text(FILE *out, const struct host *h)
{
	char sum[256];
	int i;

	host_summary(h, sum, sizeof(sum));
	fprintf(out, "\n%s\n", sum);
	for (i = 0; i < h->n; i++) {
		const struct host_proc *p = h->procs[i];
		const struct ht_figures *f = p->s.snap.figures;
		struct map_totals t;

		map_tracker_totals(&p->s.maps, &t);
		fprintf(out, "  pid %-7d %-40.40s %s  GC %llu cycles, pauses %s in all; maps retain %s%s%s\n", p->t.pid,
			p->t.exe, p->t.bi.version, (unsigned long long)f->gc_cycles, FMT(ns, f->gc_pause.sum_ns),
			FMT(bytes, t.retained_bytes), p->done ? "; " : "", p->done ? p->s.stop_reason : "");
	}
	fflush(out);
}

static json_t *labels_json(const struct host_proc *p)
{
	json_t *o = json_object();

	json_object_set_new(o, "pid", json_integer(p->t.pid));
	json_object_set_new(o, "exe", json_string(p->t.exe));
	json_object_set_new(o, "comm", json_string(p->labels.comm));
	json_object_set_new(o, "go_version", json_string(p->t.bi.version));
	json_object_set_new(o, "container_id", p->labels.container_id[0] ? json_string(p->labels.container_id) : json_null());
	json_object_set_new(o, "pod_uid", p->labels.pod_uid[0] ? json_string(p->labels.pod_uid) : json_null());
	json_object_set_new(o, "cgroup", json_string(p->labels.cgroup));
	return o;
}

int host_report_json(FILE *out, const struct host *h)
{
	json_t *root = json_object(), *procs = json_array(), *disc = json_object();
	const struct host_stats *s = &h->stats;
	int i;

	json_object_set_new(root, "schema", json_integer(1));
	json_object_set_new(root, "mode", json_string("host"));
	json_object_set_new(root, "duration_ns", json_integer((json_int_t)(monotonic_ns() - h->start)));
	json_object_set_new(disc, "method", json_string(h->o->so.no_probes ? "/proc scans" : "raw_tracepoint sched_process_exec, /proc scans"));
	json_object_set_new(disc, "scans", json_integer((json_int_t)s->scans));
	json_object_set_new(disc, "execs_seen", json_integer((json_int_t)s->execs_seen));
	json_object_set_new(disc, "execs_lost", json_integer((json_int_t)tracer_execs_lost(&h->run.tr)));
	json_object_set_new(disc, "attached", json_integer((json_int_t)s->attached));
	json_object_set_new(disc, "ended", json_integer((json_int_t)s->ended));
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
