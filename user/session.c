#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "events.h"
#include "launch.h"
#include "live_view.h"
#include "log.h"
#include "report.h"
#include "session.h"
#include "tracer.h"

volatile sig_atomic_t session_stop_signal;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

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

int session_run(const struct session_opts *o, struct target *t)
{
	struct probe_hits hits[PLAN_MAX_PROBES];
	struct event_tally tally = { 0 };
	struct probe_plan plan;
	struct tracer tr;
	struct ring_buffer *rb = NULL;
	struct live_view view;
	struct stats total;
	struct smaps last_mem = { 0 };
	const char *reason = NULL;
	uint64_t start, next_tick, deadline, end;
	int pidfd = -1, err = 0;
	struct trace_result res;

	if (plan_probes(t, HT_TIER_WARM, &plan))
		return -1;
	if (tracer_open(&tr, t->pid, o->btf_path, o->ringbuf_bytes))
		return -1;
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
	start = now_ns();
	fprintf(o->out, "heaptrace: tracing pid %d (%s, %s): %d probes on %d points (%s), madvise by %s; Ctrl-C to stop\n",
		t->pid, t->exe, t->bi.version, plan.n, tr.npoints, tr.method, tr.madvise.method);
	fflush(o->out);
	live_view_init(&view, o->out);
	deadline = o->duration_ns ? start + o->duration_ns : UINT64_MAX;
	next_tick = start + o->interval_ns;
	while (!reason) {
		uint64_t now = now_ns(), until = next_tick < deadline ? next_tick : deadline;
		int timeout_ms = until > now ? (int)((until - now + 999999) / 1000000) : 0;

		reason = wait_tick(pidfd, t->pid, rb, timeout_ms);
		now = now_ns();
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
			if (!o->quiet && !stats_read(tr.skel, &total))
				live_view_tick(&view, t, &total, &m, now - start);
			next_tick += o->interval_ns;
		}
	}
	/* The trace ends here: detaching (an RCU grace period) is not traced time. */
	end = now_ns();
	res = (struct trace_result){ .target = t, .plan = &plan, .hits = hits, .total = &total,
				     .tally = &tally, .stop_reason = reason, .attach_method = tr.method,
				     .madvise_method = tr.madvise.method,
				     .reuse_probed = plan_has_handler(&plan, HT_H_SYS_USED) };
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
	fflush(o->out);
	if (o->json_out && report_json(o->json_out, &res))
		err = -1;
out:
	if (pidfd >= 0)
		close(pidfd);
	ring_buffer__free(rb);
	tracer_close(&tr);
	return err;
}
