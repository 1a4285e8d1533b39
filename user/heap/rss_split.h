/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Where a process's resident memory is, by mapping, from /proc/PID/smaps:
 * the executable's own mappings (code, data, and the bss right after them),
 * the mappings the Go runtime names (Go 1.25+ on kernels with anonymous
 * VMA names: "[anon: Go: heap]"...), and the whole. With the runtime's
 * memory classes this tells what of RSS is Go's and what is not
 * (runtime_split.h).
 */
#ifndef HT_HEAP_RSS_SPLIT_H
#define HT_HEAP_RSS_SPLIT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct rss_part {
	uint64_t rss, lazyfree, anon_huge; /* bytes */
};

struct rss_split {
	struct rss_part all;	 /* the process */
	uint64_t anon;		 /* Anonymous, the process */
	struct rss_part exe;	 /* the executable's file mappings and its bss */
	struct rss_part go;	 /* mappings named "[anon: Go: ...]" */
	struct rss_part go_heap; /* of those, "[anon: Go: heap]" */
	unsigned go_named;	 /* how many mappings the runtime named */
	unsigned mappings;
};

/* The executable, as smaps names its mappings: its path (readlink of
 * /proc/PID/exe) or its device and inode. */
struct rss_exe {
	const char *path;
	unsigned dev_major, dev_minor;
	uint64_t ino;
};

/* Parses the text of a /proc/PID/smaps file (len bytes, need not end in a
 * newline). Lines it does not know are skipped; a mapping counts once. */
void rss_split_parse(const char *text, size_t len, const struct rss_exe *exe, struct rss_split *out);
/* Reads /proc/PID/smaps; -1 with ht_last_error() when it cannot. */
int rss_split_read(pid_t pid, const struct rss_exe *exe, struct rss_split *out);
#endif
