/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* What BPF needs to know about a traced process (struct ht_proc_config):
 * where its runtime.madvise is, which stops of the world are the GC's, the
 * map layout its growth handler reads. */
#ifndef HT_TRACE_PROC_CONFIG_H
#define HT_TRACE_PROC_CONFIG_H
#include <linux/types.h>
#include "heaptrace.h"
#include "target/target.h"

/* From the target's file alone; never fails (what it cannot find stays 0,
 * and the handlers that need it do less). */
void proc_config_init(struct ht_proc_config *c, const struct target *t, uint64_t map_grow_min_bytes);
/* Reads what proc_config_init needs of the program's file, while it is
 * there (program_facts.h). */
void proc_config_prepare(const struct target *t);
/* memstats found in the running process (page_stats.c): from there, where
 * the runtime records each cycle's pauses (used for Go < 1.22). */
void proc_config_set_memstats(struct ht_proc_config *c, const struct target *t, uint64_t memstats);
#endif
