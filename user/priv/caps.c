// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <errno.h>
#include <grp.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/capability.h>
#include <sys/capability.h>
#include "priv/caps.h"
#include "util/log.h"

/* What tracing needs, each with what it is for (the check's message). */
static const struct need {
	cap_value_t cap;
	const char *name, *why;
} NEEDS[] = {
	{ CAP_BPF, "CAP_BPF", "load the BPF programs and maps" },
	{ CAP_PERFMON, "CAP_PERFMON", "attach uprobes and tracepoints" },
	{ CAP_SYS_PTRACE, "CAP_SYS_PTRACE", "read other users' processes: executable, /proc files, memory" },
};
#define NNEEDS (sizeof(NEEDS) / sizeof(NEEDS[0]))

static bool effective(cap_t c, cap_value_t v)
{
	cap_flag_value_t f = CAP_CLEAR;

	return cap_get_flag(c, v, CAP_EFFECTIVE, &f) == 0 && f == CAP_SET;
}

int priv_check_trace(void)
{
	char missing[512] = "";
	size_t n = 0, i;
	cap_t c = cap_get_proc();

	if (!c)
		return ht_fail("cannot read this process's capabilities: %s", strerror(errno));
	/* Kernels before 5.8 know neither CAP_BPF nor CAP_PERFMON: there
	 * CAP_SYS_ADMIN stands for both. */
	if (!CAP_IS_SUPPORTED(CAP_BPF)) {
		bool ok = effective(c, CAP_SYS_ADMIN) && effective(c, CAP_SYS_PTRACE);

		cap_free(c);
		return ok ? 0 : ht_fail("this kernel predates CAP_BPF: tracing needs CAP_SYS_ADMIN and CAP_SYS_PTRACE (run heaptrace as root)");
	}
	for (i = 0; i < NNEEDS; i++)
		if (!effective(c, NEEDS[i].cap) && n < sizeof(missing))
			n += (size_t)snprintf(missing + n, sizeof(missing) - n, "%s%s (to %s)", n ? ", " : "",
					      NEEDS[i].name, NEEDS[i].why);
	cap_free(c);
	if (!n)
		return 0;
	return ht_fail("missing %s: run heaptrace as root (sudo), or give it CAP_BPF, CAP_PERFMON and CAP_SYS_PTRACE "
		       "(systemd: AmbientCapabilities=; a file: setcap cap_bpf,cap_perfmon,cap_sys_ptrace+ep)", missing);
}

int priv_check_setuid(void)
{
	cap_t c = cap_get_proc();
	bool ok = c && effective(c, CAP_SETUID) && effective(c, CAP_SETGID);

	cap_free(c);
	return ok ? 0 : ht_fail("--user needs CAP_SETUID and CAP_SETGID to run the program as another user: run heaptrace as root (sudo)");
}

static bool kept(cap_value_t v)
{
	size_t i;

	for (i = 0; i < NNEEDS; i++)
		if (NEEDS[i].cap == v)
			return true;
	return false;
}

int priv_drop_tracer(void)
{
	static bool done;
	cap_t cur, next = NULL;
	cap_iab_t iab = NULL;
	cap_value_t v, max = cap_max_bits();
	int err = -1;
	size_t i;

	if (done)
		return 0;
	cur = cap_get_proc();
	next = cap_init();
	iab = cap_iab_init(); /* empty inheritable and ambient sets */
	if (!cur || !next || !iab) {
		ht_fail("cannot read this process's capabilities: %s", strerror(errno));
		goto out;
	}
	/* The bounding set can only shrink with CAP_SETPCAP (root has it); a
	 * process started with the three capabilities alone has a bounding
	 * set its starter chose, and no_new_privs below keeps exec from
	 * using it. */
	for (v = 0; effective(cur, CAP_SETPCAP) && v < max; v++)
		if (!kept(v) && cap_iab_set_vector(iab, CAP_IAB_BOUND, v, CAP_SET)) {
			ht_fail("cannot prepare the capability drop: %s", strerror(errno));
			goto out;
		}
	for (i = 0; i < NNEEDS; i++) {
		cap_flag_value_t p = CAP_CLEAR;

		if (cap_get_flag(cur, NEEDS[i].cap, CAP_PERMITTED, &p) == 0 && p == CAP_SET &&
		    (cap_set_flag(next, CAP_EFFECTIVE, 1, &NEEDS[i].cap, CAP_SET) ||
		     cap_set_flag(next, CAP_PERMITTED, 1, &NEEDS[i].cap, CAP_SET))) {
			ht_fail("cannot prepare the capability drop: %s", strerror(errno));
			goto out;
		}
	}
	/* On every thread (libpsx): bounding, inheritable and ambient sets,
	 * then effective and permitted, then no_new_privs. */
	if (cap_iab_set_proc(iab) || cap_set_proc(next) || cap_prctlw(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0, 0)) {
		ht_fail("cannot drop the capabilities tracing no longer needs: %s", strerror(errno));
		goto out;
	}
	done = true;
	err = 0;
out:
	cap_free(iab);
	cap_free(next);
	cap_free(cur);
	return err;
}

void priv_describe(char *buf, size_t len)
{
	cap_t c = cap_get_proc();
	size_t n = 0;
	cap_value_t v, max = cap_max_bits();

	buf[0] = '\0';
	for (v = 0; c && v < max && n < len; v++)
		if (effective(c, v)) {
			char *name = cap_to_name(v);

			n += (size_t)snprintf(buf + n, len - n, "%s%s", n ? " " : "", name ? name : "?");
			cap_free(name);
		}
	if (!n)
		snprintf(buf, len, "none");
	cap_free(c);
}

/* ---- forked children: raw system calls only ---- */

static int capset_empty_inheritable(bool keep_others)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3] = { { 0 } };
	int i;

	if (keep_others && syscall(SYS_capget, &h, d))
		return -1;
	for (i = 0; i < _LINUX_CAPABILITY_U32S_3; i++) {
		d[i].inheritable = 0;
		if (!keep_others)
			d[i].effective = d[i].permitted = 0;
	}
	return (int)syscall(SYS_capset, &h, d);
}

int priv_child_clear_inherited(void)
{
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) && errno != EINVAL)
		return -1;
	return capset_empty_inheritable(true);
}

int priv_child_drop_all(unsigned uid)
{
	int v;

	/* Needs CAP_SETPCAP: fails harmlessly without it (no_new_privs). */
	for (v = 0; v <= CAP_LAST_CAP; v++)
		prctl(PR_CAPBSET_DROP, v, 0, 0, 0);
	if (geteuid() == 0 && (syscall(SYS_setgroups, 0, NULL) || syscall(SYS_setresgid, uid, uid, uid) ||
			       syscall(SYS_setresuid, uid, uid, uid)))
		return -1;
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) && errno != EINVAL)
		return -1;
	if (capset_empty_inheritable(false))
		return -1;
	return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
}
