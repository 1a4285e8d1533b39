// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <stdio.h>
#include <string.h>
#include "heap/smaps.h"

int smaps_read(pid_t pid, struct smaps *out)
{
	char path[64], line[256];
	FILE *f;

	memset(out, 0, sizeof(*out));
	snprintf(path, sizeof(path), "/proc/%d/smaps_rollup", pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long kb;

		if (sscanf(line, "Rss: %llu kB", &kb) == 1)
			out->rss = kb * 1024;
		else if (sscanf(line, "Anonymous: %llu kB", &kb) == 1)
			out->anon = kb * 1024;
		else if (sscanf(line, "LazyFree: %llu kB", &kb) == 1)
			out->lazyfree = kb * 1024;
	}
	fclose(f);
	return 0;
}
