// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <sys/epoll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "host/host.h"
#include "host/host_report.h"
#include "oom/oom_capture.h"
#include "priv/caps.h"
#include "report/host_view.h"
#include "report/messages.h"
#include "util/log.h"
#include "util/monotonic.h"
#include "util/proc_stat.h"


static bool running(const struct host_proc *p)
{
	return !p->done;
}

static int running_count(const struct host *h)
{
	int i, n = 0;

	for (i = 0; i < h->n; i++)
		n += running(h->procs[i]);
	return n;
}

static struct host_proc *running_pid(const struct host *h, pid_t pid)
{
	int i;

	for (i = 0; i < h->n; i++)
		if (running(h->procs[i]) && h->procs[i]->t.pid == pid)
			return h->procs[i];
	return NULL;
}

static struct event_tally *host_tally_of(void *ctx, pid_t tgid)
{
	struct host_proc *p = running_pid(ctx, tgid);

	return p ? &p->s.tally : NULL;
}

static void host_on_exec(void *ctx, pid_t tgid)
{
	struct host *h = ctx;

	h->stats.execs_seen++;
	if (h->nexecs == h->cap_execs) {
		int nc = h->cap_execs ? h->cap_execs * 2 : 64;
		pid_t *v = realloc(h->execs, (size_t)nc * sizeof(*v));

		if (!v)
			return; /* the rescan finds it */
		h->execs = v;
		h->cap_execs = nc;
	}
	h->execs[h->nexecs++] = tgid;
}

static bool wanted(const struct host *h, const struct target *t, const struct proc_labels *l);
static void export_all(struct host *h, bool final);

/* A process no session traces, chosen by the OOM killer: if it is a Go
 * program heaptrace follows (looked at now, if it still can be), its kill
 * is recorded all the same. */
static void oom_untraced(struct host *h, const void *data, size_t len)
{
	pid_t pid = oom_record_pid(data, len);
	struct oom_untraced *u = oom_untraced_kill(&h->untraced, data, len);
	struct proc_labels labels;
	struct proc_stat ps;
	struct exe_entry *e;
	struct target t = { 0 };

	if (!u && pid && pid != getpid() && proc_stat_read(pid, &ps)) {
		if (!target_identify(&t, pid) && !proc_labels_read(pid, &labels) && wanted(h, &t, &labels) &&
		    (e = exe_cache_get(&h->run.exes, &t)) && e->usable) {
			oom_untraced_remember(&h->untraced, &t, &e->prog, &labels, ps.starttime);
			u = oom_untraced_kill(&h->untraced, data, len);
		}
		target_close(&t);
	}
	if (!u)
		return;
	export_all(h, false); /* counted on /metrics before its record appears */
	oom_untraced_write(u, h->o->so.postmortem_dir, h->o->so.out);
}

/* The OOM watch: a kill of a traced process goes to its session. */
static void host_on_oom(void *ctx, const void *data, size_t len)
{
	struct host_proc *p = running_pid(ctx, oom_record_pid(data, len));

	if (p) {
		oom_session_record(&p->s, data, len);
		/* counted on /metrics at once, before its record appears at the
		 * end of its trace */
		if (((const struct ht_record_header *)data)->kind == HT_REC_OOM_VICTIM)
			export_all(ctx, false);
	} else if (((const struct ht_record_header *)data)->kind == HT_REC_OOM_VICTIM) {
		oom_untraced(ctx, data, len);
	}
}

/* Forgets the oldest ended process once too many are kept. */
static void forget_old_done(struct host *h)
{
	int i, done = 0;

	for (i = 0; i < h->n; i++)
		done += !running(h->procs[i]);
	for (i = 0; done > HOST_DONE_KEEP && i < h->n; i++) {
		if (running(h->procs[i]))
			continue;
		session_close(&h->procs[i]->s);
		target_close(&h->procs[i]->t);
		free(h->procs[i]);
		memmove(&h->procs[i], &h->procs[i + 1], (size_t)(h->n - i - 1) * sizeof(h->procs[0]));
		h->n--;
		i--;
		done--;
		h->stats.ended_dropped++;
	}
}

/* What epoll_wait hands back for the ring buffer (processes: their host_proc). */
static char ring_event;

static void watch(struct host *h, struct host_proc *p)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = p };

	if (p->s.pidfd >= 0 && epoll_ctl(h->epfd, EPOLL_CTL_ADD, p->s.pidfd, &ev))
		ht_debug("pid %d: epoll: %s", p->t.pid, strerror(errno));
}

static void unwatch(struct host *h, struct host_proc *p)
{
	if (p->s.pidfd >= 0)
		epoll_ctl(h->epfd, EPOLL_CTL_DEL, p->s.pidfd, NULL);
}

/* A process's trace ended: final reads, its figures out of BPF (its pid
 * may come back as another process). */
static void finish(struct host *h, struct host_proc *p)
{
	unwatch(h, p);
	consumer_drain(&h->run.cons);
	if (session_finish(&p->s))
		ht_debug("pid %d: %s", p->t.pid, ht_last_error());
	if (p->s.added) {
		tracer_remove_process(&h->run.tr, p->t.pid);
		p->s.added = false;
	}
	p->done = true;
	h->stats.ended++;
	ht_debug("pid %d (%s): %s", p->t.pid, p->t.exe, p->s.stop_reason);
}

static bool wanted(const struct host *h, const struct target *t, const struct proc_labels *l)
{
	if (h->o->exe_glob && fnmatch(h->o->exe_glob, t->exe, 0))
		return false;
	if (h->o->exclude_glob && !fnmatch(h->o->exclude_glob, t->exe, 0))
		return false;
	return !h->o->cgroup_prefix || !strncmp(l->cgroup, h->o->cgroup_prefix, strlen(h->o->cgroup_prefix));
}

static int add_proc(struct host *h, struct host_proc *p)
{
	if (h->n == h->cap) {
		int nc = h->cap ? h->cap * 2 : 64;
		struct host_proc **v = realloc(h->procs, (size_t)nc * sizeof(*v));

		if (!v)
			return -1;
		h->procs = v;
		h->cap = nc;
	}
	h->procs[h->n++] = p;
	return 0;
}

/* A process seen by the scan or an exec: traced if it is a Go program the
 * filters want and there is room. */
static void consider(struct host *h, pid_t pid, uint64_t seen_ns)
{
	struct host_proc *old = running_pid(h, pid), *p;
	struct proc_stat ps;
	unsigned long long st;
	struct exe_entry *e;

	if (pid == getpid() || !proc_stat_read(pid, &ps))
		return;
	st = ps.starttime;
	if (old) {
		if (old->starttime == st && target_exe_state(&old->t) == EXE_SAME)
			return;
		/* the pid came back as another process, or it executed another program */
		if (!old->s.stop_reason)
			old->s.stop_reason = old->starttime == st ? "the target executed another program" : "the target exited";
		finish(h, old);
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		return;
	p->starttime = st;
	if (target_identify(&p->t, pid) || proc_labels_read(pid, &p->labels))
		goto drop; /* a kernel thread, a zombie, gone */
	if (!wanted(h, &p->t, &p->labels)) {
		h->stats.filtered++;
		goto drop;
	}
	e = exe_cache_get(&h->run.exes, &p->t);
	if (!e || !e->usable) {
		ht_debug("pid %d (%s) not traced: %s", pid, p->t.exe, e ? e->why : "out of memory");
		h->stats.not_go++;
		goto drop;
	}
	if ((unsigned)running_count(h) >= h->o->max_procs) {
		if (!h->stats.refused_max_procs++)
			ht_err("more Go processes than --max-procs %u: pid %d (%s) and any more are not traced",
			       h->o->max_procs, pid, p->t.exe);
		oom_untraced_remember(&h->untraced, &p->t, &e->prog, &p->labels, st); /* its OOM kill is told */
		goto drop;
	}
	target_borrow_program(&p->t, &e->prog);
	if (session_start(&p->s, &h->o->so, &p->t, &h->run, e)) {
		/* A process that ended (or executed another program) meanwhile
		 * is no failure: it is counted, and -v says it. */
		if (target_exe_state(&p->t) != EXE_SAME) {
			h->stats.exited_before_attach++;
			ht_debug("pid %d (%s) ended before heaptrace attached: %s", pid, p->t.exe, ht_last_error());
		} else {
			ht_err("pid %d (%s) not traced: %s", pid, p->t.exe, ht_last_error());
			h->stats.failed++;
		}
		session_close(&p->s);
		goto drop;
	}
	p->s.snap.labels = &p->labels;
	if (add_proc(h, p)) {
		session_close(&p->s);
		goto drop;
	}
	watch(h, p);
	h->stats.attached++;
	if (seen_ns && monotonic_ns() - seen_ns > h->stats.attach_latency_max_ns)
		h->stats.attach_latency_max_ns = monotonic_ns() - seen_ns;
	return;
drop:
	target_close(&p->t);
	free(p);
}

static void scan(struct host *h)
{
	DIR *d = opendir("/proc");
	struct dirent *de;

	if (!d)
		return;
	h->stats.scans++;
	while ((de = readdir(d))) {
		char *end;
		long pid = strtol(de->d_name, &end, 10);

		if (*end || pid <= 0)
			continue;
		consider(h, (pid_t)pid, 0);
	}
	closedir(d);
}

/* Heap walks that are due, in a bounded amount of time per tick. */
static void walks(struct host *h, uint64_t now)
{
	uint64_t spent = 0;
	int i;

	for (i = 0; i < h->n && spent < h->o->walk_budget_ns; i++) {
		struct session *s = &h->procs[i]->s;
		uint64_t t0 = monotonic_ns();

		if (!running(h->procs[i]) || !s->walk_at || now < s->walk_at)
			continue;
		session_walk(s, h->o->walk_budget_ns - spent);
		spent += monotonic_ns() - t0;
	}
}

/* Every traced process's snapshot (running ones, and with `done` the
 * ended ones kept; between exports, the ended ones the OOM killer ended,
 * for their kill's series alone), and the OOM kills of processes followed
 * but not traced, for the exports; *n set, free() the array. */
static const struct trace_snapshot **snapshots(const struct host *h, bool done, size_t *n)
{
	const struct trace_snapshot **v = calloc((size_t)h->n + OOM_UNTRACED_KEEP + 1, sizeof(*v));
	int i;

	*n = 0;
	for (i = 0; v && i < h->n; i++) {
		struct trace_snapshot *s = &h->procs[i]->s.snap;

		/* an ended process killed by the OOM killer keeps its kill's
		 * series between two exports (and everything at the end) */
		s->gone = !done && !running(h->procs[i]);
		if (running(h->procs[i]) || done || s->oom)
			v[(*n)++] = s;
	}
	if (v) /* and the OOM kills of processes followed but not traced */
		*n += oom_untraced_snapshots(&h->untraced, v + *n, OOM_UNTRACED_KEEP);
	return v;
}

static void export_all(struct host *h, bool final)
{
	size_t n;
	const struct trace_snapshot **v;
	int err;

	if (!h->exporter || !(v = snapshots(h, final, &n)))
		return;
	err = final ? exporter_finish(h->exporter, v, n) : exporter_publish(h->exporter, v, n);
	if (err)
		ht_err("%s%s", ht_last_error(), final ? "" : " (the trace goes on)");
	free(v);
}

static void show(struct host *h, struct host_view *view, uint64_t now)
{
	struct host_row *rows = calloc((size_t)(h->n ? h->n : 1), sizeof(*rows));
	char summary[256];
	size_t n = 0;
	int i;

	if (!rows)
		return;
	for (i = 0; i < h->n; i++) {
		struct host_proc *p = h->procs[i];

		if (!running(p))
			continue;
		rows[n++] = (struct host_row){ .snap = &p->s.snap, .prev = &p->prev,
					       .window_ns = p->prev_ns ? now - p->prev_ns : now - p->s.start,
					       .container_id = p->labels.container_id };
	}
	host_summary(h, summary, sizeof(summary));
	host_view_tick(view, rows, n, summary);
	free(rows);
	for (i = 0; i < h->n; i++) {
		h->procs[i]->prev = h->procs[i]->s.figures;
		h->procs[i]->prev_ns = now;
	}
}

static uint64_t next_wakeup(const struct host *h, uint64_t next_scan, uint64_t next_view)
{
	uint64_t t = next_scan < next_view ? next_scan : next_view;
	int i;

	for (i = 0; i < h->n; i++)
		if (running(h->procs[i]) && session_next_wakeup(&h->procs[i]->s) < t)
			t = session_next_wakeup(&h->procs[i]->s);
	return t;
}

#define EVENTS_MAX 64

static void loop(struct host *h, struct host_view *view)
{
	uint64_t deadline = h->o->so.duration_ns ? h->start + h->o->so.duration_ns : UINT64_MAX;
	uint64_t next_scan = h->start + h->o->rescan_ns, next_view = h->start + h->o->so.interval_ns;
	struct epoll_event ev[EVENTS_MAX];

	while (!session_stop_signal) {
		uint64_t now = monotonic_ns(), until;
		int i, n, known, timeout_ms;

		forget_old_done(h);
		until = next_wakeup(h, next_scan, next_view);
		if (now >= deadline)
			break;
		if (until > deadline)
			until = deadline;
		timeout_ms = until > now ? (int)((until - now + 999999) / 1000000) : 0;
		n = epoll_wait(h->epfd, ev, EVENTS_MAX, timeout_ms);
		for (i = 0; i < n; i++)
			if (ev[i].data.ptr != &ring_event)
				((struct host_proc *)ev[i].data.ptr)->exited = true;
		consumer_drain(&h->run.cons);
		now = monotonic_ns();
		known = h->n; /* processes added below are ticked from the next round */
		for (i = 0; i < h->nexecs; i++)
			consider(h, h->execs[i], now);
		h->nexecs = 0;
		for (i = 0; i < known; i++) {
			struct host_proc *p = h->procs[i];

			if (!running(p))
				continue;
			if (session_ended(&p->s, now, p->exited))
				finish(h, p);
			else
				session_tick(&p->s, now);
		}
		walks(h, now);
		if (now >= next_scan) {
			scan(h);
			exe_cache_expire(&h->run.exes, now);
			next_scan = now + h->o->rescan_ns;
		}
		if (now >= next_view) {
			export_all(h, false);
			if (!h->o->so.quiet)
				show(h, view, now);
			next_view = now + h->o->so.interval_ns;
		}
	}
}

int host_run(const struct host_opts *o)
{
	struct tracer_opts to = { .ringbuf_bytes = o->so.ringbuf_bytes,
				  .max_procs = o->max_procs, .max_exes = o->max_procs,
				  .oom_watch = o->so.postmortem_dir ? OOM_WATCH_REQUIRED : OOM_WATCH_TRY };
	struct host_view view;
	struct host h = { .o = o };
	int i, err, drop_err;

	/* --listen binds (and refuses a port in use) before anything is attached */
	err = exporter_start(&h.exporter, &o->exports) ||
	      (o->so.no_probes ? run_open_no_bpf(&h.run, o->so.max_tier)
			       : run_open(&h.run, &to, o->so.max_tier, host_tally_of, &h) || run_ready(&h.run) ||
					 tracer_watch_execs(&h.run.tr));
	if (err) {
		run_close(&h.run);
		exporter_stop(h.exporter);
		return -1;
	}
	h.run.cons.on_exec = host_on_exec;
	h.run.cons.on_oom = host_on_oom;
	h.epfd = epoll_create1(EPOLL_CLOEXEC);
	/* --no-probes has no ring buffer to wait on */
	if (h.epfd < 0 || (!o->so.no_probes && epoll_ctl(h.epfd, EPOLL_CTL_ADD, consumer_fd(&h.run.cons),
							 &(struct epoll_event){ .events = EPOLLIN, .data.ptr = &ring_event }))) {
		err = ht_fail("epoll: %s", strerror(errno));
		if (h.epfd >= 0)
			close(h.epfd);
		run_close(&h.run);
		exporter_stop(h.exporter);
		return -1;
	}
	h.start = monotonic_ns();
	clock_gettime(CLOCK_REALTIME, &h.started_at);
	host_view_init(&view, o->so.out);
	scan(&h);
	/* the first attaches are done: from here on only what tracing needs */
	if ((drop_err = priv_drop_tracer()))
		ht_err("%s", ht_last_error());
	fprintf(o->so.out, "heaptrace: following every Go process on this host: %llu traced, execs seen by %s; Ctrl-C to stop\n",
		(unsigned long long)h.stats.attached,
		o->so.no_probes ? "scans of /proc (--no-probes)" : "the sched_process_exec raw tracepoint");
	export_all(&h, false); /* served once it says it serves */
	report_exports(o->so.out, h.exporter);
	fflush(o->so.out);
	if (!drop_err)
		loop(&h, &view);
	consumer_drain(&h.run.cons);
	for (i = 0; i < h.n; i++)
		if (!h.procs[i]->done) {
			struct host_proc *p = h.procs[i];

			/* still running at the end: reported as such (no stop reason) */
			if (session_finish(&p->s))
				ht_debug("pid %d: %s", p->t.pid, ht_last_error());
		}
	host_report_text(o->so.out, &h);
	if (o->json_out)
		err = host_report_json(o->json_out, &h);
	export_all(&h, true);
	exporter_stop(h.exporter);
	for (i = 0; i < h.n; i++) {
		session_close(&h.procs[i]->s);
		target_close(&h.procs[i]->t);
		free(h.procs[i]);
	}
	free(h.procs);
	free(h.execs);
	oom_untraced_free(&h.untraced);
	close(h.epfd);
	run_close(&h.run);
	return err || drop_err ? -1 : 0;
}
