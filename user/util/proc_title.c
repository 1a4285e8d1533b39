// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <string.h>
#include <sys/prctl.h>
#include "util/proc_title.h"

static char *area;
static size_t area_len;

void proc_title_init(int argc, char **argv)
{
	int i;

	if (argc < 1 || !argv[0])
		return;
	/* the arguments lie end to end: argv[0] up to the end of the last */
	area = argv[0];
	for (i = 0; i < argc && argv[i]; i++)
		if (argv[i] == area + area_len || i == 0)
			area_len = (size_t)(argv[i] - area) + strlen(argv[i]) + 1;
}

void proc_title_set(const char *title, const char *comm)
{
	if (area && area_len > 1) {
		memset(area, 0, area_len);
		strncpy(area, title, area_len - 1);
	}
	prctl(PR_SET_NAME, comm, 0, 0, 0);
}
