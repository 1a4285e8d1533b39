/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* uprobe_multi links (Linux 6.6+): many uprobes on one file attached and
 * detached in one step, which libbpf 1.1 predates. */
#ifndef HT_TRACE_UPROBE_MULTI_H
#define HT_TRACE_UPROBE_MULTI_H
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* BPF_TRACE_UPROBE_MULTI: the programs' expected attach type */
#define HT_BPF_TRACE_UPROBE_MULTI 48

/* Does this kernel know uprobe_multi links? Loads a two-instruction
 * program of that attach type and frees it: microseconds. */
bool uprobe_multi_supported(void);
/* That program (returns 0), for links that only need to exist; its fd or -1. */
int uprobe_multi_noop_program(void);

/* A link of prog_fd on `path` at file offsets[i] with cookies[i], filtered
 * to pid; returns its fd (closing it detaches), or -1 with a message. */
int uprobe_multi_link(int prog_fd, const char *path, const uint64_t *offsets, const uint64_t *cookies,
		      unsigned n, pid_t pid);
#endif
