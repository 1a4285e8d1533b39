// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/openat2.h>
#include "util/log.h"
#include "util/outfile.h"

mode_t outfile_mode(void)
{
	unsigned long mask = 022;
	char line[128];
	FILE *f = fopen("/proc/self/status", "re");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "Umask: %lo", &mask) == 1)
			break;
	if (f)
		fclose(f);
	return (mode_t)(0666 & ~mask);
}

/* open(2) that refuses a symlink anywhere in the path (Linux 5.6+); where
 * the kernel lacks openat2, the last component alone. */
static int open_no_symlinks(const char *path, int flags, mode_t mode)
{
	struct open_how how = { .flags = (uint64_t)flags, .mode = mode, .resolve = RESOLVE_NO_SYMLINKS };
	long fd = syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof(how));

	if (fd < 0 && errno == ENOSYS)
		fd = open(path, flags | O_NOFOLLOW, mode);
	return (int)fd;
}

int outfile_open(const char *path, const char *what)
{
	struct stat st;
	int fd, err;

	fd = open_no_symlinks(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0666);
	if (fd < 0) {
		err = errno;
		if (err == ELOOP)
			return ht_fail("cannot write %s to %s: the path goes through a symlink (give the real path: realpath %s)",
				       what, path, path);
		return ht_fail("cannot write %s to %s: %s", what, path, strerror(err));
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		return ht_fail("cannot write %s to %s: not a regular file", what, path);
	}
	if (st.st_uid != geteuid()) {
		close(fd);
		return ht_fail("cannot write %s to %s: the file belongs to uid %u, not to heaptrace's user (uid %u): remove it or choose another path",
			       what, path, (unsigned)st.st_uid, (unsigned)geteuid());
	}
	if (ftruncate(fd, 0)) {
		err = errno;
		close(fd);
		return ht_fail("cannot write %s to %s: %s", what, path, strerror(err));
	}
	return fd;
}

bool outfile_private(int fd, bool dir)
{
	struct stat st;

	return !fstat(fd, &st) && (dir ? S_ISDIR(st.st_mode) : S_ISREG(st.st_mode)) && st.st_uid == geteuid() &&
	       !(st.st_mode & (S_IWGRP | S_IWOTH));
}
