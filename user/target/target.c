// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "util/log.h"
#include "target/target.h"
#include "util/proc_maps.h"
#include "gotables/runtime_probes.h"

#define PF_KTHREAD 0x00200000

static int describe(struct target *t)
{
	struct go_version v = t->bi.ver;

	/* Older releases call other runtime functions with other arguments:
	 * nothing could be traced. A newer one is traced with the newest probe
	 * entries; without a layout, what reads runtime structures says so
	 * (go_layout_missing). */
	if (go_version_cmp_minor(v, 1, GO_MIN_SUPPORTED_MINOR) < 0)
		return ht_fail("%s was built by %s: heaptrace has no probe or layout table for Go before 1.%d "
			       "(it supports Go 1.%d to 1.%d)",
			       t->exe, t->bi.version, GO_MIN_SUPPORTED_MINOR, GO_MIN_SUPPORTED_MINOR, GO_MAX_KNOWN_MINOR);
	t->swiss = go_version_cmp_minor(v, 1, 24) >= 0;
	t->map_impl = t->swiss ? "swiss" : "buckets";
	t->layout = go_layout_for(v.minor);
	t->host_arch = host_runs(t->elf.machine);
	return 0;
}

/* Reads the ELF, build info and functions of t->open_path; `who` names the
 * target in messages ("pid 42 (/usr/bin/x)" or "/usr/bin/x"). */
static int read_program(struct target *t, const char *who)
{
	if (elf_image_open(&t->elf, t->open_path))
		return ht_fail("%s: %s", who, ht_last_error());
	if (go_funcs_load(&t->elf, &t->funcs)) {
		const char *why = ht_last_error();

		if (strstr(why, "no .gopclntab"))
			return ht_fail("%s is not a Go program (%s has no .gopclntab)", who, t->exe);
		return ht_fail("%s: %s", who, why);
	}
	if (buildinfo_read(&t->elf, &t->bi))
		return ht_fail("%s: %s", who, ht_last_error());
	return describe(t);
}

int target_from_file(struct target *t, const char *path)
{
	struct stat st;

	memset(t, 0, sizeof(*t));
	if (stat(path, &st) < 0)
		return ht_fail("cannot read %s: %s", path, strerror(errno));
	snprintf(t->exe, sizeof(t->exe), "%s", path);
	snprintf(t->open_path, sizeof(t->open_path), "%s", path);
	t->exe_dev = st.st_dev;
	t->exe_ino = st.st_ino;
	return read_program(t, path);
}

/* State letter and flags from /proc/PID/stat (fields 3 and 9). */
static int read_stat(pid_t pid, char *state, unsigned long *flags)
{
	char path[64], buf[1024], *p;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')'); /* comm may hold spaces and parentheses */
	if (!p || sscanf(p + 1, " %c %*d %*d %*d %*d %*d %lu", state, flags) != 2)
		return -1;
	return 0;
}

/* The executable's first page, mapped from file offset 0. */
static bool exe_start(void *ctx, const struct proc_mapping *m)
{
	const struct target *t = ctx;

	return m->inode == (uint64_t)t->exe_ino && m->offset == 0;
}

static uint64_t find_load_bias(const struct target *t)
{
	uint64_t lo_vaddr = UINT64_MAX;
	struct proc_mapping m;
	int i;

	if (!t->elf.pie)
		return 0;
	for (i = 0; i < t->elf.nsegs; i++)
		if (t->elf.segs[i].vaddr < lo_vaddr)
			lo_vaddr = t->elf.segs[i].vaddr;
	if (!proc_maps_find(t->pid, exe_start, (void *)t, &m))
		return 0;
	return m.start - (lo_vaddr & ~0xfffull);
}

int target_identify(struct target *t, pid_t pid)
{
	char link[64];
	unsigned long flags;
	struct stat st;
	ssize_t n;
	char state;

	memset(t, 0, sizeof(*t));
	t->pid = pid;
	if (pid <= 0)
		return ht_fail("pid %d is not a valid process id", pid);
	if (read_stat(pid, &state, &flags))
		return ht_fail("no process with pid %d", pid);
	if (flags & PF_KTHREAD)
		return ht_fail("pid %d is a kernel thread, not a Go program", pid);
	if (state == 'Z' || state == 'X')
		return ht_fail("pid %d is a zombie: it has exited and its parent has not reaped it", pid);
	snprintf(link, sizeof(link), "/proc/%d/exe", pid);
	n = readlink(link, t->exe, sizeof(t->exe) - 1);
	if (n < 0) {
		if (errno == EACCES || errno == EPERM)
			return ht_fail("cannot read %s: permission denied (run heaptrace as root)", link);
		return ht_fail("cannot read %s: %s (has pid %d exited?)", link, strerror(errno), pid);
	}
	t->exe[n] = '\0';
	snprintf(t->open_path, sizeof(t->open_path), "%s", link);
	if (stat(link, &st) < 0)
		return ht_fail("cannot stat %s: %s", link, strerror(errno));
	t->exe_dev = st.st_dev;
	t->exe_ino = st.st_ino;
	t->exe_mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
	t->exe_size = (int64_t)st.st_size;
	return 0;
}

int target_read_program(struct target *t)
{
	char who[PATH_MAX + 64];

	snprintf(who, sizeof(who), "pid %d (%s)", t->pid, t->exe);
	if (read_program(t, who))
		return -1;
	t->load_bias = find_load_bias(t);
	return 0;
}

int target_from_pid(struct target *t, pid_t pid)
{
	return target_identify(t, pid) ? -1 : target_read_program(t);
}

void target_borrow_program(struct target *t, const struct target *program)
{
	t->elf = program->elf;
	t->bi = program->bi;
	t->funcs = program->funcs;
	t->map_impl = program->map_impl;
	t->swiss = program->swiss;
	t->layout = program->layout;
	t->host_arch = program->host_arch;
	t->borrowed = true;
	t->load_bias = find_load_bias(t);
}

void target_close(struct target *t)
{
	if (t->borrowed)
		return;
	go_funcs_free(&t->funcs);
	elf_image_close(&t->elf);
}

enum exe_state target_exe_state(const struct target *t)
{
	struct stat st;

	if (!t->pid)
		return EXE_SAME;
	if (stat(t->open_path, &st) < 0)
		return EXE_GONE;
	return st.st_dev == t->exe_dev && st.st_ino == t->exe_ino ? EXE_SAME : EXE_CHANGED;
}

bool host_runs(uint16_t machine)
{
#if defined(__x86_64__)
	return machine == EM_X86_64;
#elif defined(__aarch64__)
	return machine == EM_AARCH64;
#else
	return false;
#endif
}
