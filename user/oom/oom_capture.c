// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "export/render_pprof.h"
#include "oom/oom_capture.h"
#include "oom/oom_report.h"
#include "oom/postmortem_dir.h"
#include "util/log.h"
#include "util/monotonic.h"

pid_t oom_record_pid(const void *data, size_t len)
{
	const struct ht_record_header *h = data;
	char path[64], line[128];
	pid_t tgid = 0;
	FILE *f;

	if (len < sizeof(*h))
		return 0;
	if (h->tgid)
		return (pid_t)h->tgid;
	/* an older kernel named the victim's thread alone */
	snprintf(path, sizeof(path), "/proc/%u/status", h->tid);
	f = fopen(path, "re");
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "Tgid: %d", &tgid) == 1)
			break;
	if (f)
		fclose(f);
	return tgid > 0 ? tgid : (pid_t)h->tid;
}

/* After the kill the victim's memory is the kernel's to take away: a read
 * would see it half gone. Every later read fails, and the figures stay as
 * they were at the kill. */
static void frozen_readv(struct memsrc *m, struct memrange *r, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		r[i].ok = false;
	m->gone = true;
}

/* The followed maps read once more. A dying process's memory fails to
 * read (or reads half unmapped), which the tracker would take for maps
 * freed: then the last reading is put back (a map the GC freed at that
 * very moment is dropped at the next interval). */
static bool reread_maps(struct map_tracker *mt)
{
	size_t n = mt->n;
	uint64_t freed = mt->freed;
	struct tracked_map *saved;
	bool ok;

	if (!mt->mheap || !n)
		return !mt->mem.gone;
	saved = malloc(n * sizeof(*saved));
	if (!saved)
		return false;
	memcpy(saved, mt->v, n * sizeof(*saved));
	map_tracker_refresh(mt);
	ok = !mt->mem.gone && mt->n == n && mt->freed == freed;
	if (!ok) {
		memcpy(mt->v, saved, n * sizeof(*saved));
		mt->n = n;
		mt->freed = freed;
	}
	free(saved);
	return ok;
}

static int by_table(const void *a, const void *b)
{
	uint64_t x = (*(const struct tracked_map *const *)a)->m.table_bytes;
	uint64_t y = (*(const struct tracked_map *const *)b)->m.table_bytes;

	return x > y ? -1 : x < y;
}

/* The verdict's figures: the memory the limit counted, the heap, the
 * largest maps. */
static void decide(struct oom_event *ev, const struct map_tracker *mt)
{
	struct oom_verdict_in in = { .have_heap = ev->have_heap, .heap_in_use = ev->heap.in_heap,
				     .heap_free = ev->heap.free_unreleased, .maps_known = ev->maps_known,
				     .age_ns = ev->reread_heap ? 0 : ev->heap_age_ns };
	const struct tracked_map **top = calloc(mt->n ? mt->n : 1, sizeof(*top));
	struct map_totals tot;
	size_t i, n = 0;

	if (ev->have_cg && ev->cg.limit_reached) {
		in.have_total = true;
		in.total = ev->cg.at.limit;
		in.total_what = "that reached the memory cgroup's limit";
	} else if (ev->have_cg && ev->cg.at.have_usage) {
		in.have_total = true;
		in.total = ev->cg.at.usage;
		in.total_what = "the memory cgroup held";
	} else if (ev->have_mem) {
		in.have_total = true;
		in.total = ev->mem.rss;
		in.total_what = "the process held (RSS)";
	}
	map_tracker_totals(mt, &tot);
	in.maps_table_bytes = tot.table_bytes;
	for (i = 0; top && i < mt->n; i++)
		if (mt->v[i].parsed && !mt->v[i].freed)
			top[n++] = &mt->v[i];
	if (n > 1)
		qsort(top, n, sizeof(*top), by_table);
	for (i = 0; i < n && i < OOM_VERDICT_MAPS; i++)
		in.maps[in.nmaps++] = (struct oom_verdict_map){ .type = top[i]->type[0] ? top[i]->type : NULL,
								.site = top[i]->site[0] ? top[i]->site : NULL,
								.table_bytes = top[i]->m.table_bytes,
								.grows = top[i]->grows };
	oom_verdict_decide(&in, &ev->verdict);
	free(top);
}

static void capture(struct session *s, const struct ht_oom_record *r)
{
	uint64_t t0 = monotonic_ns();
	struct oom_event *ev = calloc(1, sizeof(*ev));
	struct heap_stats hs;
	struct oom_pressure p = s->oom_pressure ? *s->oom_pressure : (struct oom_pressure){ 0 };
	struct smaps m;
	uint64_t last;
	bool alive;

	if (!ev)
		return;
	ev->traced = true;
	ev->capture_delay_ns = t0 > r->h.ts_ns ? t0 - r->h.ts_ns : 0;
	last = p.maps_at > s->last_tick ? p.maps_at : s->last_tick;
	ev->figures_age_ns = r->h.ts_ns > last ? r->h.ts_ns - last : 0;
	last = p.heap_at > s->last_tick ? p.heap_at : s->last_tick;
	ev->heap_age_ns = r->h.ts_ns > last ? r->h.ts_ns - last : 0;
	ev->pressure_reads = p.reads;
	/* Maps first: they are what the record is for, and the race with the
	 * kernel is shortest there. The rest only if the process still read. */
	ev->reread_maps = reread_maps(&s->maps);
	alive = ev->reread_maps && !s->maps.mem.gone;
	if (alive && heapstats_read(&s->hsr, &hs)) {
		ev->reread_heap = true;
		s->snap.heap = hs;
		s->snap.have_heap = true;
	}
	if (alive && !smaps_read(s->t->pid, &m) && m.rss) {
		ev->reread_rss = true;
		s->snap.mem = m;
		s->snap.have_mem = true;
	}
	ev->heap = s->snap.heap;
	ev->have_heap = s->snap.have_heap;
	ev->mem = s->snap.mem;
	ev->have_mem = s->snap.have_mem;
	s->maps.mem.readv = frozen_readv;
	s->hsr.mem.readv = frozen_readv;
	s->rt.reader.mem.readv = frozen_readv;
	ev->rt_cgroup = s->rt.cgroup;
	ev->rt_have_cgroup = s->rt.have_cgroup;
	ev->rt_smaps = s->rt.smaps;
	ev->rt_have_smaps = s->rt.have_smaps;
	s->tally.maps = NULL; /* growth records of the dying process: not followed */
	s->walk_at = 0;
	ev->maps_known = map_tracker_complete(&s->maps);
	if (!tracer_read_figures(s->tr, s->t->pid, &s->figures))
		probe_hits_of(s->pp, s->plan, &s->figures, s->hits);
	oom_event_from_record(ev, s->t->pid, r);
	/* A tick that read the process as it exited saw its cgroup as the
	 * root's: the report's own limit is then the kernel's, at the kill. */
	if (ev->have_cg && ev->cg.lowest_limit && s->rt.cgroup.bytes != ev->cg.lowest_limit) {
		s->rt.cgroup.bytes = ev->cg.lowest_limit;
		s->rt.cgroup.version = ev->cg.version;
		snprintf(s->rt.cgroup.file, sizeof(s->rt.cgroup.file), "%s", ev->cg.lowest_file);
		s->rt.have_cgroup = true;
		ev->rt_cgroup = s->rt.cgroup;
		ev->rt_have_cgroup = true;
	}
	decide(ev, &s->maps);
	s->oom = ev;
	s->snap.oom = ev;
	ht_debug("pid %d: chosen by the OOM killer; read again %.2f ms after (maps %s, heap %s, rss %s)", ev->pid,
		 (double)ev->capture_delay_ns / 1e6, ev->reread_maps ? "yes" : "no", ev->reread_heap ? "yes" : "no",
		 ev->reread_rss ? "yes" : "no");
}

/* The process reclaims at its memory cgroup's limit: a kill may follow
 * within milliseconds (16 ms for a Go 1.26 map growing in a 160 MiB
 * cgroup), and then it cannot be read any more. Its figures are read now
 * (at most 4 times a second, oom.bpf.c), as at a tick, the quickest first:
 * the page accounting (a few hundred bytes), then the maps. The record may
 * come late, the kill already under way: what does not read whole keeps
 * the last reading, and its time says so. */
static void pressure_read(struct session *s)
{
	uint64_t t0 = monotonic_ns();
	struct oom_pressure *p = s->oom_pressure;
	struct heap_stats hs;
	struct smaps m;

	if (!p && !(p = s->oom_pressure = calloc(1, sizeof(*p))))
		return;
	p->reads++;
	if (!heapstats_read(&s->hsr, &hs))
		return;
	s->snap.heap = hs;
	s->snap.have_heap = true;
	p->heap_at = t0;
	if (!reread_maps(&s->maps))
		return;
	p->maps_at = t0;
	if (!smaps_read(s->t->pid, &m) && m.rss) {
		s->snap.mem = m;
		s->snap.have_mem = true;
	}
}

void oom_session_record(struct session *s, const void *data, size_t len)
{
	const struct ht_record_header *h = data;

	if (len < sizeof(*h))
		return;
	if (h->kind == HT_REC_OOM_PRESSURE && !s->oom)
		pressure_read(s);
	else if (h->kind == HT_REC_OOM_VICTIM && len >= sizeof(struct ht_oom_record) && !s->oom)
		capture(s, data);
	else if (h->kind == HT_REC_OOM_SIGKILL && s->oom && !s->oom->sigkill_seen) {
		s->oom->sigkill_seen = true;
		s->oom->sigkill_ns = h->ts_ns;
	}
}

void oom_on_record_sessions(void *ctx, const void *data, size_t len)
{
	const struct session_group *g = ctx;
	pid_t pid = oom_record_pid(data, len);
	int i;

	for (i = 0; pid && i < g->n; i++)
		if (g->v[i]->t->pid == pid && !g->v[i]->stop_reason)
			oom_session_record(g->v[i], data, len);
}

/* The single-target report with `oom`, and the map profile beside it. */
static void write_record(struct session *s, struct oom_event *ev)
{
	const struct trace_snapshot *v[1] = { &s->snap };
	struct pprof_builder *b;
	void *gz = NULL;
	size_t gz_len = 0;
	json_t *root;
	char *text;

	if (postmortem_base(ev->base, sizeof(ev->base), s->o->postmortem_dir, ev->pid, &ev->killed_at)) {
		snprintf(ev->error, sizeof(ev->error), "%s", ht_last_error());
		ev->base[0] = '\0';
		return;
	}
	root = report_json_object(&s->snap);
	text = root ? json_dumps(root, JSON_INDENT(2)) : NULL;
	json_decref(root);
	b = render_pprof(v, 1);
	if (!b || pprof_serialize(b, &gz, &gz_len)) {
		gz = NULL;
		snprintf(ev->error, sizeof(ev->error), "the map profile: %s", ht_last_error());
	}
	if (!text) {
		snprintf(ev->error, sizeof(ev->error), "out of memory for the JSON text");
	} else {
		size_t len = strlen(text);

		text[len] = '\n'; /* json_dumps leaves room for its NUL: replaced, and length + 1 */
		int rc = postmortem_write(s->o->postmortem_dir, ev->base, text, len + 1, gz, gz_len);

		ev->written = rc >= 0;
		if (rc || !ev->written)
			snprintf(ev->error, sizeof(ev->error), "%s", ht_last_error());
	}
	free(text);
	free(gz);
	pprof_free(b);
}

void oom_session_finish(struct session *s)
{
	struct oom_event *ev = s->oom;

	if (!ev)
		return;
	ev->exited = s->stop_reason && !strcmp(s->stop_reason, OOM_STOP_REASON);
	/* the figures at the kill, whatever was read of the dying process since */
	s->rt.cgroup = ev->rt_cgroup;
	s->rt.have_cgroup = ev->rt_have_cgroup;
	s->rt.smaps = ev->rt_smaps;
	s->rt.have_smaps = ev->rt_have_smaps;
	s->snap.mem = ev->mem;
	s->snap.have_mem = ev->have_mem;
	s->snap.heap = ev->heap;
	s->snap.have_heap = ev->have_heap;
	if (s->o->postmortem_dir)
		write_record(s, ev);
	if (s->o->host)
		oom_report_text(s->o->out, ev, s->t->exe);
}

void oom_session_close(struct session *s)
{
	free(s->oom_pressure);
	s->oom_pressure = NULL;
	free(s->oom);
	s->oom = NULL;
	s->snap.oom = NULL;
}
