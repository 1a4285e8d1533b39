/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* What ps shows for a process heaptrace forks (the link closer), so that
 * nobody mistakes it for a second heaptrace. */
#ifndef HT_UTIL_PROC_TITLE_H
#define HT_UTIL_PROC_TITLE_H

/* main() hands over its arguments' memory, which the title reuses. */
void proc_title_init(int argc, char **argv);
/* In a child: its command line (as far as the arguments' memory goes) and
 * its name (comm, 15 characters). */
void proc_title_set(const char *title, const char *comm);
#endif
