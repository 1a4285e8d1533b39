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
	while (fgets(line, sizeof(line), f))
		smaps_parse_line(line, out);
	fclose(f);
	return 0;
}

void smaps_parse_line(const char *line, struct smaps *out)
{
	unsigned long long kb;

	/* kB values: no more than 2^54 of them fit bytes in 64 bits */
	if (sscanf(line, "Rss: %llu kB", &kb) == 1 && kb < (1ull << 54))
		out->rss = kb * 1024;
	else if (sscanf(line, "Anonymous: %llu kB", &kb) == 1 && kb < (1ull << 54))
		out->anon = kb * 1024;
	else if (sscanf(line, "LazyFree: %llu kB", &kb) == 1 && kb < (1ull << 54))
		out->lazyfree = kb * 1024;
}
