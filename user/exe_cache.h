/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The work done once per executable, whatever number of processes run it:
 * reading the ELF, pclntab and build info, the probe plan and its decoding,
 * the plan's points in the tracer. Programs that are not Go are remembered
 * too, so that they are skipped at once.
 *
 * An entry is found by the file's identity (device, inode, size, mtime,
 * ctime: the same version of the same file), else by its content (Go build
 * id, size, a hash of its head and tail): the containers of one image, each
 * on an overlay of its own, share one analysis. A match by content is
 * trusted only once the probed functions' bytes, read from the new file,
 * equal those the plan was decoded from: a plan is never applied to code it
 * was not made from. Every read goes through the process's own descriptor
 * of its executable (target_identify).
 *
 * The cache is bounded whatever the host runs: entries no process uses are
 * forgotten after EXE_IDLE_NS, and the least recently used first when there
 * are more than EXE_MAX_ENTRIES (or EXE_MAX_REFUSED programs that are not Go)
 * or their memory passes EXE_MAX_BYTES. An entry keeps nothing of its file
 * but an open descriptor (program_facts.h, elf_image.h).
 */
#ifndef HT_EXE_CACHE_H
#define HT_EXE_CACHE_H
#include "plan/probeplan.h"
#include "target/target.h"
#include "trace/probe_set.h"
#include "trace/tracer.h"

#define EXE_IDLE_NS (300ull * 1000000000ull)
#define EXE_MAX_ENTRIES 128
#define EXE_MAX_REFUSED 1024
#define EXE_MAX_BYTES (64ull << 20)
#define EXE_MAX_ALIASES 4096

/* What a file's content is, as far as matching it to an analysis goes. */
struct exe_key {
	char build_id[96];	/* Go's (.note.go.buildid), "" if none */
	int64_t size;
	uint64_t head, tail;	/* hashes of its first and last 64 KiB */
};

/* The probes of one executable on one file of the host, shared by every
 * traced process that runs it (host mode), or one process's own. */
struct exe_link {
	/* The file: uprobes go on the inode under an overlay, which every
	 * container of an image shares; stat shows each overlay's own device
	 * but that inode's number (exe_link.c). */
	ino_t ino;
	int fd;			/* the link's own descriptor of it (sampled windows attach later) */
	pid_t pid;		/* the process it is filtered to; 0: shared */
	struct probe_set ps;
	unsigned users;		/* processes traced through it */
	unsigned tier_off[HT_TIERS]; /* of them, how many have a tier off */
	/* the sampled tier's windows (EXE_SAMPLE_ON_NS every EXE_SAMPLE_PERIOD_NS) */
	bool sampling, sample_on;
	uint64_t sample_toggle_at, sample_on_since, sampled_ns;
};

/* The sampled tier (timing that cold points count exactly) is attached
 * this long in every period: 10% of the time. */
#define EXE_SAMPLE_ON_NS (1000ull * 1000000ull)
#define EXE_SAMPLE_PERIOD_NS (10000ull * 1000000ull)

struct exe_entry {
	struct target prog;	  /* the program as read from the first process */
	bool usable;		  /* a Go program heaptrace can trace */
	char why[512];		  /* when not usable: the reason, as the user should read it */
	struct exe_key key;
	struct probe_plan plan;
	struct plan_points pp;
	uint64_t code_hash;	  /* of the probed functions' bytes */
	bool in_tracer;		  /* pp has its cookies */
	unsigned users;		  /* processes traced with it now */
	uint64_t last_used;	  /* monotonic ns */
	size_t bytes;		  /* what it keeps in memory, roughly */
	struct exe_link **links;
	size_t nlinks;
};

/* A program heaptrace will not trace, and why: a few hundred bytes. */
struct exe_refusal {
	struct exe_key key;
	char *why;
	uint64_t last_used;
};

/* A file identity seen before: its entry, or its refusal. */
struct exe_alias {
	struct file_identity id;
	struct exe_entry *e;
	struct exe_refusal *r;
	uint64_t last_used;
};

struct exe_cache {
	struct exe_entry **v;	  /* usable programs */
	size_t n, cap;
	struct exe_refusal **refused;
	size_t nrefused, cap_refused;
	struct exe_entry refusal; /* what exe_cache_get returns for a refusal */
	struct exe_alias *alias;
	size_t nalias, cap_alias;
	enum ht_tier max_tier;
	struct tracer *tr;	  /* to give back an evicted entry's cookies; may be NULL */
	/* for the bench, the tests and -v */
	uint64_t analyses;	  /* programs read */
	uint64_t shared_by_content; /* files matched to another file's analysis */
	uint64_t code_mismatches; /* content matches whose code differed */
	uint64_t evicted;
};

void exe_cache_init(struct exe_cache *c, enum ht_tier max_tier);
/* The entry for the executable of the identified target t (target_identify),
 * reading and planning it the first time; NULL only when out of memory.
 * An entry that is not usable says why (and lasts until the next call). */
struct exe_entry *exe_cache_get(struct exe_cache *c, const struct target *t);
/* The entry's points in the tracer (once). */
int exe_entry_add_to_tracer(struct exe_entry *e, struct tracer *tr);
/* Forgets entries no process uses that are idle or over the bounds. */
void exe_cache_expire(struct exe_cache *c, uint64_t now);
/* Memory the entries keep, roughly, and how many there are. */
size_t exe_cache_bytes(const struct exe_cache *c);
void exe_cache_free(struct exe_cache *c);

/* The link that probes process t (of entry e) for tr, attached on first
 * use: with `shared`, the one of every traced process running t's file
 * (host mode), else its own, filtered to its pid. NULL on failure. */
struct exe_link *exe_link_get(struct exe_entry *e, const struct tracer *tr, const struct target *t, bool shared);
/* A process is no longer traced through l (detached with its last user);
 * tiers_off: the tiers it had off (1 << tier). */
void exe_link_put(struct exe_entry *e, struct exe_link *l, unsigned tiers_off);
/* One of l's processes stops running `tier`'s handlers (--max-overhead);
 * with the last of them, the tier's points are detached. */
void exe_link_tier_off(struct exe_link *l, enum ht_tier tier);
/* Opens or closes l's sampling window when due; returns when next. */
uint64_t exe_link_sample(struct exe_link *l, uint64_t now);
/* How long the sampled tier has been attached in all, up to now. */
uint64_t exe_link_sampled_ns(const struct exe_link *l, uint64_t now);

/* The hash of the probed functions' bytes of the program t plans, read
 * from fd; false if they cannot be read. */
bool exe_code_hash(const struct target *t, const struct probe_plan *plan, int fd, uint64_t *out);
#endif
