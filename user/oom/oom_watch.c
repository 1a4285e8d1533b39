// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <errno.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "oom.skel.h"
#include "oom/oom_watch.h"
#include "util/log.h"
#include "util/monotonic.h"

int oom_watch_open(struct oom_watch *w, int events_fd, int figures_fd)
{
	uint64_t t0 = monotonic_ns();
	int err;

	memset(w, 0, sizeof(*w));
	w->skel = oom_bpf__open();
	if (!w->skel)
		return ht_fail("cannot open the OOM watch's BPF programs: %s", strerror(errno));
	err = bpf_map__reuse_fd(w->skel->maps.events, events_fd);
	if (!err)
		err = bpf_map__reuse_fd(w->skel->maps.figures, figures_fd);
	if (!err)
		err = oom_bpf__load(w->skel);
	if (err) {
		oom_watch_close(w);
		return ht_fail("cannot load the OOM watch's BPF programs: %s (run with -v for libbpf's log)",
			       strerror(-err));
	}
	w->victim = bpf_program__attach_raw_tracepoint(w->skel->progs.ht_oom_victim, "mark_victim");
	if (!w->victim) {
		err = errno;
		oom_watch_close(w);
		return ht_fail("cannot watch the OOM killer (raw tracepoint oom:mark_victim): %s", strerror(err));
	}
	w->sigkill = bpf_program__attach_raw_tracepoint(w->skel->progs.ht_oom_sigkill, "signal_deliver");
	if (!w->sigkill) {
		err = errno;
		oom_watch_close(w);
		return ht_fail("cannot watch OOM victims' deaths (raw tracepoint signal:signal_deliver): %s",
			       strerror(err));
	}
	ht_debug("OOM watch loaded and attached in %.1f ms (with the kernel's BTF for its CO-RE relocations)",
		 (double)(monotonic_ns() - t0) / 1e6);
	/* the moments before a kill: a nicety, where the kernel has it */
	w->pressure = bpf_program__attach_raw_tracepoint(w->skel->progs.ht_oom_pressure, "mm_vmscan_memcg_reclaim_begin");
	if (!w->pressure)
		ht_debug("no raw tracepoint vmscan:mm_vmscan_memcg_reclaim_begin (%s): an OOM kill's record has its "
			 "victim's figures of the last interval", strerror(errno));
	return 0;
}

bool oom_watch_on(const struct oom_watch *w)
{
	return w->victim != NULL;
}

uint64_t oom_watch_lost(const struct oom_watch *w)
{
	return w->skel && w->skel->bss ? w->skel->bss->oom_lost : 0;
}

void oom_watch_close(struct oom_watch *w)
{
	bpf_link__destroy(w->pressure);
	bpf_link__destroy(w->sigkill);
	bpf_link__destroy(w->victim);
	oom_bpf__destroy(w->skel);
	memset(w, 0, sizeof(*w));
}
