/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* The program being traced or planned for: a running process or a file. */
#ifndef HT_TARGET_TARGET_H
#define HT_TARGET_TARGET_H
#include <limits.h>
#include <sys/types.h>
#include "target/buildinfo.h"
#include "target/elf_image.h"
#include "target/gofuncs.h"
#include "gotables/runtime_layout.h"

struct target {
	pid_t pid;		  /* 0 when planning from a file */
	char exe[PATH_MAX];	  /* as the user would name it */
	char open_path[PATH_MAX]; /* what we open and attach uprobes to */
	dev_t exe_dev;
	ino_t exe_ino;
	int64_t exe_mtime_ns; /* with dev and ino: which build of the file */
	int64_t exe_size;
	bool borrowed; /* elf and funcs belong to another target (a cache) */
	struct elf_image elf;
	struct go_buildinfo bi;
	struct go_funcs funcs;
	const char *map_impl; /* "buckets" or "swiss" */
	bool swiss;
	uint64_t load_bias;   /* runtime address - ELF address (PIE) */
	/* Resolved once: the runtime's struct layout for this Go version
	 * (NULL when heaptrace has none), and whether this host runs it. */
	const struct go_layout *layout;
	bool host_arch;
};

int target_from_file(struct target *t, const char *path);
/* Checks the pid (exists, not a zombie or kernel thread), then reads its
 * executable through /proc/PID/exe, which works for deleted files and
 * processes in other mount namespaces (containers). */
int target_from_pid(struct target *t, pid_t pid);
/* The checks and the executable's identity of target_from_pid, without
 * reading the program: pid, exe, open_path, dev, ino, mtime, size. */
int target_identify(struct target *t, pid_t pid);
/* Completes an identified target: reads its program (ELF, build info,
 * functions) and its load bias. */
int target_read_program(struct target *t);
/* Completes an identified target with the program already read into
 * `program` (the same file): shares its ELF and functions, finds its own
 * load bias. */
void target_borrow_program(struct target *t, const struct target *program);
void target_close(struct target *t);
enum exe_state { EXE_SAME, EXE_CHANGED, EXE_GONE };
/* Is the process still running the executable we planned for? EXE_CHANGED
 * after an exec; EXE_GONE while it exits (its exe link goes first). */
enum exe_state target_exe_state(const struct target *t);
/* Does this host run code of ELF machine `machine`? */
bool host_runs(uint16_t machine);
#endif
