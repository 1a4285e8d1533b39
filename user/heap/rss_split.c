// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "heap/rss_split.h"
#include "util/log.h"

/* smaps of a process with a million mappings is ~400 MiB: far past what a
 * Go program has; what is beyond this is not read, and the figures say
 * less than there is rather than nothing. */
#define SMAPS_MAX (64u << 20)
#define GO_PREFIX "[anon: Go: "

enum owner { OTHER, EXE, GO, GO_HEAP };

struct mapping {
	uint64_t start, end;
	enum owner owner;
};

static void add(struct rss_part *p, const char *field, uint64_t bytes)
{
	if (!strcmp(field, "Rss"))
		p->rss += bytes;
	else if (!strcmp(field, "LazyFree"))
		p->lazyfree += bytes;
	else if (!strcmp(field, "AnonHugePages"))
		p->anon_huge += bytes;
}

/* "7f00-7f10 rw-p 00000000 fd:01 1234   /path" -> the mapping and who owns it */
static bool header(const char *line, const struct rss_exe *exe, const struct mapping *prev, struct mapping *m)
{
	unsigned maj, min;
	uint64_t off, ino;
	char perms[5];
	int n = 0;

	if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %4s %" SCNx64 " %x:%x %" SCNu64 "%n", &m->start, &m->end, perms,
		   &off, &maj, &min, &ino, &n) != 7 || !n)
		return false;
	line += n;
	while (*line == ' ' || *line == '\t')
		line++;
	m->owner = OTHER;
	if (!strncmp(line, GO_PREFIX, strlen(GO_PREFIX)))
		m->owner = !strcmp(line + strlen(GO_PREFIX), "heap]") ? GO_HEAP : GO;
	else if (ino && ((exe->ino && ino == exe->ino && maj == exe->dev_major && min == exe->dev_minor) ||
			 (exe->path && *exe->path && !strcmp(line, exe->path))))
		m->owner = EXE;
	/* the bss: anonymous, right after the executable's last mapping */
	else if (!ino && !*line && prev->owner == EXE && prev->end == m->start)
		m->owner = EXE;
	return true;
}

/* "Rss:      1234 kB": the field's name (up to 31 letters or _) and its
 * value in bytes, as sscanf("%31[A-Za-z_]: %llu") reads it, by hand: that
 * sscanf on each of smaps' lines was most of heaptrace's work when it
 * attached to 200 idle processes. */
static bool field_line(const char *s, size_t n, char name[32], uint64_t *bytes)
{
	unsigned long long kb = 0;
	size_t i = 0, k;

	while (i < n && i < 31 && ((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z') || s[i] == '_'))
		i++;
	if (!i || i >= n || s[i] != ':')
		return false;
	for (k = i + 1; k < n && (s[k] == ' ' || s[k] == '\t'); k++)
		;
	if (k >= n || s[k] < '0' || s[k] > '9')
		return false;
	for (; k < n && s[k] >= '0' && s[k] <= '9'; k++)
		kb = kb > (ULLONG_MAX - 9) / 10 ? ULLONG_MAX : kb * 10 + (unsigned)(s[k] - '0');
	memcpy(name, s, i);
	name[i] = 0;
	*bytes = kb > UINT64_MAX / 1024 ? UINT64_MAX : (uint64_t)kb * 1024;
	return true;
}

void rss_split_parse(const char *text, size_t len, const struct rss_exe *exe, struct rss_split *out)
{
	struct mapping cur = { 0 }, prev = { 0 };
	bool in = false;
	char line[4352];
	size_t at = 0;

	memset(out, 0, sizeof(*out));
	while (at < len) {
		const char *nl = memchr(text + at, '\n', len - at);
		size_t n = nl ? (size_t)(nl - (text + at)) : len - at;
		const char *start = text + at;
		char field[32];
		uint64_t bytes;

		at += n + 1;
		if (field_line(start, n, field, &bytes)) {
			if (!in)
				continue;
			add(&out->all, field, bytes);
			if (!strcmp(field, "Anonymous"))
				out->anon += bytes;
			if (cur.owner == EXE)
				add(&out->exe, field, bytes);
			if (cur.owner == GO || cur.owner == GO_HEAP)
				add(&out->go, field, bytes);
			if (cur.owner == GO_HEAP)
				add(&out->go_heap, field, bytes);
			continue;
		}
		/* a line longer than any smaps writes is cut, not trusted */
		snprintf(line, sizeof(line), "%.*s", (int)(n < sizeof(line) - 1 ? n : sizeof(line) - 1), start);
		if (header(line, exe, &prev, &cur)) {
			/* the next mapping compares itself with this one */
			in = true;
			prev = cur;
			out->mappings++;
			out->go_named += cur.owner == GO || cur.owner == GO_HEAP;
		}
	}
}

int rss_split_read(pid_t pid, const struct rss_exe *exe, struct rss_split *out)
{
	char path[64], *buf;
	size_t len = 0, cap = 1u << 16;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/smaps", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return ht_fail("cannot read %s: %s", path, strerror(errno));
	buf = malloc(cap);
	while (buf) {
		ssize_t n;

		if (len == cap) {
			char *nb = cap < SMAPS_MAX ? realloc(buf, cap * 2) : NULL;

			if (!nb)
				break; /* what was read is counted */
			buf = nb;
			cap *= 2;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	if (!buf)
		return ht_fail("out of memory reading %s", path);
	rss_split_parse(buf, len, exe, out);
	free(buf);
	if (!out->mappings)
		return ht_fail("%s has no mappings: the process has exited", path);
	return 0;
}
