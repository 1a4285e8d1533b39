/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The work done once per executable, whatever number of processes run it:
 * reading the ELF, pclntab and build info, the probe plan and its decoding,
 * the plan's points in the tracer. Keyed by the file's identity (device,
 * inode, mtime, size), so that 50 copies of one binary cost one analysis and
 * a rebuilt binary a new one. Programs that are not Go are remembered too,
 * so that they are skipped at once.
 */
#ifndef HT_EXE_CACHE_H
#define HT_EXE_CACHE_H
#include "plan/probeplan.h"
#include "target/target.h"
#include "trace/tracer.h"

struct exe_entry {
	struct target prog;	  /* the program as read from the first process */
	bool usable;		  /* a Go program heaptrace can trace */
	char why[512];		  /* when not usable: the reason, as the user should read it */
	struct probe_plan plan;
	struct plan_points pp;
	bool in_tracer;		  /* pp has its cookies */
	unsigned users;		  /* processes traced with it now */
};

struct exe_cache {
	struct exe_entry **v;
	size_t n, cap;
	enum ht_tier max_tier;
	uint64_t analyses;	  /* programs read: the bench's "one analysis per binary" */
};

void exe_cache_init(struct exe_cache *c, enum ht_tier max_tier);
/* The entry for the executable of the identified target t (target_identify),
 * reading and planning it the first time; NULL only when out of memory.
 * An entry that is not usable says why. */
struct exe_entry *exe_cache_get(struct exe_cache *c, const struct target *t);
/* The entry's points in the tracer (once). */
int exe_entry_add_to_tracer(struct exe_entry *e, struct tracer *tr);
void exe_cache_free(struct exe_cache *c);
#endif
