// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "util/log.h"
#include "target/target.h"
#include "util/proc_maps.h"
#include "util/proc_stat.h"
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
	int fd = fcntl(t->exe_fd, F_DUPFD_CLOEXEC, 0);

	if (fd < 0)
		return ht_fail("%s: cannot duplicate its file descriptor: %s", who, strerror(errno));
	if (!t->facts && !(t->facts = calloc(1, sizeof(*t->facts)))) {
		close(fd);
		return ht_fail("%s: out of memory", who);
	}
	if (elf_image_open_fd(&t->elf, fd, t->exe))
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

int file_identity_of(int fd, struct file_identity *id)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return -1;
	*id = (struct file_identity){
		.dev = st.st_dev, .ino = st.st_ino, .size = (int64_t)st.st_size,
		.mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec,
		.ctime_ns = (int64_t)st.st_ctim.tv_sec * 1000000000 + st.st_ctim.tv_nsec,
	};
	return 0;
}

bool file_identity_same(const struct file_identity *a, const struct file_identity *b)
{
	return a->dev == b->dev && a->ino == b->ino && a->size == b->size && a->mtime_ns == b->mtime_ns &&
	       a->ctime_ns == b->ctime_ns;
}

int target_from_file(struct target *t, const char *path)
{
	memset(t, 0, sizeof(*t));
	t->elf.fd = -1; /* not read yet: target_close must not close fd 0 */
	t->exe_fd = open(path, O_RDONLY | O_CLOEXEC);
	if (t->exe_fd < 0)
		return ht_fail("cannot read %s: %s", path, strerror(errno));
	t->exe_open = true;
	snprintf(t->exe, sizeof(t->exe), "%s", path);
	snprintf(t->open_path, sizeof(t->open_path), "%s", path);
	if (file_identity_of(t->exe_fd, &t->id))
		return ht_fail("cannot stat %s: %s", path, strerror(errno));
	return read_program(t, path);
}

/* The executable's first page, mapped from file offset 0. */
static bool exe_start(void *ctx, const struct proc_mapping *m)
{
	const struct target *t = ctx;

	return m->inode == (uint64_t)t->id.ino && m->offset == 0;
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
	struct proc_stat st;
	char link[64];
	ssize_t n;

	memset(t, 0, sizeof(*t));
	t->exe_fd = -1;
	t->elf.fd = -1; /* no program read yet: target_close must not close fd 0 */
	t->pid = pid;
	if (pid <= 0)
		return ht_fail("pid %d is not a valid process id", pid);
	if (!proc_stat_read(pid, &st))
		return ht_fail("no process with pid %d", pid);
	if (st.flags & PF_KTHREAD)
		return ht_fail("pid %d is a kernel thread, not a Go program", pid);
	if (st.state == 'Z' || st.state == 'X')
		return ht_fail("pid %d is a zombie: it has exited and its parent has not reaped it", pid);
	snprintf(link, sizeof(link), "/proc/%d/exe", pid);
	/* The file itself, once: its name below is for people to read. */
	t->exe_fd = open(link, O_RDONLY | O_CLOEXEC);
	if (t->exe_fd < 0) {
		if (errno == EACCES || errno == EPERM)
			return ht_fail("cannot open %s: permission denied (reading another user's process needs CAP_SYS_PTRACE)",
				       link);
		return ht_fail("cannot open %s: %s (has pid %d exited?)", link, strerror(errno), pid);
	}
	t->exe_open = true;
	n = readlink(link, t->exe, sizeof(t->exe) - 1);
	if (n < 0)
		n = snprintf(t->exe, sizeof(t->exe), "%s", link);
	t->exe[n] = '\0';
	snprintf(t->open_path, sizeof(t->open_path), "/proc/self/fd/%d", t->exe_fd);
	if (file_identity_of(t->exe_fd, &t->id))
		return ht_fail("cannot stat %s: %s", link, strerror(errno));
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
	t->facts = program->facts;
	t->map_impl = program->map_impl;
	t->swiss = program->swiss;
	t->layout = program->layout;
	t->host_arch = program->host_arch;
	t->borrowed = true;
	t->load_bias = find_load_bias(t);
}

void target_close(struct target *t)
{
	if (t->exe_open)
		close(t->exe_fd);
	t->exe_open = false;
	t->exe_fd = -1;
	if (t->borrowed)
		return;
	go_funcs_free(&t->funcs);
	elf_image_close(&t->elf);
	if (t->facts) {
		go_map_types_free(&t->facts->maptypes);
		free(t->facts->data.v);
		free(t->facts->data.names);
		global_users_free(&t->facts->users);
		go_dwarf_free(&t->facts->dwarf);
	}
	free(t->facts);
	t->facts = NULL;
}

void target_trim(struct target *t)
{
	go_funcs_compact(&t->funcs, t->elf.fd);
	elf_image_trim(&t->elf);
}

/* The symbol table is read twice: to size the tables, then to fill them. */
struct symbol_fill {
	struct data_symbols *d;
	size_t cap, names_len, names_cap;
};

static void size_symbol(void *ctx, const GElf_Sym *s, const char *name)
{
	struct symbol_fill *f = ctx;

	f->cap++;
	f->names_cap += strlen(name) + 1;
}

static void fill_symbol(void *ctx, const GElf_Sym *s, const char *name)
{
	struct symbol_fill *f = ctx;
	size_t len = strlen(name) + 1;

	if (f->d->n == f->cap || f->names_len + len > f->names_cap)
		return;
	memcpy(f->d->names + f->names_len, name, len);
	f->d->v[f->d->n++] = (struct data_symbol){ s->st_value, s->st_size, (const char *)(uintptr_t)f->names_len };
	f->names_len += len;
}

static int cmp_symbol(const void *a, const void *b)
{
	const struct data_symbol *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static void read_data_symbols(const struct elf_image *img, struct data_symbols *d)
{
	struct symbol_fill f = { .d = d };
	size_t i;

	elf_symbols(img, STT_OBJECT, size_symbol, &f);
	if (!f.cap)
		return;
	d->v = calloc(f.cap, sizeof(*d->v));
	d->names = malloc(f.names_cap);
	if (!d->v || !d->names) {
		free(d->v);
		free(d->names);
		memset(d, 0, sizeof(*d));
		return;
	}
	elf_symbols(img, STT_OBJECT, fill_symbol, &f);
	/* names were offsets while the buffer was being filled */
	for (i = 0; i < d->n; i++)
		d->v[i].name = d->names + (uintptr_t)d->v[i].name;
	qsort(d->v, d->n, sizeof(*d->v), cmp_symbol);
}

const struct data_symbols *target_data_symbols(const struct target *t)
{
	static const struct data_symbols none;
	struct program_facts *f = t->facts;

	if (!f)
		return &none;
	if (!f->data_symbols_done && !t->elf.trimmed) {
		f->data_symbols_done = true;
		read_data_symbols(&t->elf, &f->data);
	}
	return &f->data;
}

const struct data_symbol *data_symbol_at(const struct data_symbols *d, uint64_t elf)
{
	size_t lo = 0, hi = d->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (d->v[mid].addr <= elf)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo && elf - d->v[lo - 1].addr < (d->v[lo - 1].size ? d->v[lo - 1].size : 8))
		return &d->v[lo - 1];
	return NULL;
}

/* The build id readers match the binary by: GNU's (hex) when the linker
 * wrote one, as runtime/pprof does; else Go's; "" when neither. */
static void read_build_id(const struct elf_image *img, char *buf, size_t len)
{
	static const char *const notes[] = { ".note.gnu.build-id", ".note.go.buildid" };
	struct elf_section sec;
	size_t k, i;

	buf[0] = '\0';
	for (k = 0; k < 2; k++) {
		Elf64_Nhdr nh;
		const uint8_t *desc;

		if (!elf_find_section(img, notes[k], &sec) || !sec.data || sec.size < sizeof(nh))
			continue;
		memcpy(&nh, sec.data, sizeof(nh));
		if (nh.n_namesz > sec.size || nh.n_descsz > sec.size)
			continue;
		desc = sec.data + sizeof(nh) + ((nh.n_namesz + 3) & ~3u);
		if (!nh.n_descsz || desc + nh.n_descsz > sec.data + sec.size)
			continue;
		if (k == 0) {
			for (i = 0; i < nh.n_descsz && 2 * i + 2 < len; i++)
				snprintf(buf + 2 * i, 3, "%02x", desc[i]);
		} else {
			snprintf(buf, len, "%.*s", (int)nh.n_descsz, (const char *)desc);
		}
		return;
	}
}

const char *target_build_id(const struct target *t)
{
	struct program_facts *f = t->facts;

	if (!f)
		return NULL;
	if (!f->build_id_done && !t->elf.trimmed) {
		f->build_id_done = true;
		read_build_id(&t->elf, f->build_id, sizeof(f->build_id));
	}
	return f->build_id[0] ? f->build_id : NULL;
}

const struct go_map_types *target_map_types(const struct target *t)
{
	struct program_facts *f = t->facts;

	if (!f)
		return NULL;
	if (!f->maptypes_done && !t->elf.trimmed) {
		f->maptypes_done = true;
		if (!t->layout || go_map_types_load(&t->elf, t->funcs.moduledata, t->layout, &f->maptypes))
			ht_debug("%s: map types: %s", t->exe, t->layout ? ht_last_error() : "no layout");
	}
	return &f->maptypes;
}

enum exe_state target_exe_state(const struct target *t)
{
	char link[64];
	struct stat st;

	if (!t->pid)
		return EXE_SAME;
	snprintf(link, sizeof(link), "/proc/%d/exe", t->pid);
	if (stat(link, &st) < 0)
		return EXE_GONE;
	return st.st_dev == t->id.dev && st.st_ino == t->id.ino ? EXE_SAME : EXE_CHANGED;
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
