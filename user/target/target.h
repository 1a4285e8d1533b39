/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* The program being traced or planned for: a running process or a file. */
#ifndef HT_TARGET_TARGET_H
#define HT_TARGET_TARGET_H
#include <limits.h>
#include <sys/types.h>
#include "target/buildinfo.h"
#include "target/elf_image.h"
#include "target/gofuncs.h"
#include "target/program_facts.h"
#include "gotables/runtime_layout.h"

/* Which file, and which version of it: a change of its content changes
 * ctime, which its owner cannot set back. */
struct file_identity {
	dev_t dev;
	ino_t ino;
	int64_t size, mtime_ns, ctime_ns;
};

struct target {
	pid_t pid;		  /* 0 when planning from a file */
	char exe[PATH_MAX];	  /* as the user would name it */
	/* The executable, opened once: everything heaptrace reads of the
	 * program, and the uprobes, go through this descriptor
	 * (/proc/self/fd/N), so that a process that executes another program
	 * meanwhile cannot make it read one file and probe another. */
	int exe_fd;
	bool exe_open;		  /* exe_fd is ours to close */
	char open_path[PATH_MAX]; /* "/proc/self/fd/N" of exe_fd, or the file planned */
	struct file_identity id;  /* fstat of exe_fd */
	bool borrowed; /* elf, funcs and facts belong to another target (a cache) */
	struct program_facts *facts; /* what later stages read of the file (program_facts.h) */
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
/* The checks of target_from_pid, the executable opened (exe_fd) and its
 * identity, without reading the program. On failure target_close() is
 * still to be called. */
int target_identify(struct target *t, pid_t pid);
/* Completes an identified target: reads its program (ELF, build info,
 * functions) and its load bias. */
int target_read_program(struct target *t);
/* Completes an identified target with the program already read into
 * `program` (the same file): shares its ELF and functions, finds its own
 * load bias. */
void target_borrow_program(struct target *t, const struct target *program);
void target_close(struct target *t);
/* Frees what was read of the program's file for its analysis: from now on
 * only program_facts and the lookups that read the file (go_funcs_at,
 * go_funcs_line, elf_read_at) are there. */
void target_trim(struct target *t);
/* The build id pprof readers match the program by (GNU's in hex, else
 * Go's), NULL if none; read once, kept in its facts. */
const char *target_build_id(const struct target *t);
/* The program's map types (read once, kept in its facts). */
const struct go_map_types *target_map_types(const struct target *t);
/* The program's global variables from .symtab, by address (read once, kept
 * in its facts); empty when stripped. */
const struct data_symbols *target_data_symbols(const struct target *t);
/* The global variable whose bytes hold ELF address `elf` (a symbol without
 * a size covers one word), or NULL. */
const struct data_symbol *data_symbol_at(const struct data_symbols *d, uint64_t elf);
enum exe_state { EXE_SAME, EXE_CHANGED, EXE_GONE };
/* Is the process still running the file exe_fd holds? EXE_CHANGED after an
 * exec; EXE_GONE while it exits (its exe link goes first). */
enum exe_state target_exe_state(const struct target *t);
/* The identity of an open file. */
int file_identity_of(int fd, struct file_identity *id);
bool file_identity_same(const struct file_identity *a, const struct file_identity *b);
/* Does this host run code of ELF machine `machine`? */
bool host_runs(uint16_t machine);
#endif
