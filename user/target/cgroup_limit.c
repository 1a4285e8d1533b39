// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include "target/cgroup_limit.h"
#include "util/log.h"

/* v1 writes PAGE_COUNTER_MAX pages for "no limit": 2^63 - 4096 on 4 KiB
 * pages, less on larger ones; anything from 2^62 on is no limit. */
#define NO_LIMIT_FROM (1ull << 62)
/* ancestors walked, at most */
#define MAX_DEPTH 64

/* An absolute path with no empty, "." or ".." element, no control byte. */
static bool clean_path(const char *p, size_t len)
{
	size_t i, start = 1;

	if (!len || p[0] != '/')
		return false;
	for (i = 1; i <= len; i++) {
		if (i < len && ((unsigned char)p[i] < 0x20 || p[i] == 0x7f))
			return false;
		if (i == len || p[i] == '/') {
			size_t e = i - start;

			if ((e == 0 && !(i == len && len == 1)) || (e == 1 && p[start] == '.') ||
			    (e == 2 && p[start] == '.' && p[start + 1] == '.'))
				return false;
			start = i + 1;
		}
	}
	return true;
}

/* Is `name` one of the comma-separated words of list[0..len)? */
static bool has_word(const char *list, size_t len, const char *name)
{
	size_t n = strlen(name), i = 0;

	while (i < len) {
		const char *c = memchr(list + i, ',', len - i);
		size_t e = c ? (size_t)(c - (list + i)) : len - i;

		if (e == n && !memcmp(list + i, name, n))
			return true;
		i += e + 1;
	}
	return false;
}

bool cgroup_memory_paths(const char *text, char *v1, size_t v1len, char *v2, size_t v2len)
{
	const char *line = text;
	bool ok = true;

	v1[0] = v2[0] = '\0';
	while (line && *line) {
		const char *end = strchr(line, '\n'), *c1, *c2;
		size_t llen = end ? (size_t)(end - line) : strlen(line), plen;

		/* "hierarchy-ID:controllers:path" */
		c1 = memchr(line, ':', llen);
		c2 = c1 ? memchr(c1 + 1, ':', llen - (size_t)(c1 + 1 - line)) : NULL;
		if (c2) {
			const char *path = c2 + 1;
			bool unified = c1 - line == 1 && line[0] == '0' && c2 == c1 + 1;
			bool memory = has_word(c1 + 1, (size_t)(c2 - c1 - 1), "memory");
			char *dst = unified ? v2 : memory ? v1 : NULL;
			size_t dlen = unified ? v2len : v1len;

			plen = llen - (size_t)(path - line);
			if (dst && (!clean_path(path, plen) || plen >= dlen))
				ok = false;
			else if (dst)
				snprintf(dst, dlen, "%.*s", (int)plen, path);
		}
		line = end ? end + 1 : NULL;
	}
	return ok && (v1[0] || v2[0]);
}

void cgroup_mounts_parse(const char *text, struct cgroup_mounts *out)
{
	const char *line = text;

	memset(out, 0, sizeof(*out));
	while (line && *line) {
		const char *end = strchr(line, '\n');
		size_t llen = end ? (size_t)(end - line) : strlen(line);
		char buf[1024], root[256], dir[256], fstype[32], super[512];

		/* "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTS" */
		if (llen < sizeof(buf)) {
			const char *dash;

			memcpy(buf, line, llen);
			buf[llen] = '\0';
			dash = strstr(buf, " - ");
			if (dash && sscanf(buf, "%*u %*u %*u:%*u %255s %255s", root, dir) == 2 &&
			    sscanf(dash + 3, "%31s %*s %511s", fstype, super) == 2 && clean_path(root, strlen(root)) &&
			    clean_path(dir, strlen(dir))) {
				if (!strcmp(fstype, "cgroup2") && !out->v2_dir[0]) {
					snprintf(out->v2_dir, sizeof(out->v2_dir), "%s", dir);
					snprintf(out->v2_root, sizeof(out->v2_root), "%s", root);
				} else if (!strcmp(fstype, "cgroup") && has_word(super, strlen(super), "memory") &&
					   !out->v1_dir[0]) {
					snprintf(out->v1_dir, sizeof(out->v1_dir), "%s", dir);
					snprintf(out->v1_root, sizeof(out->v1_root), "%s", root);
				}
			}
		}
		line = end ? end + 1 : NULL;
	}
}

bool cgroup_limit_value(const char *text, uint64_t *bytes)
{
	char *end;
	unsigned long long v;

	if (!strcmp(text, "max\n") || !strcmp(text, "max")) {
		*bytes = 0;
		return true;
	}
	if (*text < '0' || *text > '9')
		return false;
	errno = 0;
	v = strtoull(text, &end, 10);
	if (errno || (*end && strcmp(end, "\n")))
		return false;
	*bytes = v >= NO_LIMIT_FROM ? 0 : (uint64_t)v;
	return true;
}

/* A limit file, opened as given (no symlink at its end) or under dirfd's
 * root with no symlink anywhere; it must be on a cgroup file system. */
static bool read_limit(int dirfd, const char *path, uint64_t *bytes)
{
	struct open_how how = { .flags = O_RDONLY | O_CLOEXEC | O_NONBLOCK,
				.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS };
	char text[64];
	struct statfs sf;
	ssize_t n;
	int fd;

	fd = dirfd < 0 ? open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)
		       : (int)syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
	if (fd < 0)
		return false;
	if (fstatfs(fd, &sf) || (sf.f_type != CGROUP_SUPER_MAGIC && sf.f_type != CGROUP2_SUPER_MAGIC)) {
		close(fd);
		return false;
	}
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (n <= 0)
		return false;
	text[n] = '\0';
	return cgroup_limit_value(text, bytes);
}

/* The lowest limit of cgroup `path` and its ancestors in the hierarchy
 * mounted at dir with root `root`; false when no file could be read. */
static bool walk(const char *dir, const char *root, const char *path, const char *file, struct cgroup_limit *out,
		 int version)
{
	size_t rlen = strcmp(root, "/") ? strlen(root) : 0;
	char rel[512], full[1024];
	bool any = false;
	int depth;

	if (!dir[0] || !path[0] || strncmp(path, root, rlen) || (path[rlen] && path[rlen] != '/'))
		return false;
	snprintf(rel, sizeof(rel), "%s", path + rlen);
	for (depth = 0; depth < MAX_DEPTH; depth++) {
		char *slash = strrchr(rel, '/');
		uint64_t v;

		snprintf(full, sizeof(full), "%s%s/%s", dir, rel, file);
		if (read_limit(-1, full, &v)) {
			if (!any)
				snprintf(out->file, sizeof(out->file), "%s", full);
			any = true;
			if (v && (!out->bytes || v < out->bytes)) {
				out->bytes = v;
				out->version = version;
				snprintf(out->file, sizeof(out->file), "%s", full);
			}
		}
		if (!slash || !rel[0])
			break;
		*slash = '\0';
	}
	if (any && !out->version)
		out->version = version;
	return any;
}

static int read_text(const char *path, char *buf, size_t len)
{
	ssize_t n;
	size_t got = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	while (got + 1 < len && (n = read(fd, buf + got, len - 1 - got)) > 0)
		got += (size_t)n;
	close(fd);
	buf[got] = '\0';
	return 0;
}

int cgroup_limit_read(pid_t pid, struct cgroup_limit *out)
{
	static struct cgroup_mounts mounts;
	static bool have_mounts;
	char path[64], text[8192], v1[512], v2[512];
	bool found;

	memset(out, 0, sizeof(*out));
	if (!have_mounts) {
		char *mi = malloc(1 << 20);

		if (mi && !read_text("/proc/self/mountinfo", mi, 1 << 20)) {
			cgroup_mounts_parse(mi, &mounts);
			have_mounts = true;
		}
		free(mi);
	}
	snprintf(path, sizeof(path), "/proc/%d/cgroup", pid);
	if (read_text(path, text, sizeof(text)))
		return ht_fail("cannot read %s: %s", path, strerror(errno));
	if (!cgroup_memory_paths(text, v1, sizeof(v1), v2, sizeof(v2)))
		return ht_fail("%s names no memory cgroup heaptrace can follow", path);
	found = walk(mounts.v2_dir, mounts.v2_root, v2, "memory.max", out, 2);
	found |= walk(mounts.v1_dir, mounts.v1_root, v1, "memory.limit_in_bytes", out, 1);
	if (!found) {
		/* heaptrace does not see the target's cgroup: its own view,
		 * where its cgroup is the root of its cgroup mount */
		int root;
		uint64_t v;

		snprintf(path, sizeof(path), "/proc/%d/root", pid);
		root = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (root >= 0) {
			if (read_limit(root, "sys/fs/cgroup/memory.max", &v))
				out->version = 2;
			else if (read_limit(root, "sys/fs/cgroup/memory/memory.limit_in_bytes", &v))
				out->version = 1;
			if (out->version) {
				found = true;
				out->bytes = v;
				snprintf(out->file, sizeof(out->file), "%s/sys/fs/cgroup (the target's own view)", path);
			}
			close(root);
		}
	}
	if (!found)
		return ht_fail("no memory limit file of pid %d's cgroup (%s) could be read", pid, v2[0] ? v2 : v1);
	return 0;
}
