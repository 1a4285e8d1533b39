#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include "launch.h"
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

static void live_line(FILE *out, const struct tracer *tr, const struct probe_plan *plan, uint64_t elapsed)
{
	struct probe_hits hits[PLAN_MAX_PROBES];
	int i, shown = 0;

	if (tracer_read_hits(tr, plan, hits))
		return;
	fprintf(out, "[%7.1fs]", (double)elapsed / 1e9);
	for (i = 0; i < plan->n; i++) {
		const char *s = plan->probes[i].spec->symbol, *dot = strrchr(s, '.');

		if (!hits[i].entries)
			continue;
		fprintf(out, " %s=%" PRIu64, dot ? dot + 1 : s, hits[i].entries);
		shown++;
	}
	fprintf(out, shown ? "\n" : " no probe hit yet\n");
	fflush(out);
}

/* Waits for the next tick, the target's exit, or a signal. */
static const char *wait_tick(int pidfd, pid_t pid, int timeout_ms)
{
	struct pollfd pfd = { .fd = pidfd, .events = POLLIN };

	if (pidfd >= 0) {
		int n = poll(&pfd, 1, timeout_ms);

		if (n > 0)
			return "the target exited";
	} else {
		usleep((useconds_t)timeout_ms * 1000);
		if (kill(pid, 0) && errno == ESRCH)
			return "the target exited";
	}
	return NULL;
}

int session_run(const struct session_opts *o, struct target *t)
{
	struct probe_hits hits[PLAN_MAX_PROBES];
	struct probe_plan plan;
	struct tracer tr;
	const char *reason = NULL;
	uint64_t start, next_tick, deadline;
	int pidfd, err = 0;
	struct trace_result res;

	if (plan_probes(t, HT_TIER_WARM, &plan))
		return -1;
	if (tracer_open(&tr, t->pid, o->btf_path))
		return -1;
	if (tracer_attach(&tr, t, &plan)) {
		err = -1;
		goto out;
	}
	pidfd = (int)syscall(SYS_pidfd_open, t->pid, 0);
	if (o->launched && launch_release(t->pid)) {
		err = -1;
		goto out_pidfd;
	}
	start = now_ns();
	fprintf(o->out, "heaptrace: tracing pid %d (%s, %s): %d probes on %d points; Ctrl-C to stop\n", t->pid,
		t->exe, t->bi.version, plan.n, tr.npoints);
	fflush(o->out);
	deadline = o->duration_ns ? start + o->duration_ns : UINT64_MAX;
	next_tick = start + o->interval_ns;
	while (!reason) {
		uint64_t now = now_ns(), until = next_tick < deadline ? next_tick : deadline;
		int timeout_ms = until > now ? (int)((until - now + 999999) / 1000000) : 0;

		reason = wait_tick(pidfd, t->pid, timeout_ms);
		now = now_ns();
		if (session_stop_signal)
			reason = session_stop_signal == SIGINT ? "interrupted" : "terminated";
		else if (!reason && now >= deadline)
			reason = "duration reached";
		else if (!reason && !target_same_exe(t))
			reason = "the target executed another program";
		if (!reason && now >= next_tick) {
			if (!o->quiet)
				live_line(o->out, &tr, &plan, now - start);
			next_tick += o->interval_ns;
		}
	}
	tracer_detach(&tr);
	if (tracer_read_hits(&tr, &plan, hits)) {
		err = -1;
		goto out_pidfd;
	}
	res = (struct trace_result){ .target = t, .plan = &plan, .hits = hits,
				     .duration_ns = now_ns() - start, .stop_reason = reason,
				     .attach_method = tr.method };
	report_text(o->out, &res);
	fflush(o->out);
	if (o->json_out && report_json(o->json_out, &res))
		err = -1;
out_pidfd:
	if (pidfd >= 0)
		close(pidfd);
out:
	tracer_close(&tr);
	return err;
}
