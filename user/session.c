// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <errno.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "report/messages.h"
#include "session.h"
#include "target/launch.h"
#include "trace/proc_config.h"
#include "util/log.h"
#include "util/monotonic.h"

volatile sig_atomic_t session_stop_signal;

/* The heap walk at attach stops after this long and says so. */
#define HEAP_WALK_BUDGET_NS (10ull * 1000000000ull)
/* The kernel's view of memory is sampled this often at first, so that a
 * short-lived launched program is seen alive; then once an interval. */
#define FIRST_MEM_SAMPLE_NS (20ull * 1000000ull)

static void refresh_snapshot(struct session *s, uint64_t now)
{
	s->snap.duration_ns = now - s->start;
	s->snap.stop_reason = s->stop_reason;
}

/* The runtime's page accounting; memstats, once found, also tells BPF where
 * the runtime leaves the end of its mark-termination pause. */
static void read_page_stats(struct session *s)
{
	bool had_addr = s->hsr.addr != 0;

	s->snap.have_heap = heapstats_read(&s->hsr, &s->snap.heap) || s->snap.have_heap;
	if (!had_addr && s->hsr.addr && s->t->layout) {
		proc_config_set_memstats(&s->cfg, s->t, s->hsr.addr - s->t->layout->mstats_heapstats);
		if (s->cfg.pause_ring_addr && tracer_update_process(&s->tr, s->t->pid, &s->cfg))
			ht_debug("%s", ht_last_error());
	}
}

/* The exports' one hook, after the snapshot is refreshed: each interval
 * (final false) and at the end. Per-probe hits are otherwise read only at
 * the end. A failing --textfile is said once and the trace goes on. */
static int export_snapshot(struct session *s, bool final)
{
	if (!s->exporter)
		return 0;
	if (!final && tracer_read_hits(&s->tr, &s->plan, s->hits))
		ht_debug("%s", ht_last_error());
	if (final)
		return exporter_finish(s->exporter, &s->snap);
	if (exporter_publish(s->exporter, &s->snap))
		ht_err("%s (the trace goes on)", ht_last_error());
	ht_debug("exports rendered in %.2f ms", (double)s->exporter->render_ns / 1e6);
	return 0;
}

static void sample_memory(struct session *s, uint64_t now)
{
	struct smaps m;

	/* Sampled while the target lives: at the end it may be gone. */
	if (!smaps_read(s->t->pid, &m) && m.rss) {
		s->snap.mem = m;
		s->snap.have_mem = true;
	}
	s->next_mem = now + (now - s->start < s->o->interval_ns / 2 ? now - s->start + FIRST_MEM_SAMPLE_NS
								      : s->o->interval_ns);
}

int session_start(struct session *s, const struct session_opts *o, struct target *t)
{
	struct tracer_opts to = { .btf_path = o->btf_path, .ringbuf_bytes = o->ringbuf_bytes, .max_procs = 1 };

	memset(s, 0, sizeof(*s));
	s->o = o;
	s->t = t;
	s->pidfd = -1;
	s->tr.multi_link_fd[0] = s->tr.multi_link_fd[1] = s->tr.multi_link_fd[2] = -1;
	/* --listen binds (and refuses a port in use) before anything is attached. */
	if (exporter_start(&s->exporter, &o->exports))
		return -1;
	if (plan_probes(t, o->max_tier, &s->plan))
		return -1;
	map_tracker_open(&s->maps, t);
	s->maps.growth_probed = plan_covers_handler(&s->plan, HT_H_MAP_GROW);
	heapstats_open(&s->hsr, t);
	s->tally = (struct event_tally){ .tgid = t->pid, .maps = &s->maps };
	proc_config_init(&s->cfg, t, GOMAP_FOLLOW_MIN_BYTES);
	if (tracer_open(&s->tr, &to) || tracer_add_process(&s->tr, t->pid, &s->cfg))
		return -1;
	s->rb = consumer_open(s->tr.skel, &s->tally);
	if (!s->rb || tracer_attach(&s->tr, t, &s->plan))
		return -1;
	/* This boot's per-hit cost, or measured beside the trace. */
	overhead_start(&s->ovh, &s->tr, o->max_overhead_pct);
	s->pidfd = (int)syscall(SYS_pidfd_open, t->pid, 0);
	if (o->launched && launch_release(t->pid))
		return -1;
	s->start = s->last_tick = monotonic_ns();
	s->snap = (struct trace_snapshot){ .target = t, .plan = &s->plan, .hits = s->hits, .figures = &s->figures,
					   .tally = &s->tally, .maps = &s->maps, .overhead = &s->ovh,
					   .attach_method = s->tr.method, .madvise = &s->tr.madvise,
					   .reuse_probed = plan_has_handler(&s->plan, HT_H_SYS_USED) };
	clock_gettime(CLOCK_REALTIME, &s->snap.started_at);
	report_started(o->out, &s->snap, o->max_tier == HT_TIER_HOT ? o->duration_ns : 0);
	/* Maps that grew before we came: walk the heap once (probes are
	 * already live, so growth during the walk is not missed). A launched
	 * program has none yet; its maps are followed from their growth. */
	if (!o->launched) {
		int err = s->maps.mheap ? map_tracker_walk(&s->maps, HEAP_WALK_BUDGET_NS) : 0;

		report_heap_walk(o->out, &s->maps, err ? ht_last_error() : NULL);
	}
	read_page_stats(s);
	sample_memory(s, s->start);
	refresh_snapshot(s, monotonic_ns());
	export_snapshot(s, false);
	report_exports(o->out, s->exporter);
	live_view_init(&s->view, o->out);
	s->deadline = o->duration_ns ? s->start + o->duration_ns : UINT64_MAX;
	s->next_tick = s->start + o->interval_ns;
	return 0;
}

/* Why the trace of a running target ends now, if it does. */
static const char *ended(struct session *s, uint64_t now, bool exited)
{
	enum exe_state st;

	if (session_stop_signal)
		return session_stop_signal == SIGINT ? "interrupted" : "terminated";
	if (exited || (s->pidfd < 0 && kill(s->t->pid, 0) && errno == ESRCH))
		return "the target exited";
	if (now >= s->deadline)
		return "duration reached";
	st = target_exe_state(s->t);
	if (st == EXE_CHANGED)
		return "the target executed another program";
	return st == EXE_GONE ? "the target exited" : NULL;
}

static void tick(struct session *s, uint64_t now)
{
	int tier;

	if (now >= s->next_mem)
		sample_memory(s, now);
	if (now < s->next_tick)
		return;
	ring_buffer__consume(s->rb); /* growth records before re-reading maps */
	map_tracker_tick(&s->maps);
	read_page_stats(s);
	if (tracer_read_figures(&s->tr, s->t->pid, &s->figures))
		ht_debug("%s", ht_last_error());
	tier = overhead_tick(&s->ovh, &s->tr, &s->plan, &s->figures, now - s->last_tick);
	if (tier >= 0)
		report_budget_detach(s->o->out, &s->ovh, (enum ht_tier)tier);
	s->last_tick = now;
	refresh_snapshot(s, now);
	export_snapshot(s, false);
	if (!s->o->quiet)
		live_view_tick(&s->view, &s->snap);
	while (s->next_tick <= now)
		s->next_tick += s->o->interval_ns;
}

static uint64_t next_wakeup(const struct session *s)
{
	uint64_t t = s->next_tick < s->next_mem ? s->next_tick : s->next_mem;

	return t < s->deadline ? t : s->deadline;
}

void sessions_run(struct session *const *v, int n)
{
	struct pollfd pfd[2 * 64];
	int live = n;

	if (n > 64)
		n = live = 64;
	while (live) {
		uint64_t now = monotonic_ns(), until = UINT64_MAX;
		int i, timeout_ms;

		for (i = 0; i < n; i++) {
			const struct session *s = v[i];

			pfd[2 * i] = (struct pollfd){ .fd = s->stop_reason ? -1 : s->pidfd, .events = POLLIN };
			pfd[2 * i + 1] = (struct pollfd){ .fd = s->stop_reason ? -1 : ring_buffer__epoll_fd(s->rb),
							  .events = POLLIN };
			if (!s->stop_reason && next_wakeup(s) < until)
				until = next_wakeup(s);
		}
		timeout_ms = until > now ? (int)((until - now + 999999) / 1000000) : 0;
		poll(pfd, (nfds_t)(2 * n), timeout_ms);
		now = monotonic_ns();
		for (i = 0; i < n; i++) {
			struct session *s = v[i];

			if (s->stop_reason)
				continue;
			if (pfd[2 * i + 1].revents & POLLIN)
				ring_buffer__consume(s->rb);
			s->stop_reason = ended(s, now, pfd[2 * i].revents & POLLIN);
			if (s->stop_reason) {
				live--;
				continue;
			}
			tick(s, now);
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
	ring_buffer__consume(s->rb);
	map_tracker_tick(&s->maps); /* the maps as they are now, if the target is still there */
	read_page_stats(s);
	/* The kernel's view now if the target is still there, else the last sample. */
	if (!smaps_read(s->t->pid, &m) && m.rss) {
		s->snap.mem = m;
		s->snap.have_mem = true;
	}
	tracer_detach(&s->tr);
	ring_buffer__consume(s->rb);
	if (tracer_read_hits(&s->tr, &s->plan, s->hits) || tracer_read_figures(&s->tr, s->t->pid, &s->figures))
		return -1;
	report_text(s->o->out, &s->snap);
	if (s->o->max_tier == HT_TIER_HOT)
		report_hot_summary(s->o->out, &s->snap);
	fflush(s->o->out);
	if (s->o->json_out && report_json(s->o->json_out, &s->snap))
		return -1;
	return export_snapshot(s, true);
}

void session_close(struct session *s)
{
	if (!s->o)
		return; /* never started */
	overhead_finish(&s->ovh); /* before the programs go */
	if (s->pidfd >= 0)
		close(s->pidfd);
	s->pidfd = -1;
	ring_buffer__free(s->rb);
	s->rb = NULL;
	tracer_close(&s->tr);
	map_tracker_close(&s->maps);
	exporter_stop(s->exporter);
	s->exporter = NULL;
}
