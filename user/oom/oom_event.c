// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <string.h>
#include <unistd.h>
#include "oom/oom_event.h"
#include "oom/oom_report.h"

void oom_event_from_record(struct oom_event *ev, pid_t pid, const struct ht_oom_record *r)
{
	ev->pid = pid;
	ev->tid = (pid_t)r->h.tid;
	ev->killer = (pid_t)r->killer_tgid;
	ev->uid = r->uid;
	memcpy(ev->comm, r->comm, HT_COMM_LEN);
	ev->comm[HT_COMM_LEN] = '\0';
	ev->chosen_ns = r->h.ts_ns;
	oom_wall_clock(r->h.ts_ns, &ev->killed_at);
	/* the kernel's figures at the kill; the cgroup's files where it has none
	 * (read now, after the kill: the usage has fallen since) */
	ev->have_cg = r->cg_levels ? !memcg_from_kernel(r, (uint64_t)sysconf(_SC_PAGESIZE), &ev->cg)
				   : !memcg_read(pid, &ev->cg);
}
