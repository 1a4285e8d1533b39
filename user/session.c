// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "oom/oom_capture.h"
#include "oom/oom_report.h"
#include "report/messages.h"
#include "session.h"
#include "target/launch.h"
#include "trace/proc_config.h"
#include "util/log.h"
#include "util/monotonic.h"
#include "util/proc_stat.h"

volatile sig_atomic_t session_stop_signal;
volatile sig_atomic_t session_hup;

/* The heap walk at attach stops after this long and says so. */
#define HEAP_WALK_BUDGET_NS (10ull * 1000000000ull)
/* A process that used no CPU and hit no probe since the last full read is
 * read again (its maps, its page accounting, smaps) only this often: what
 * those reads give cannot change while it does not run, and heaptrace --all
 * beside hundreds of idle processes must not cost a CPU's share. */
#define IDLE_FULL_NS (30ull * 1000000000ull)
/* The kernel's view of memory is sampled this often at first, so that a
 * short-lived launched program is seen alive; then once an interval. */
#define FIRST_MEM_SAMPLE_NS (20ull * 1000000ull)

/* --no-probes: nothing is attached, no cost is estimated; the plan is empty. */
static const struct probe_plan no_plan;
static const struct plan_points no_points;
static const struct calibration no_calibration = { .unavailable = "no probes (--no-probes)" };
static const struct madvise_probe no_madvise = { .method = "none" };

static void read_figures(struct session *s)
{
	if (s->o->no_probes) {
		runtime_watch_figures(&s->rt, &s->figures);
		return;
	}
	if (tracer_read_figures(s->tr, s->t->pid, &s->figures))
		ht_debug("%s", ht_last_error());
	probe_hits_of(s->pp, s->plan, &s->figures, s->hits);
	s->rt.probed = s->figures.gc_cycles; /* the count runtime_watch_cycles goes on from */
}

static void refresh_snapshot(struct session *s, uint64_t now)
{
	s->snap.duration_ns = now - s->start;
	s->snap.stop_reason = s->stop_reason;
	if (s->link && s->link->sampling) {
		s->snap.latency_sampled = true;
		s->snap.latency_sampled_ns = exe_link_sampled_ns(s->link, now) - s->sampled_at_start;
	}
}

/* The runtime's page accounting; memstats, once found, also tells BPF where
 * the runtime leaves the end of its mark-termination pause. */
static void read_page_stats(struct session *s)
{
	bool had_addr = s->hsr.addr != 0;
	uint64_t before = s->figures.gc_cycles;

	/* The probes' count around the reading: how many collections came
	 * before the probes (runtime_watch_cycles) */
	if (!s->o->no_probes)
		read_figures(s), before = s->figures.gc_cycles;
	runtime_watch_tick(&s->rt);
	if (!s->o->no_probes) {
		read_figures(s);
		runtime_watch_probed(&s->rt, before, s->figures.gc_cycles);
	}
	s->snap.have_heap = heapstats_read(&s->hsr, &s->snap.heap) || s->snap.have_heap;
	if (!had_addr && s->hsr.addr && s->t->layout) {
		proc_config_set_memstats(&s->cfg, s->t, s->hsr.addr - s->t->layout->mstats_heapstats);
		if (s->cfg.pause_ring_addr && s->added && tracer_update_process(s->tr, s->t->pid, &s->cfg))
			ht_debug("%s", ht_last_error());
	}
}

/* The exports' one hook, after the snapshot is refreshed: each interval
 * (final false) and at the end. A failing --textfile is said once and the
 * trace goes on. */
static int export_snapshot(struct session *s, bool final)
{
	const struct trace_snapshot *v[1] = { &s->snap };

	if (!s->exporter)
		return 0;
	if (final)
		return exporter_finish(s->exporter, v, 1);
	if (exporter_publish(s->exporter, v, 1))
		ht_err("%s (the trace goes on)", ht_last_error());
	ht_debug("exports rendered in %.2f ms", (double)s->exporter->render_ns / 1e6);
	return 0;
}

static void sample_memory(struct session *s, uint64_t now)
{
	struct smaps m;

	/* Sampled while the target lives: at the end it may be gone. One
	 * read of smaps gives the kernel's view and where RSS goes. */
	if (runtime_watch_sample_memory(&s->rt, &m)) {
		s->snap.mem = m;
		s->snap.have_mem = true;
	}
	s->next_mem = now + (now - s->start < s->o->interval_ns / 2 ? now - s->start + FIRST_MEM_SAMPLE_NS
								      : s->o->interval_ns);
}

int session_start(struct session *s, const struct session_opts *o, struct target *t, struct run *run,
		  struct exe_entry *e)
{
	struct tracer *tr = &run->tr;

	memset(s, 0, sizeof(*s));
	s->o = o;
	s->t = t;
	s->tr = tr;
	s->pidfd = -1;
	s->entry = e;
	e->users++;
	s->plan = &e->plan;
	s->pp = &e->pp;
	/* --listen binds (and refuses a port in use) before anything is attached. */
	if (exporter_start(&s->exporter, &o->exports))
		return -1;
	map_tracker_open(&s->maps, t);
	s->maps.from_start = o->launched;
	s->maps.rewalk_ns = o->host ? GOMAP_REWALK_HOST_NS : GOMAP_REWALK_NS;
	s->maps.rewalk_budget_ns = GOMAP_REWALK_BUDGET_NS;
	if (getenv("HEAPTRACE_REWALK_MS")) /* tests: walk again sooner */
		s->maps.rewalk_ns = strtoull(getenv("HEAPTRACE_REWALK_MS"), NULL, 10) * 1000000ull;
	s->maps.growth_probed = plan_covers_handler(s->plan, HT_H_MAP_GROW);
	heapstats_open(&s->hsr, t);
	runtime_watch_open(&s->rt, t, o->launched);
	s->tally = (struct event_tally){ .maps = &s->maps };
	proc_config_init(&s->cfg, t, GOMAP_FOLLOW_MIN_BYTES);
	if (o->no_probes) {
		s->plan = &no_plan;
		s->pp = &no_points;
		overhead_start(&s->ovh, &no_calibration, 0);
	} else {
		if (exe_entry_add_to_tracer(e, tr))
			return -1;
		s->cfg.exe_slot = e->pp.base / HT_EXE_POINTS;
		if (tracer_add_process(tr, t->pid, &s->cfg))
			return -1;
		s->added = true;
		/* host mode: one link for every process that runs the file */
		s->link = exe_link_get(e, tr, t, o->host);
		if (!s->link)
			return -1;
		/* The probes went on the file the process ran when it was identified:
		 * if it has executed another since, they are not its own. */
		if (target_exe_state(t) != EXE_SAME)
			return ht_fail("pid %d executed another program while heaptrace attached to it", t->pid);
		/* This boot's per-hit cost, or measured beside the trace. */
		overhead_start(&s->ovh, &run->cal, o->max_overhead_pct);
	}
	s->pidfd = (int)syscall(SYS_pidfd_open, t->pid, 0);
	if (o->launched && launch_release(t->pid))
		return -1;
	s->start = s->last_tick = monotonic_ns();
	s->sampled_at_start = exe_link_sampled_ns(s->link, s->start);
	s->snap = (struct trace_snapshot){ .target = t, .plan = s->plan, .hits = s->hits, .figures = &s->figures,
					   .tally = &s->tally, .maps = &s->maps, .overhead = &s->ovh,
					   .attach_method = tr->method, .madvise = &tr->madvise,
					   .ringbuf_kb = o->ringbuf_bytes / 1024,
					   .reuse_probed = plan_has_handler(s->plan, HT_H_SYS_USED),
					   .rt = &s->rt, .no_probes = o->no_probes };
	if (o->no_probes) {
		s->snap.attach_method = "none";
		s->snap.madvise = &no_madvise;
	}
	clock_gettime(CLOCK_REALTIME, &s->snap.started_at);
	/* the runtime's state when the trace begins: its window counts from
	 * this reading, which comes before heaptrace says it traces */
	read_page_stats(s);
	/* Maps that grew before we came: walk the heap once (probes are
	 * already live, so growth during the walk is not missed). A launched
	 * program has none yet; its maps are followed from their growth. In
	 * host mode the walk waits for the program to have run a little, and
	 * happens at a tick, within the host's budget. */
	if (o->host) {
		ht_debug("tracing pid %d (%s, %s)", t->pid, t->exe, t->bi.version);
		s->walk_at = s->start + o->walk_delay_ns;
	} else {
		report_started(o->out, &s->snap, o->max_tier == HT_TIER_HOT ? o->duration_ns : 0);
		if (!o->launched)
			session_walk(s, HEAP_WALK_BUDGET_NS);
	}
	sample_memory(s, s->start);
	refresh_snapshot(s, monotonic_ns());
	export_snapshot(s, false);
	report_exports(o->out, s->exporter);
	live_view_init(&s->view, o->out);
	s->deadline = o->duration_ns ? s->start + o->duration_ns : UINT64_MAX;
	/* Host mode: every process ticks on one grid, so that hundreds of them
	 * wake heaptrace once an interval, not each at its own moment. */
	s->next_tick = o->host ? (s->start / o->interval_ns + 1) * o->interval_ns : s->start + o->interval_ns;
	return 0;
}

void session_walk(struct session *s, uint64_t budget_ns)
{
	int err = s->maps.mheap ? map_tracker_walk(&s->maps, budget_ns) : 0;

	s->walk_at = 0;
	if (s->o->host)
		ht_debug("pid %d: heap walk: %zu maps in %.1f ms%s", s->t->pid, s->maps.walk_found,
			 (double)s->maps.walk_ns / 1e6, err ? ht_last_error() : "");
	else
		report_heap_walk(s->o->out, &s->maps, err ? ht_last_error() : NULL);
}

static bool alive(pid_t pid)
{
	struct proc_stat st;

	return proc_stat_read(pid, &st) && st.state != 'Z' && st.state != 'X';
}

/* Why the trace of a running target ends now, if it does. */
static const char *ended(struct session *s, uint64_t now, bool exited)
{
	enum exe_state st;

	/* in host mode a signal or the duration stops heaptrace, not the
	 * process: the host ends the run */
	if (session_stop_signal && !s->o->host)
		return session_stop_signal == SIGINT ? "interrupted" : "terminated";
	/* A pidfd also turns readable while a thread other than the leader
	 * executes a program (the old leader goes): the process still there,
	 * running another file, has not exited. */
	if ((exited && !alive(s->t->pid)) || (s->pidfd < 0 && kill(s->t->pid, 0) && errno == ESRCH))
		return s->oom ? OOM_STOP_REASON : "the target exited";
	if (exited)
		return target_exe_state(s->t) == EXE_CHANGED ? "the target executed another program"
				 : s->oom ? OOM_STOP_REASON : "the target exited";
	/* The rest waits for the session's own next wakeup: the exe check stats
	 * /proc, and a wakeup for one of many sessions (or for the consumer)
	 * must not cost one of those per session. */
	if (now < session_next_wakeup(s))
		return NULL;
	if (now >= s->deadline && !s->o->host)
		return "duration reached";
	st = target_exe_state(s->t);
	if (st == EXE_CHANGED)
		return "the target executed another program";
	return st == EXE_GONE ? (s->oom ? OOM_STOP_REASON : "the target exited") : NULL;
}

static uint64_t all_hits(const struct ht_figures *f)
{
	uint64_t n = 0;
	int i;

	for (i = 0; i < HT_EXE_POINTS; i++)
		n += f->points[i].hits;
	return n;
}

/* Has the process run (CPU time, probe hits) since the last full read, or
 * is that read IDLE_FULL_NS old? Then it is read in full again. */
static bool due_full_read(struct session *s, uint64_t now)
{
	struct proc_stat st;
	uint64_t hits = all_hits(&s->figures);
	bool ran = !proc_stat_read(s->t->pid, &st) || st.cpu_ticks != s->read_cpu_ticks || hits != s->read_hits ||
		   now - s->read_at >= IDLE_FULL_NS;

	if (ran) {
		s->read_cpu_ticks = st.cpu_ticks;
		s->read_hits = hits;
		s->read_at = now;
	}
	return ran;
}

/* Host mode, at each tick of the grid: the kernel's view with the rest, and
 * an idle process's reads only on a slow timer (due_full_read). */
static void host_tick_reads(struct session *s, uint64_t now)
{
	read_figures(s);
	if (!due_full_read(s, now))
		return;
	sample_memory(s, now);
	map_tracker_tick(&s->maps);
	read_page_stats(s);
}

void session_tick(struct session *s, uint64_t now)
{
	int tier;

	if (!s->o->host && now >= s->next_mem)
		sample_memory(s, now);
	if (now < s->next_tick)
		return;
	exe_link_sample(s->link, now);
	if (s->o->host) {
		host_tick_reads(s, now);
	} else {
		map_tracker_tick(&s->maps);
		read_page_stats(s);
		read_figures(s);
	}
	tier = overhead_tick(&s->ovh, s->plan, s->hits, now - s->last_tick);
	if (tier >= 0) {
		/* this process's handlers stop at once; the points themselves go
		 * when no process of the file needs them */
		s->cfg.tiers_off |= (__u8)(1u << tier);
		if (tracer_update_process(s->tr, s->t->pid, &s->cfg))
			ht_debug("%s", ht_last_error());
		exe_link_tier_off(s->link, (enum ht_tier)tier);
		report_budget_detach(s->o->out, &s->ovh, (enum ht_tier)tier);
	}
	s->last_tick = now;
	refresh_snapshot(s, now);
	export_snapshot(s, false);
	if (!s->o->quiet && !s->o->host)
		live_view_tick(&s->view, &s->snap);
	while (s->next_tick <= now)
		s->next_tick += s->o->interval_ns;
}

uint64_t session_next_wakeup(const struct session *s)
{
	uint64_t t = s->next_tick;

	/* host mode samples memory at its ticks */
	if (!s->o->host && s->next_mem < t)
		t = s->next_mem;

	return t < s->deadline ? t : s->deadline;
}

/* The consumer's: records go to the tally of the session of their process. */
struct event_tally *session_tally_of(void *ctx, pid_t tgid)
{
	struct session *const *v = ((struct session_group *)ctx)->v;
	int i, n = ((struct session_group *)ctx)->n;

	for (i = 0; i < n; i++)
		if (v[i]->t->pid == tgid)
			return &v[i]->tally;
	return NULL;
}

bool session_ended(struct session *s, uint64_t now, bool exited)
{
	if (!s->stop_reason)
		s->stop_reason = ended(s, now, exited);
	return s->stop_reason != NULL;
}

void sessions_run(struct consumer *c, struct session_group *g)
{
	struct pollfd pfd[1 + SESSIONS_MAX];
	int live = g->n, n = g->n < SESSIONS_MAX ? g->n : SESSIONS_MAX;

	while (live) {
		uint64_t now = monotonic_ns(), until = UINT64_MAX;
		int i, timeout_ms;

		pfd[0] = (struct pollfd){ .fd = consumer_fd(c), .events = POLLIN };
		for (i = 0; i < n; i++) {
			const struct session *s = g->v[i];

			pfd[1 + i] = (struct pollfd){ .fd = s->stop_reason ? -1 : s->pidfd, .events = POLLIN };
			if (!s->stop_reason && session_next_wakeup(s) < until)
				until = session_next_wakeup(s);
		}
		timeout_ms = until > now ? (int)((until - now + 999999) / 1000000) : 0;
		poll(pfd, (nfds_t)(1 + n), timeout_ms);
		consumer_drain(c); /* growth records before re-reading maps */
		now = monotonic_ns();
		for (i = 0, live = 0; i < n; i++) {
			struct session *s = g->v[i];

			if (session_ended(s, now, pfd[1 + i].revents & POLLIN))
				continue;
			live++;
			session_tick(s, now);
		}
	}
}

int session_finish(struct session *s)
{
	uint64_t end = monotonic_ns();
	struct smaps m;

	/* The trace ends here: detaching (an RCU grace period) is not traced time. */
	refresh_snapshot(s, end);
	clock_gettime(CLOCK_REALTIME, &s->snap.ended_at);
	overhead_finish(&s->ovh);
	map_tracker_tick(&s->maps); /* the maps as they are now, if the target is still there */
	read_page_stats(s);
	/* The kernel's view now if the target is still there, else the last sample. */
	if (runtime_watch_sample_memory(&s->rt, &m)) {
		s->snap.mem = m;
		s->snap.have_mem = true;
	}
	read_figures(s); /* before the probes go: the figures go with the process */
	session_detach(s);
	oom_session_finish(s); /* the OOM killer ended it: the record */
	if (s->o->host)
		return 0; /* the host reports every process at once */
	report_text(s->o->out, &s->snap);
	if (s->o->max_tier == HT_TIER_HOT)
		report_hot_summary(s->o->out, &s->snap);
	if (s->oom)
		oom_report_text(s->o->out, s->oom, NULL);
	fflush(s->o->out);
	if (s->o->json_out && report_json(s->o->json_out, &s->snap))
		return -1;
	return export_snapshot(s, true);
}

void session_detach(struct session *s)
{
	if (s->link)
		exe_link_put(s->entry, s->link, s->cfg.tiers_off);
	s->link = NULL;
}

void session_close(struct session *s)
{
	if (!s->o)
		return; /* never started */
	if (s->pidfd >= 0)
		close(s->pidfd);
	s->pidfd = -1;
	session_detach(s);
	if (s->entry)
		s->entry->users--;
	s->entry = NULL;
	if (s->added)
		tracer_remove_process(s->tr, s->t->pid);
	map_tracker_close(&s->maps);
	runtime_watch_close(&s->rt);
	oom_session_close(s);
	exporter_stop(s->exporter);
	s->exporter = NULL;
}
