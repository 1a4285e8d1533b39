// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "util/log.h"
#include "export/textfile.h"
#include "util/outfile.h"

/* What to do about the usual failures, after strerror(). */
static const char *remedy(int err)
{
	switch (err) {
	case ENOENT:
		return " (does the directory exist?)";
	case EACCES:
	case EPERM:
	case EROFS:
		return " (is the directory writable by heaptrace?)";
	case ENOSPC:
	case EDQUOT:
		return " (the file system is full)";
	case EISDIR:
		return " (the path names a directory: give a file name, e.g. DIR/heaptrace.prom)";
	default:
		return "";
	}
}

static int write_all(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* The rename is durable once the directory entry is on disk too. A file
 * system that cannot fsync a directory (EINVAL) still renamed atomically. */
static int sync_dir(const char *path)
{
	char copy[PATH_MAX];
	int fd, rc;

	snprintf(copy, sizeof(copy), "%s", path);
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc && errno != EINVAL ? -1 : 0;
}

int textfile_write(const char *path, const void *data, size_t len)
{
	char tmp[PATH_MAX];
	const char *step;
	int fd, err;

	if (snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >= (int)sizeof(tmp))
		return ht_fail("cannot write %s: the path is too long", path);
	/* mkostemp opens with O_CREAT | O_EXCL, which never follows a symlink. */
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		err = errno;
		return ht_fail("cannot write %s: cannot create a temporary file beside it: %s%s", path, strerror(err),
			       remedy(err));
	}
	step = "cannot write";
	if (write_all(fd, data, len))
		goto fail;
	/* mkostemp makes it 0600: the umask decides who reads it, as for
	 * any file heaptrace creates */
	step = "cannot set the mode of";
	if (fchmod(fd, outfile_mode()))
		goto fail;
	step = "cannot sync";
	if (fsync(fd))
		goto fail;
	step = "cannot close";
	if (close(fd)) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	step = "cannot rename";
	if (rename(tmp, path))
		goto fail;
	if (sync_dir(path))
		return ht_fail("wrote %s but cannot sync its directory: %s", path, strerror(errno));
	return 0;
fail:
	err = errno;
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	return ht_fail("%s %s (via %s): %s%s", step, path, tmp, strerror(err), remedy(err));
}
