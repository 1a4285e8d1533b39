// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <stdio.h>
#include <string.h>
#include "util/proc_stat.h"

bool proc_stat_parse(const char *text, struct proc_stat *out)
{
	/* comm is in parentheses and may hold both: the fields start after the last */
	const char *p = strrchr(text, ')');
	unsigned long long utime, stime;

	memset(out, 0, sizeof(*out));
	return p && sscanf(p + 1, " %c %*d %*d %*d %*d %*d %lu %*u %*u %*u %*u %llu %llu %*d %*d %*d %*d %*d %*d %llu",
			   &out->state, &out->flags, &utime, &stime, &out->starttime) == 5 &&
	       (out->cpu_ticks = utime + stime, true);
}

bool proc_stat_read(pid_t pid, struct proc_stat *out)
{
	char path[64], buf[1024];
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return proc_stat_parse(buf, out);
}
