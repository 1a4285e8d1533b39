// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <errno.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "util/log.h"
#include "trace/madvise_probe.h"
#include "probes.skel.h"

#define TRACEFS "/sys/kernel/tracing"

const char *madvise_advice_name(unsigned advice)
{
	static const char *const names[] = {
		[0] = "NORMAL", [1] = "RANDOM", [2] = "SEQUENTIAL", [3] = "WILLNEED", [4] = "DONTNEED",
		[8] = "FREE", [9] = "REMOVE", [10] = "DONTFORK", [11] = "DOFORK", [12] = "MERGEABLE",
		[13] = "UNMERGEABLE", [14] = "HUGEPAGE", [15] = "NOHUGEPAGE", [16] = "DONTDUMP",
		[17] = "DODUMP", [18] = "WIPEONFORK", [19] = "KEEPONFORK", [20] = "COLD", [21] = "PAGEOUT",
		[22] = "POPULATE_READ", [23] = "POPULATE_WRITE", [24] = "DONTNEED_LOCKED", [25] = "COLLAPSE",
	};

	return advice < sizeof(names) / sizeof(*names) ? names[advice] : NULL;
}

bool madvise_releases(unsigned advice)
{
	/* MADV_DONTNEED 4, MADV_FREE 8, MADV_REMOVE 9, MADV_DONTNEED_LOCKED 24 */
	return advice == 4 || advice == 8 || advice == 9 || advice == 24;
}

static int try_pair(struct madvise_probe *mp, struct bpf_link *enter, struct bpf_link *exit,
		    const char *method)
{
	if (!enter || !exit) {
		int err = errno;

		bpf_link__destroy(enter);
		bpf_link__destroy(exit);
		ht_debug("madvise probe by %s: %s", method, strerror(err));
		return -1;
	}
	mp->enter = enter;
	mp->exit = exit;
	mp->method = method;
	return 0;
}

/* Syscall tracepoints are looked up in tracefs, which some systems do not
 * mount at boot: mount it (and leave it; it is the kernel's standard place).
 * This fallback is the one thing in heaptrace that needs CAP_SYS_ADMIN (to
 * mount) and root's access to tracefs (mode 0700): without them, raw
 * tracepoints follow, which need neither. */
static void ensure_tracefs(void)
{
	struct stat st;

	if (stat(TRACEFS "/events", &st) == 0)
		return;
	if (errno == EACCES)
		ht_debug("madvise by syscall tracepoint: %s is root's alone (mode 0700): that fallback needs root", TRACEFS);
	else if (mount("tracefs", TRACEFS, "tracefs", 0, NULL))
		ht_debug("cannot mount tracefs at %s: %s%s", TRACEFS, strerror(errno),
			 errno == EPERM ? " (mounting needs CAP_SYS_ADMIN, which only this syscall tracepoint fallback uses)" : "");
	else
		ht_debug("mounted tracefs at %s", TRACEFS);
}

/* HEAPTRACE_MADVISE=METHOD allows only that one (tests, odd kernels). */
static bool allowed(const char *method)
{
	const char *only = getenv("HEAPTRACE_MADVISE");

	return !only || !strcmp(only, method);
}

static int attach_first(struct probes_bpf *skel, struct madvise_probe *mp, bool wrapper_planned)
{
	__typeof__(skel->progs) *p = &skel->progs;

	if (allowed("kprobe") && !try_pair(mp, bpf_program__attach(p->ht_madv_kp_enter), bpf_program__attach(p->ht_madv_kp_exit),
		      "kprobe"))
		return 0;
	if (allowed("uprobe") && wrapper_planned) {
		mp->method = "uprobe";
		mp->wrapper = true;
		return 0;
	}
	mp->host_wide = true;
	if (allowed("tracepoint"))
		ensure_tracefs();
	if (allowed("tracepoint") && !try_pair(mp, bpf_program__attach_tracepoint(p->ht_madv_tp_enter, "syscalls", "sys_enter_madvise"),
		      bpf_program__attach_tracepoint(p->ht_madv_tp_exit, "syscalls", "sys_exit_madvise"),
		      "tracepoint"))
		return 0;
	if (allowed("raw_tracepoint") && !try_pair(mp, bpf_program__attach_raw_tracepoint(p->ht_madv_raw_enter, "sys_enter"),
		      bpf_program__attach_raw_tracepoint(p->ht_madv_raw_exit, "sys_exit"), "raw_tracepoint"))
		return 0;
	mp->host_wide = false;
	return ht_fail("cannot probe madvise: no kprobe, no runtime.madvise in the program, and no syscall tracepoint (tracefs, which needs CAP_SYS_ADMIN to mount) or raw tracepoint could be attached (run with -v for each reason)");
}

/* process_madvise(2) by the method madvise is seen by: the raw tracepoints
 * see every syscall already; a kprobe or tracepoint pair of its own; the
 * runtime's wrapper does not make it. A kernel without it (before 5.10)
 * has nothing to attach, and that is no failure. */
static void attach_process_madvise(struct probes_bpf *skel, struct madvise_probe *mp)
{
	__typeof__(skel->progs) *p = &skel->progs;
	struct bpf_link *enter = NULL, *exit = NULL;

	if (!strcmp(mp->method, "raw_tracepoint")) {
		mp->process_madvise = true;
		return;
	}
	if (!strcmp(mp->method, "kprobe")) {
		enter = bpf_program__attach(p->ht_pmadv_kp_enter);
		exit = enter ? bpf_program__attach(p->ht_pmadv_kp_exit) : NULL;
	} else if (!strcmp(mp->method, "tracepoint")) {
		enter = bpf_program__attach_tracepoint(p->ht_pmadv_tp_enter, "syscalls", "sys_enter_process_madvise");
		exit = enter ? bpf_program__attach_tracepoint(p->ht_pmadv_tp_exit, "syscalls", "sys_exit_process_madvise")
			     : NULL;
	}
	if (!enter || !exit) {
		bpf_link__destroy(enter);
		bpf_link__destroy(exit);
		return;
	}
	mp->pm_enter = enter;
	mp->pm_exit = exit;
	mp->process_madvise = true;
}

int madvise_probe_attach(struct probes_bpf *skel, struct madvise_probe *mp, bool wrapper_planned)
{
	int err;

	memset(mp, 0, sizeof(*mp));
	/* Expected failures of the methods tried first are not warnings. */
	ht_libbpf_quiet(true);
	err = attach_first(skel, mp, wrapper_planned);
	if (!err)
		attach_process_madvise(skel, mp);
	ht_libbpf_quiet(false);
	if (!err)
		ht_debug("madvise probe by %s%s", mp->method,
			 mp->host_wide ? ": every syscall of every process on this host now runs through it" : "");
	return err;
}

void madvise_probe_detach(struct madvise_probe *mp)
{
	bpf_link__destroy(mp->enter);
	bpf_link__destroy(mp->exit);
	bpf_link__destroy(mp->pm_enter);
	bpf_link__destroy(mp->pm_exit);
	mp->enter = mp->exit = mp->pm_enter = mp->pm_exit = NULL;
}
