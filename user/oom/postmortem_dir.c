// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "export/textfile.h"
#include "oom/postmortem_dir.h"
#include "util/log.h"

#define PREFIX "heaptrace-oom-"
/* "20261206T085704.123Z" */
#define TIME_LEN 20
/* Directory entries looked at per pruning, at most: the directory is
 * heaptrace's, but someone may fill it. */
#define PRUNE_SCAN_MAX 100000

int postmortem_dir_check(const char *dir)
{
	struct stat st;

	if (!*dir)
		return ht_fail("--postmortem-dir: empty directory name");
	if (stat(dir, &st)) {
		if (errno != ENOENT)
			return ht_fail("--postmortem-dir %s: %s", dir, strerror(errno));
		if (mkdir(dir, 0755))
			return ht_fail("--postmortem-dir %s: cannot create it: %s (does its parent exist?)", dir,
				       strerror(errno));
		return 0;
	}
	if (!S_ISDIR(st.st_mode))
		return ht_fail("--postmortem-dir %s: not a directory", dir);
	if (access(dir, W_OK | X_OK))
		return ht_fail("--postmortem-dir %s: cannot create files there: %s", dir, strerror(errno));
	return 0;
}

int postmortem_base(char *buf, size_t len, const char *dir, pid_t pid, const struct timespec *t)
{
	struct tm tm;
	char when[64];

	gmtime_r(&t->tv_sec, &tm);
	snprintf(when, sizeof(when), "%04d%02d%02dT%02d%02d%02d.%03ldZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
		 tm.tm_hour, tm.tm_min, tm.tm_sec, t->tv_nsec / 1000000);
	if (snprintf(buf, len, "%s/" PREFIX "%d-%s", dir, (int)pid, when) >= (int)len)
		return ht_fail("--postmortem-dir %s: the path is too long", dir);
	return 0;
}

static bool digits(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return false;
	return true;
}

size_t postmortem_name_base(const char *name)
{
	const char *p = name + strlen(PREFIX), *t;
	size_t pid_len;

	if (strncmp(name, PREFIX, strlen(PREFIX)))
		return 0;
	pid_len = strspn(p, "0123456789");
	if (!pid_len || pid_len > 10 || p[pid_len] != '-')
		return 0;
	t = p + pid_len + 1;
	if (strlen(t) < TIME_LEN || !digits(t, 8) || t[8] != 'T' || !digits(t + 9, 6) || t[15] != '.' ||
	    !digits(t + 16, 3) || t[19] != 'Z')
		return 0;
	if (strcmp(t + TIME_LEN, ".json") && strcmp(t + TIME_LEN, ".pb.gz"))
		return 0;
	return (size_t)(t + TIME_LEN - name);
}

struct record {
	char base[64];
	uint64_t bytes;
};

/* Oldest first: by the kill's time, then the name. */
static int by_time(const void *a, const void *b)
{
	const char *x = ((const struct record *)a)->base, *y = ((const struct record *)b)->base;
	int c = strcmp(strrchr(x, '-'), strrchr(y, '-'));

	return c ? c : strcmp(x, y);
}

static struct record *find_or_add(struct record **v, size_t *n, size_t *cap, const char *name, size_t blen)
{
	size_t i;

	for (i = 0; i < *n; i++)
		if (strlen((*v)[i].base) == blen && !strncmp((*v)[i].base, name, blen))
			return &(*v)[i];
	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : 128;
		struct record *nv = realloc(*v, nc * sizeof(*nv));

		if (!nv)
			return NULL;
		*v = nv;
		*cap = nc;
	}
	memset(&(*v)[*n], 0, sizeof(**v));
	memcpy((*v)[*n].base, name, blen);
	return &(*v)[(*n)++];
}

int postmortem_prune(const char *dir, unsigned max_records, uint64_t max_bytes, const char *newest,
		     struct prune_result *res)
{
	DIR *d = opendir(dir);
	struct record *v = NULL;
	size_t n = 0, cap = 0, i, scanned = 0;
	uint64_t total = 0;
	struct dirent *de;

	memset(res, 0, sizeof(*res));
	if (!d)
		return ht_fail("cannot read --postmortem-dir %s: %s", dir, strerror(errno));
	while ((de = readdir(d)) && scanned++ < PRUNE_SCAN_MAX) {
		size_t blen = postmortem_name_base(de->d_name);
		struct record *r;
		struct stat st;

		if (!blen || blen >= sizeof(v->base))
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW))
			continue;
		r = find_or_add(&v, &n, &cap, de->d_name, blen);
		if (!r)
			break;
		if (S_ISREG(st.st_mode))
			r->bytes += (uint64_t)st.st_size;
		total += S_ISREG(st.st_mode) ? (uint64_t)st.st_size : 0;
	}
	if (n > 1)
		qsort(v, n, sizeof(*v), by_time);
	for (i = 0; i < n && (n - res->removed > max_records || total > max_bytes); i++) {
		char name[80];

		if (newest && !strcmp(v[i].base, newest))
			continue;
		snprintf(name, sizeof(name), "%s.json", v[i].base);
		unlinkat(dirfd(d), name, 0);
		snprintf(name, sizeof(name), "%s.pb.gz", v[i].base);
		unlinkat(dirfd(d), name, 0);
		total -= v[i].bytes;
		res->removed++;
	}
	res->kept = (unsigned)(n - res->removed);
	res->kept_bytes = total;
	closedir(d);
	free(v);
	return 0;
}

int postmortem_write(const char *dir, const char *base, const void *json, size_t json_len, const void *pb,
		     size_t pb_len)
{
	char path[PATH_MAX], pb_error[512] = "";
	struct prune_result pr;
	const char *name = strrchr(base, '/');

	/* the profile first: a reader that sees the JSON finds it beside */
	if (pb) {
		snprintf(path, sizeof(path), "%s.pb.gz", base);
		if (textfile_write(path, pb, pb_len))
			snprintf(pb_error, sizeof(pb_error), "%s", ht_last_error());
	}
	snprintf(path, sizeof(path), "%s.json", base);
	if (textfile_write(path, json, json_len))
		return -1;
	if (!postmortem_prune(dir, POSTMORTEM_KEEP, POSTMORTEM_KEEP_BYTES, name ? name + 1 : base, &pr) && pr.removed)
		ht_debug("--postmortem-dir %s: removed the %u oldest records, %u kept (%llu bytes)", dir, pr.removed,
			 pr.kept, (unsigned long long)pr.kept_bytes);
	if (pb_error[0]) {
		ht_fail("the record's map profile: %s", pb_error);
		return 1;
	}
	return 0;
}
