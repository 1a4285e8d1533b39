#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "trace/consumer.h"
#include "report/hist_print.h"
#include "target/launch.h"
#include "heap/page_stats.h"
#include "report/live_view.h"
#include "heap/gomap_tracker.h"
#include "util/monotonic.h"
#include "trace/overhead.h"
#include "util/log.h"
#include "report/report.h"
#include "session.h"
#include "trace/tracer.h"

volatile sig_atomic_t session_stop_signal;

/* The heap walk at attach stops after this long and says so. */
#define HEAP_WALK_BUDGET_NS (10ull * 1000000000ull)

/* Waits for the next tick, consuming events; says why the trace ends, if it does. */
static const char *wait_tick(int pidfd, pid_t pid, struct ring_buffer *rb, int timeout_ms)
{
	struct pollfd pfd[2] = {
		{ .fd = pidfd, .events = POLLIN },
		{ .fd = ring_buffer__epoll_fd(rb), .events = POLLIN },
	};
	int n = poll(pfd, 2, timeout_ms);

	if (n > 0 && (pfd[1].revents & POLLIN))
		ring_buffer__consume(rb);
	if (pidfd >= 0 && n > 0 && (pfd[0].revents & POLLIN))
		return "the target exited";
	if (pidfd < 0 && kill(pid, 0) && errno == ESRCH)
		return "the target exited";
	return NULL;
}

/* Each interval: the estimate, and the budget's verdict said out loud. */
static void over_budget(const struct session_opts *o, struct overhead *ovh, struct tracer *tr,
			const struct probe_plan *plan, uint64_t window_ns)
{
	int tier = overhead_tick(ovh, tr, plan, window_ns);

	if (tier >= 0)
		fprintf(o->out, "heaptrace: the probes cost the target about %.1f%% of a CPU over the last %.1fs, above --max-overhead %g%%: detached the %s probes\n",
			overhead_pct(ovh->window_cost_ns, window_ns), (double)window_ns / 1e9, o->max_overhead_pct,
			tier_name((enum ht_tier)tier));
}

static uint32_t map_count_offset(const struct map_tracker *mt)
{
	if (!mt->L)
		return 0;
	return mt->swiss ? mt->L->smap_used : mt->L->hmap_count;
}

static void walk_heap(FILE *out, struct map_tracker *mt)
{
	if (!mt->mheap) {
		fprintf(out, "heaptrace: maps that grew before attach are not shown: %s\n", mt->unavailable);
		return;
	}
	if (map_tracker_walk(mt, HEAP_WALK_BUDGET_NS)) {
		fprintf(out, "heaptrace: heap walk failed: %s\n", ht_last_error());
		return;
	}
	fprintf(out, "heaptrace: heap walk: %zu maps in %.1f ms over %s of spans (runtime.mheap_ by %s)%s\n",
		mt->walk_found, (double)mt->walk_ns / 1e6, fmt_bytes((char[32]){ 0 }, 32, mt->heap_in_use),
		mt->mheap_how, mt->walk_truncated ? "; CUT SHORT at the time limit, some maps are missing" : "");
}

int session_run(const struct session_opts *o, struct target *t)
{
	struct probe_hits hits[PLAN_MAX_PROBES];
	struct event_tally tally = { .target = t };
	struct map_tracker maps;
	struct heapstats_reader hsr;
	struct heap_stats hs = { 0 };
	bool have_hs = false;
	struct probe_plan plan;
	struct tracer tr;
	struct ring_buffer *rb = NULL;
	struct live_view view;
	struct stats total;
	struct smaps last_mem = { 0 };
	const char *reason = NULL;
	uint64_t start, next_tick, last_tick, deadline, end;
	int pidfd = -1, err = 0;
	struct trace_result res;
	struct overhead ovh;

	if (plan_probes(t, o->max_tier, &plan))
		return -1;
	map_tracker_open(&maps, t);
	maps.growth_probed = plan_covers_handler(&plan, HT_H_MAP_GROW);
	heapstats_open(&hsr, t);
	tally.maps = &maps;
	if (tracer_open(&tr, t->pid, o->btf_path, o->ringbuf_bytes, map_count_offset(&maps))) {
		map_tracker_close(&maps);
		return -1;
	}
	/* The per-hit cost is measured on heaptrace's own code (~0.4 s, mostly
	 * waiting for detaches), beside the attach and the trace. Its timing
	 * loops take the CPU for ~10 ms, which the hot probes' record rate
	 * does not survive: with --hot it is done before anything is attached. */
	overhead_start(&ovh, &tr, o->max_overhead_pct);
	if (o->max_tier == HT_TIER_HOT)
		overhead_finish(&ovh);
	rb = events_open(tr.skel, &tally);
	if (!rb || tracer_attach(&tr, t, &plan)) {
		err = -1;
		goto out;
	}
	pidfd = (int)syscall(SYS_pidfd_open, t->pid, 0);
	if (o->launched && launch_release(t->pid)) {
		err = -1;
		goto out;
	}
	start = monotonic_ns();
	fprintf(o->out, "heaptrace: tracing pid %d (%s, %s): %d probes on %d points (%s), madvise by %s; Ctrl-C to stop\n",
		t->pid, t->exe, t->bi.version, plan.n, tr.npoints, tr.method, tr.madvise.method);
	fflush(o->out);
	if (o->max_tier == HT_TIER_HOT)
		fprintf(o->out, "heaptrace: hot probes on (every map assignment) for at most %.0fs: every hit traps into the kernel: the estimated cost is shown each interval and at the end\n",
			(double)o->duration_ns / 1e9);
	/* Maps that grew before we came: walk the heap once (probes are
	 * already live, so growth during the walk is not missed). A launched
	 * program has none yet; its maps are followed from their growth. */
	if (!o->launched)
		walk_heap(o->out, &maps);
	have_hs = heapstats_read(&hsr, &hs);
	live_view_init(&view, o->out);
	deadline = o->duration_ns ? start + o->duration_ns : UINT64_MAX;
	next_tick = start + o->interval_ns;
	last_tick = start;
	while (!reason) {
		uint64_t now = monotonic_ns(), until = next_tick < deadline ? next_tick : deadline;
		int timeout_ms = until > now ? (int)((until - now + 999999) / 1000000) : 0;

		reason = wait_tick(pidfd, t->pid, rb, timeout_ms);
		now = monotonic_ns();
		if (session_stop_signal)
			reason = session_stop_signal == SIGINT ? "interrupted" : "terminated";
		else if (!reason && now >= deadline)
			reason = "duration reached";
		else if (!reason) {
			enum exe_state st = target_exe_state(t);

			if (st == EXE_CHANGED)
				reason = "the target executed another program";
			else if (st == EXE_GONE)
				reason = "the target exited";
		}
		if (!reason && now >= next_tick) {
			struct smaps m;

			/* Sampled every tick: at the end the target may be gone. */
			if (!smaps_read(t->pid, &m) && m.rss)
				last_mem = m;
			ring_buffer__consume(rb); /* growth records before re-reading maps */
			map_tracker_tick(&maps);
			have_hs = heapstats_read(&hsr, &hs) || have_hs;
			over_budget(o, &ovh, &tr, &plan, now - last_tick);
			last_tick = now;
			if (!o->quiet && !stats_read(tr.skel, &total))
				live_view_tick(&view, t, &total, &m, &maps, have_hs ? &hs : NULL, &ovh, now - start);
			next_tick += o->interval_ns;
		}
	}
	/* The trace ends here: detaching (an RCU grace period) is not traced time. */
	end = monotonic_ns();
	overhead_finish(&ovh);
	ring_buffer__consume(rb);
	map_tracker_tick(&maps); /* the maps as they are now, if the target is still there */
	have_hs = heapstats_read(&hsr, &hs) || have_hs;
	res = (struct trace_result){ .target = t, .plan = &plan, .hits = hits, .total = &total,
				     .tally = &tally, .stop_reason = reason, .attach_method = tr.method,
				     .madvise_method = tr.madvise.method,
				     .reuse_probed = plan_has_handler(&plan, HT_H_SYS_USED),
				     .maps = &maps, .heap = hs, .have_heap = have_hs, .overhead = &ovh };
	/* The kernel's view now if the target is still there, else the last sample. */
	if (smaps_read(t->pid, &res.mem) || !res.mem.rss)
		res.mem = last_mem;
	res.have_mem = res.mem.rss != 0;
	tracer_detach(&tr);
	ring_buffer__consume(rb);
	res.duration_ns = end - start;
	if (tracer_read_hits(&tr, &plan, hits) || stats_read(tr.skel, &total)) {
		err = -1;
		goto out;
	}
	report_text(o->out, &res);
	if (o->max_tier == HT_TIER_HOT) {
		uint64_t hot = probe_hits_total(&plan, hits, HT_TIER_HOT);

		fprintf(o->out, "hot probes: %llu hits, %.0f a second; %llu records consumed, %llu lost\n",
			(unsigned long long)hot, (double)hot * 1e9 / (double)(res.duration_ns ? res.duration_ns : 1),
			tally.events, total.c[HT_C_LOST_EVENTS]);
	}
	fflush(o->out);
	if (o->json_out && report_json(o->json_out, &res))
		err = -1;
out:
	overhead_finish(&ovh); /* before the programs go */
	if (pidfd >= 0)
		close(pidfd);
	ring_buffer__free(rb);
	tracer_close(&tr);
	map_tracker_close(&maps);
	return err;
}
