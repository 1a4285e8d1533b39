// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include "util/log.h"
#include "util/proc_maps.h"

bool proc_maps_find(pid_t pid, bool (*fn)(void *ctx, const struct proc_mapping *m), void *ctx,
		    struct proc_mapping *found)
{
	char path[64], line[PATH_MAX + 128];
	struct proc_mapping m;
	bool hit = false;
	FILE *f;

	if (pid)
		snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	else
		snprintf(path, sizeof(path), "/proc/self/maps");
	f = fopen(path, "re");
	if (!f)
		return false;
	while (!hit && fgets(line, sizeof(line), f))
		if (proc_maps_parse_line(line, &m))
			hit = fn(ctx, &m);
	fclose(f);
	if (hit && found)
		*found = m;
	return hit;
}

bool proc_maps_parse_line(const char *line, struct proc_mapping *m)
{
	memset(m, 0, sizeof(*m));
	return sscanf(line, "%" SCNx64 "-%" SCNx64 " %4s %" SCNx64 " %x:%x %" SCNu64, &m->start, &m->end, m->perms,
		      &m->offset, &m->dev_major, &m->dev_minor, &m->inode) == 7 &&
	       m->start <= m->end;
}

static bool holds(void *ctx, const struct proc_mapping *m)
{
	uint64_t a = *(const uint64_t *)ctx;

	return a >= m->start && a < m->end;
}

int own_file_offset(const void *p, uint64_t *off)
{
	uint64_t addr = (uint64_t)(uintptr_t)p;
	struct proc_mapping m;

	if (!proc_maps_find(0, holds, &addr, &m))
		return ht_fail("0x%llx is not in heaptrace's own mappings (/proc/self/maps)", (unsigned long long)addr);
	*off = addr - m.start + m.offset;
	return 0;
}
