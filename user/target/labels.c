// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "target/labels.h"
#include "util/log.h"

static size_t hex_run(const char *s)
{
	size_t n = 0;

	while (isxdigit((unsigned char)s[n]) && !isupper((unsigned char)s[n]))
		n++;
	return n;
}

/* A path element that holds a container ID: the 64 hex digits alone
 * ("/docker/<id>", "/kubepods/.../<id>") or after a runtime's prefix
 * ("docker-<id>.scope", "cri-containerd-<id>.scope", "crio-<id>.scope",
 * "libpod-<id>.scope"). */
static bool element_id(const char *e, size_t len, char *out)
{
	const char *dash = NULL, *p = e;
	size_t i;

	for (i = 0; i < len; i++)
		if (e[i] == '-')
			dash = e + i; /* the last dash: IDs hold none */
	if (dash)
		p = dash + 1;
	if ((size_t)(e + len - p) < CONTAINER_ID_LEN || hex_run(p) != CONTAINER_ID_LEN)
		return false;
	if (p + CONTAINER_ID_LEN != e + len && strncmp(p + CONTAINER_ID_LEN, ".scope", 6))
		return false;
	memcpy(out, p, CONTAINER_ID_LEN);
	out[CONTAINER_ID_LEN] = '\0';
	return true;
}

/* "pod<uid>" or "kubepods-besteffort-pod<uid_with_underscores>.slice" */
static bool element_pod(const char *e, size_t len, char *out)
{
	const char *p = NULL;
	size_t i;

	for (i = 0; i + 3 <= len; i++)
		if (!strncmp(e + i, "pod", 3) && (i == 0 || e[i - 1] == '-'))
			p = e + i + 3;
	if (!p || (size_t)(e + len - p) < POD_UID_LEN)
		return false;
	for (i = 0; i < POD_UID_LEN; i++) {
		char c = p[i];

		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (c != '-' && c != '_')
				return false;
			out[i] = '-';
		} else if (isxdigit((unsigned char)c)) {
			out[i] = (char)tolower((unsigned char)c);
		} else {
			return false;
		}
	}
	out[POD_UID_LEN] = '\0';
	return true;
}

void cgroup_ids(const char *text, struct proc_labels *l)
{
	const char *line = text;

	l->container_id[0] = l->pod_uid[0] = '\0';
	while (line && *line) {
		const char *end = strchr(line, '\n'), *path = NULL, *p;
		size_t llen = end ? (size_t)(end - line) : strlen(line);

		/* "hierarchy-ID:controllers:path" */
		p = memchr(line, ':', llen);
		if (p)
			p = memchr(p + 1, ':', llen - (size_t)(p + 1 - line));
		if (p)
			path = p + 1;
		while (path && path < line + llen) {
			const char *slash = memchr(path, '/', (size_t)(line + llen - path));
			size_t elen = slash ? (size_t)(slash - path) : (size_t)(line + llen - path);

			if (elen) {
				element_id(path, elen, l->container_id);
				element_pod(path, elen, l->pod_uid);
			}
			path = slash ? slash + 1 : NULL;
		}
		if (!l->cgroup[0] || (llen > 3 && !strncmp(line, "0::", 3)))
			snprintf(l->cgroup, sizeof(l->cgroup), "%.*s", (int)(llen - (size_t)(p ? p + 1 - line : 0)),
				 p ? p + 1 : line);
		line = end ? end + 1 : NULL;
	}
}

int proc_labels_read(pid_t pid, struct proc_labels *l)
{
	char path[64], text[8192];
	size_t n;
	FILE *f;

	memset(l, 0, sizeof(*l));
	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	f = fopen(path, "re");
	if (!f)
		return ht_fail("cannot read %s: %s", path, strerror(errno));
	if (fgets(l->comm, sizeof(l->comm), f))
		l->comm[strcspn(l->comm, "\n")] = '\0';
	fclose(f);
	snprintf(path, sizeof(path), "/proc/%d/cgroup", pid);
	f = fopen(path, "re");
	if (!f)
		return ht_fail("cannot read %s: %s", path, strerror(errno));
	n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = '\0';
	cgroup_ids(text, l);
	return 0;
}
