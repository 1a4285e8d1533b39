// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "oom/memcg.h"
#include "util/log.h"

/* A cgroup file holds a few lines; /proc/PID/cgroup one per hierarchy. */
#define SMALL_FILE 4096
#define PROC_CGROUP_MAX 16384
/* mountinfo is read a line at a time, this many at most (a container
 * host has thousands of mounts; the cgroup ones come early). */
#define MOUNTINFO_LINES 100000
/* v1 says "no limit" with the largest page-aligned long; anything from
 * here up is no limit. */
#define UNLIMITED_FROM (1ull << 62)

/* Reads at most max-1 bytes of path into buf; its length, or -1. */
static ssize_t read_small(const char *path, char *buf, size_t max)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n, got = 0;

	if (fd < 0)
		return -1;
	while ((size_t)got < max - 1 && (n = read(fd, buf + got, max - 1 - (size_t)got)) > 0)
		got += n;
	close(fd);
	buf[got] = '\0';
	return got;
}

/* A decimal figure alone in a file, or "max". */
static bool read_figure(const char *dir, const char *file, uint64_t *v, bool *unlimited)
{
	char path[MEMCG_PATH_LEN + 64], buf[64], *end;
	unsigned long long x;

	if (snprintf(path, sizeof(path), "%s/%s", dir, file) >= (int)sizeof(path) ||
	    read_small(path, buf, sizeof(buf)) <= 0)
		return false;
	if (unlimited)
		*unlimited = false;
	if (!strncmp(buf, "max", 3) && unlimited) {
		*unlimited = true;
		*v = 0;
		return true;
	}
	errno = 0;
	x = strtoull(buf, &end, 10);
	if (errno || end == buf || (*end && *end != '\n'))
		return false;
	if (unlimited && x >= UNLIMITED_FROM) {
		*unlimited = true;
		*v = 0;
		return true;
	}
	*v = x;
	return true;
}

/* "key value" lines (memory.events, memory.oom_control): key's value. */
static bool read_keyed(const char *dir, const char *file, const char *key, uint64_t *v)
{
	char path[MEMCG_PATH_LEN + 64], buf[SMALL_FILE];
	size_t klen = strlen(key);
	const char *line;

	if (snprintf(path, sizeof(path), "%s/%s", dir, file) >= (int)sizeof(path) ||
	    read_small(path, buf, sizeof(buf)) <= 0)
		return false;
	for (line = buf; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		unsigned long long x;

		if (!strncmp(line, key, klen) && line[klen] == ' ' && sscanf(line + klen + 1, "%llu", &x) == 1) {
			*v = x;
			return true;
		}
	}
	return false;
}

void memcg_read_level(const char *dir, int version, struct memcg_level *lv)
{
	memset(lv, 0, sizeof(*lv));
	if (version == 1) {
		lv->have_limit = read_figure(dir, "memory.limit_in_bytes", &lv->limit, &lv->unlimited);
		lv->have_usage = read_figure(dir, "memory.usage_in_bytes", &lv->usage, NULL);
		lv->have_peak = read_figure(dir, "memory.max_usage_in_bytes", &lv->peak, NULL);
		lv->have_failcnt = read_figure(dir, "memory.failcnt", &lv->failcnt, NULL);
		lv->have_oom_kills = read_keyed(dir, "memory.oom_control", "oom_kill", &lv->oom_kills);
	} else {
		lv->have_limit = read_figure(dir, "memory.max", &lv->limit, &lv->unlimited);
		lv->have_usage = read_figure(dir, "memory.current", &lv->usage, NULL);
		lv->have_peak = read_figure(dir, "memory.peak", &lv->peak, NULL);
		/* "max": times usage was about to go over memory.max */
		lv->have_failcnt = read_keyed(dir, "memory.events", "max", &lv->failcnt);
		lv->have_oom_kills = read_keyed(dir, "memory.events", "oom_kill", &lv->oom_kills);
	}
}

int memcg_path_of(const char *text, char *path, size_t len)
{
	const char *line, *v2 = NULL;
	size_t v2len = 0;

	for (line = text; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		const char *end = strchr(line, '\n'), *c1, *c2, *p;
		size_t llen = end ? (size_t)(end - line) : strlen(line);

		/* "hierarchy-ID:controllers:path" */
		c1 = memchr(line, ':', llen);
		c2 = c1 ? memchr(c1 + 1, ':', llen - (size_t)(c1 + 1 - line)) : NULL;
		if (!c2)
			continue;
		if (c1 == line + 1 && line[0] == '0' && c2 == c1 + 1) {
			v2 = c2 + 1;
			v2len = llen - (size_t)(v2 - line);
			continue;
		}
		/* controllers: a comma list, e.g. "memory" or "cpu,cpuacct" */
		for (p = c1 + 1; p < c2;) {
			const char *comma = memchr(p, ',', (size_t)(c2 - p)), *e = comma ? comma : c2;

			if (e - p == 6 && !strncmp(p, "memory", 6)) {
				size_t plen = llen - (size_t)(c2 + 1 - line);

				if (plen >= len)
					return 0;
				memcpy(path, c2 + 1, plen);
				path[plen] = '\0';
				return 1;
			}
			p = e + 1;
		}
	}
	if (!v2 || v2len >= len)
		return 0;
	memcpy(path, v2, v2len);
	path[v2len] = '\0';
	return 2;
}

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static void unescape(char *s)
{
	char *r = s, *w = s;

	while (*r) {
		if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] >= '0' && r[2] <= '7' && r[3] >= '0' &&
		    r[3] <= '7') {
			*w++ = (char)((r[1] - '0') * 64 + (r[2] - '0') * 8 + (r[3] - '0'));
			r += 4;
		} else {
			*w++ = *r++;
		}
	}
	*w = '\0';
}

static bool has_option(const char *list, const char *opt)
{
	size_t n = strlen(opt);
	const char *p = list;

	while (p && *p) {
		if (!strncmp(p, opt, n) && (p[n] == ',' || p[n] == '\0' || p[n] == '\n'))
			return true;
		p = strchr(p, ',');
		p = p ? p + 1 : NULL;
	}
	return false;
}

bool memcg_mount_of(const char *line, int version, char *mnt, size_t mlen, char *root, size_t rlen)
{
	char copy[4096], *field[64], *save = NULL, *tok;
	int n = 0, dash = -1, i;

	if (snprintf(copy, sizeof(copy), "%s", line) >= (int)sizeof(copy))
		return false;
	copy[strcspn(copy, "\n")] = '\0';
	for (tok = strtok_r(copy, " ", &save); tok && n < 64; tok = strtok_r(NULL, " ", &save))
		field[n++] = tok;
	/* id parent major:minor root mountpoint options [optional...] - fstype source superoptions */
	for (i = 6; i < n; i++)
		if (!strcmp(field[i], "-")) {
			dash = i;
			break;
		}
	if (dash < 0 || dash + 1 >= n)
		return false;
	if (version == 1 ? strcmp(field[dash + 1], "cgroup") || dash + 3 >= n || !has_option(field[dash + 3], "memory")
			 : strcmp(field[dash + 1], "cgroup2"))
		return false;
	unescape(field[3]);
	unescape(field[4]);
	if (snprintf(mnt, mlen, "%s", field[4]) >= (int)mlen || snprintf(root, rlen, "%s", field[3]) >= (int)rlen)
		return false;
	return true;
}

/* Where this process sees the hierarchy: its mount point and root. */
static bool find_mount(int version, char *mnt, size_t mlen, char *root, size_t rlen)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char *line = NULL;
	size_t cap = 0;
	int lines = 0;
	bool found = false;

	if (!f)
		return false;
	while (!found && lines++ < MOUNTINFO_LINES && getline(&line, &cap, f) > 0)
		found = memcg_mount_of(line, version, mnt, mlen, root, rlen);
	free(line);
	fclose(f);
	return found;
}

static bool reached(const struct memcg_level *lv)
{
	uint64_t high = lv->have_peak && lv->peak > lv->usage ? lv->peak : lv->usage;
	/* charges come in batches per CPU, and the victim may have begun to
	 * free before the read: within 1/32 of the limit, or 1 MiB */
	uint64_t slack = lv->limit / 32 > (1u << 20) ? lv->limit / 32 : (1u << 20);

	return lv->have_limit && !lv->unlimited && (lv->have_usage || lv->have_peak) && high + slack >= lv->limit;
}

int memcg_pick(const struct memcg_level *levels, int n, bool *is_reached)
{
	int i, nearest = -1;

	*is_reached = false;
	for (i = 0; i < n; i++) {
		if (reached(&levels[i])) {
			*is_reached = true;
			return i;
		}
		if (nearest < 0 && levels[i].have_limit && !levels[i].unlimited)
			nearest = i;
	}
	return nearest >= 0 ? nearest : 0;
}

int memcg_read(pid_t pid, struct memcg_figures *out)
{
	char path[64], text[PROC_CGROUP_MAX], mnt[MEMCG_PATH_LEN], root[MEMCG_PATH_LEN];
	char dirs[MEMCG_MAX_DEPTH][MEMCG_PATH_LEN];
	struct memcg_level levels[MEMCG_MAX_DEPTH];
	const char *rel;
	size_t rlen, mntlen;
	int n = 0, pick;

	memset(out, 0, sizeof(*out));
	snprintf(path, sizeof(path), "/proc/%d/cgroup", pid);
	if (read_small(path, text, sizeof(text)) <= 0) {
		snprintf(out->why, sizeof(out->why), "cannot read %s: %s (the process has gone)", path, strerror(errno));
		return ht_fail("%s", out->why);
	}
	out->version = memcg_path_of(text, out->cgroup, sizeof(out->cgroup));
	if (!out->version) {
		snprintf(out->why, sizeof(out->why), "%s names no memory cgroup", path);
		return ht_fail("%s", out->why);
	}
	if (!find_mount(out->version, mnt, sizeof(mnt), root, sizeof(root))) {
		snprintf(out->why, sizeof(out->why),
			 "no cgroup%s memory hierarchy is mounted here (mount the host's /sys/fs/cgroup)",
			 out->version == 2 ? "2" : "");
		out->version = 0;
		return ht_fail("%s", out->why);
	}
	/* The path is the hierarchy's; the mount shows it from `root` down. */
	rlen = strcmp(root, "/") ? strlen(root) : 0;
	if (strncmp(out->cgroup, root, rlen) || (out->cgroup[rlen] && out->cgroup[rlen] != '/')) {
		snprintf(out->why, sizeof(out->why), "cgroup %.100s is outside the hierarchy mounted at %.80s",
			 out->cgroup, mnt);
		return ht_fail("%s", out->why);
	}
	rel = out->cgroup + rlen;
	mntlen = strlen(mnt);
	if (snprintf(dirs[0], sizeof(dirs[0]), "%s%s", mnt, strcmp(rel, "/") ? rel : "") >= (int)sizeof(dirs[0])) {
		snprintf(out->why, sizeof(out->why), "cgroup path too long");
		return ht_fail("%s", out->why);
	}
	/* From the process's cgroup up to the mount point. */
	for (n = 1; n < MEMCG_MAX_DEPTH && strlen(dirs[n - 1]) > mntlen; n++) {
		char *slash;

		memcpy(dirs[n], dirs[n - 1], sizeof(dirs[n]));
		slash = strrchr(dirs[n], '/');
		if (!slash || (size_t)(slash - dirs[n]) < mntlen)
			break;
		*slash = '\0';
		if (strlen(dirs[n]) < mntlen)
			break;
	}
	for (int i = 0; i < n; i++)
		memcg_read_level(dirs[i], out->version, &levels[i]);
	pick = memcg_pick(levels, n, &out->limit_reached);
	out->at = levels[pick];
	/* the picked level's path in the hierarchy's terms */
	snprintf(out->limited, sizeof(out->limited), "%s%s", rlen ? root : "",
		 dirs[pick][mntlen] ? dirs[pick] + mntlen : (rlen ? "" : "/"));
	if (!out->at.have_limit && !out->at.have_usage)
		snprintf(out->why, sizeof(out->why), "%s holds no memory figures (is the memory controller enabled?)",
			 dirs[pick]);
	return 0;
}

void memcg_kernel_path(const struct ht_oom_record *r, unsigned from, char *buf, size_t len)
{
	unsigned n = r->cg_levels < HT_OOM_CG_LEVELS ? r->cg_levels : HT_OOM_CG_LEVELS;
	size_t used = 0;
	int j;

	buf[0] = '\0';
	if (r->cg_more && used < len)
		used += (size_t)snprintf(buf + used, len - used, "/...");
	for (j = (int)n - 1; j >= (int)from && used < len; j--) {
		char name[HT_CG_NAME_LEN + 1];

		memcpy(name, r->cg[j].name, HT_CG_NAME_LEN);
		name[HT_CG_NAME_LEN] = '\0';
		if (!name[0] || !strcmp(name, "/"))
			continue; /* the root */
		used += (size_t)snprintf(buf + used, len - used, "/%s", name);
	}
	if (!buf[0])
		snprintf(buf, len, "/");
}

/* The page counter's "no limit" (PAGE_COUNTER_MAX: LONG_MAX in pages):
 * anything from half of it up. */
#define PAGES_UNLIMITED_FROM (1ull << 50)

/* The OOM kill count of the cgroup at `path` in the hierarchy. */
static void add_oom_kills(struct memcg_figures *out)
{
	char mnt[MEMCG_PATH_LEN], root[MEMCG_PATH_LEN], dir[MEMCG_PATH_LEN * 2 + 8];
	int v;

	for (v = 1; v <= 2 && !out->version; v++)
		if (find_mount(v, mnt, sizeof(mnt), root, sizeof(root)))
			out->version = v;
	if (!out->version || strncmp(out->limited, "/...", 4) == 0)
		return;
	/* a hierarchy mounted from its root, as hosts and privileged pods see it */
	if (strcmp(root, "/"))
		return;
	snprintf(dir, sizeof(dir), "%s%s", mnt, strcmp(out->limited, "/") ? out->limited : "");
	out->at.have_oom_kills = out->version == 1 ? read_keyed(dir, "memory.oom_control", "oom_kill", &out->at.oom_kills)
						   : read_keyed(dir, "memory.events", "oom_kill", &out->at.oom_kills);
}

/* The lowest limit among the levels, and its file where the hierarchy is
 * mounted from its root. */
static void add_lowest(struct memcg_figures *out, const struct ht_oom_record *r, const struct memcg_level *levels,
		       unsigned n)
{
	char mnt[MEMCG_PATH_LEN], root[MEMCG_PATH_LEN], path[MEMCG_PATH_LEN];
	unsigned i, low = n;

	for (i = 0; i < n; i++)
		if (!levels[i].unlimited && levels[i].limit && (low == n || levels[i].limit < levels[low].limit))
			low = i;
	if (low == n)
		return;
	out->lowest_limit = levels[low].limit;
	memcg_kernel_path(r, low, path, sizeof(path));
	if (out->version && find_mount(out->version, mnt, sizeof(mnt), root, sizeof(root)) && !strcmp(root, "/"))
		snprintf(out->lowest_file, sizeof(out->lowest_file), "%.480s%.480s/%s", mnt, strcmp(path, "/") ? path : "",
			 out->version == 1 ? "memory.limit_in_bytes" : "memory.max");
	else
		snprintf(out->lowest_file, sizeof(out->lowest_file), "%s (the kernel's record at the kill)", path);
}

int memcg_from_kernel(const struct ht_oom_record *r, uint64_t page_size, struct memcg_figures *out)
{
	struct memcg_level levels[HT_OOM_CG_LEVELS];
	unsigned n = r->cg_levels < HT_OOM_CG_LEVELS ? r->cg_levels : HT_OOM_CG_LEVELS, i;
	int pick;

	memset(out, 0, sizeof(*out));
	if (!n) {
		snprintf(out->why, sizeof(out->why), "the kernel's record names no memory cgroup (memory controller off?)");
		return ht_fail("%s", out->why);
	}
	for (i = 0; i < n; i++) {
		const struct ht_oom_memcg *c = &r->cg[i];

		levels[i] = (struct memcg_level){ .have_limit = true, .have_usage = true, .have_peak = true,
						  .have_failcnt = true, .unlimited = c->max >= PAGES_UNLIMITED_FROM,
						  .limit = c->max >= PAGES_UNLIMITED_FROM ? 0 : c->max * page_size,
						  .usage = c->usage * page_size, .peak = c->watermark * page_size,
						  .failcnt = c->failcnt };
	}
	pick = memcg_pick(levels, (int)n, &out->limit_reached);
	out->at = levels[pick];
	memcg_kernel_path(r, 0, out->cgroup, sizeof(out->cgroup));
	memcg_kernel_path(r, (unsigned)pick, out->limited, sizeof(out->limited));
	add_oom_kills(out);
	add_lowest(out, r, levels, n);
	return 0;
}
