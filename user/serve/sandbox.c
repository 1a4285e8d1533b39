// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/capability.h>
#include "serve/sandbox.h"
#include "util/log.h"

int sandbox_check_unprivileged(void)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];
	int i;

	if (syscall(SYS_capget, &h, d))
		return ht_fail("cannot read the capabilities: %s", strerror(errno));
	for (i = 0; i < _LINUX_CAPABILITY_U32S_3; i++)
		if (d[i].effective || d[i].permitted || d[i].inheritable)
			return ht_fail("the HTTP server holds capabilities: refusing to serve");
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_BPF, 0, 0) == 1 ||
	    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_PERFMON, 0, 0) == 1)
		return ht_fail("the HTTP server holds ambient capabilities: refusing to serve");
	if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1)
		return ht_fail("the HTTP server runs without no_new_privs: refusing to serve");
	return 0;
}

/* ---- Landlock ---- */

/* The kernel headers of Debian 12 stop at ABI 2; the newer fields and
 * rights are defined here (uapi/linux/landlock.h). */
struct ht_landlock_ruleset_attr {
	uint64_t handled_access_fs;
	uint64_t handled_access_net;	/* ABI 4 */
	uint64_t scoped;		/* ABI 6 */
};
#define HT_LANDLOCK_CREATE_RULESET_VERSION (1u << 0)
#define HT_LL_FS_ABI1 ((1ull << 13) - 1)	/* EXECUTE ... MAKE_SYM */
#define HT_LL_FS_REFER (1ull << 13)		/* ABI 2 */
#define HT_LL_FS_TRUNCATE (1ull << 14)		/* ABI 3 */
#define HT_LL_FS_IOCTL_DEV (1ull << 15)		/* ABI 5 */
#define HT_LL_NET_BIND_TCP (1ull << 0)		/* ABI 4 */
#define HT_LL_NET_CONNECT_TCP (1ull << 1)
#define HT_LL_SCOPE_ABSTRACT_UNIX_SOCKET (1ull << 0) /* ABI 6 */
#define HT_LL_SCOPE_SIGNAL (1ull << 1)
#ifndef __NR_landlock_create_ruleset
#define __NR_landlock_create_ruleset 444
#define __NR_landlock_restrict_self 446
#endif

int sandbox_landlock(char *why, size_t len)
{
	struct ht_landlock_ruleset_attr a = { 0 };
	size_t size = sizeof(a);
	long abi = syscall(__NR_landlock_create_ruleset, NULL, 0, HT_LANDLOCK_CREATE_RULESET_VERSION);
	int fd;

	if (abi < 0) {
		snprintf(why, len, "no Landlock in this kernel (%s)", strerror(errno));
		return 0;
	}
	/* Every right this ABI knows is handled, and no rule grants any: no
	 * file can be opened, created or executed, no TCP port bound or
	 * connected to. The listening socket, the channel and stderr were
	 * opened before, and stay usable. */
	a.handled_access_fs = HT_LL_FS_ABI1 | (abi >= 2 ? HT_LL_FS_REFER : 0) | (abi >= 3 ? HT_LL_FS_TRUNCATE : 0) |
			      (abi >= 5 ? HT_LL_FS_IOCTL_DEV : 0);
	if (abi >= 4)
		a.handled_access_net = HT_LL_NET_BIND_TCP | HT_LL_NET_CONNECT_TCP;
	/* Signals and abstract unix sockets only within the stage. */
	if (abi >= 6)
		a.scoped = HT_LL_SCOPE_ABSTRACT_UNIX_SOCKET | HT_LL_SCOPE_SIGNAL;
	else
		size = abi >= 4 ? offsetof(struct ht_landlock_ruleset_attr, scoped)
				: offsetof(struct ht_landlock_ruleset_attr, handled_access_net);
	fd = (int)syscall(__NR_landlock_create_ruleset, &a, size, 0);
	if (fd < 0)
		return ht_fail("cannot create a Landlock ruleset (ABI %ld): %s", abi, strerror(errno));
	if (syscall(__NR_landlock_restrict_self, fd, 0)) {
		int err = errno;

		close(fd);
		return ht_fail("cannot apply Landlock (ABI %ld): %s", abi, strerror(err));
	}
	close(fd);
	snprintf(why, len, "Landlock ABI %ld: no file, no TCP bind or connect%s", abi,
		 abi >= 6 ? ", signals and abstract sockets within the server" : "");
	return 1;
}

/* ---- seccomp ---- */

int sandbox_seccomp_load(scmp_filter_ctx ctx)
{
	int r = seccomp_load(ctx);

	seccomp_release(ctx);
	return r ? ht_fail("cannot load the seccomp filter: %s", strerror(-r)) : 0;
}
