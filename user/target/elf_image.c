// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "target/elf_image.h"
#include "util/log.h"

#ifndef R_AARCH64_RELATIVE
#define R_AARCH64_RELATIVE 1027
#endif

const char *elf_machine_name(uint16_t machine)
{
	switch (machine) {
	case EM_X86_64: return "x86-64";
	case EM_AARCH64: return "arm64";
	case EM_386: return "i386";
	case EM_ARM: return "arm";
	case EM_RISCV: return "riscv";
	case EM_PPC64: return "ppc64";
	case EM_S390: return "s390";
	default: return "unknown machine";
	}
}

static int cmp_reloc(const void *a, const void *b)
{
	const struct elf_reloc *x = a, *y = b;

	return x->where < y->where ? -1 : x->where > y->where;
}

/* RELATIVE relocations of PIE binaries: pointers in Go's data (moduledata,
 * the pclntab header's text start) are only in .rela.dyn there. */
static int load_relocs(struct elf_image *img)
{
	uint32_t want = img->machine == EM_AARCH64 ? R_AARCH64_RELATIVE : R_X86_64_RELATIVE;
	Elf_Scn *scn = NULL;

	while ((scn = elf_nextscn(img->elf, scn))) {
		GElf_Shdr sh;
		Elf_Data *d;
		size_t n, i;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_RELA || !sh.sh_entsize)
			continue;
		d = elf_getdata(scn, NULL);
		if (!d || !d->d_buf)
			continue;
		n = d->d_size / sh.sh_entsize;
		for (i = 0; i < n; i++) {
			GElf_Rela r;
			struct elf_reloc *grown;

			if (!gelf_getrela(d, (int)i, &r) || GELF_R_TYPE(r.r_info) != want)
				continue;
			if ((img->nrelocs & (img->nrelocs - 1)) == 0) {
				size_t cap = img->nrelocs ? img->nrelocs * 2 : 64;

				grown = realloc(img->relocs, cap * sizeof(*grown));
				if (!grown)
					return ht_fail("out of memory reading relocations");
				img->relocs = grown;
			}
			img->relocs[img->nrelocs].where = r.r_offset;
			img->relocs[img->nrelocs].value = (uint64_t)r.r_addend;
			img->nrelocs++;
		}
	}
	if (img->nrelocs)
		qsort(img->relocs, img->nrelocs, sizeof(*img->relocs), cmp_reloc);
	return 0;
}

/* The file bytes [off, off+len) read into private memory and kept until
 * trimmed; NULL if they are outside the file or cannot be read. The chunks
 * are the image's cache: reading through a const image fills it. */
static const uint8_t *file_bytes(const struct elf_image *cimg, uint64_t off, uint64_t len)
{
	struct elf_image *img = (struct elf_image *)cimg;
	struct elf_chunk *c;
	size_t i;
	ssize_t n;

	if (off > img->size || len > img->size - off)
		return NULL;
	if (img->mem)
		return img->mem + off;
	if (img->trimmed || img->fd < 0)
		return NULL;
	for (i = 0; i < img->nchunks; i++) {
		c = &img->chunks[i];
		if (off >= c->off && off - c->off <= c->len && len <= c->len - (off - c->off))
			return c->data + (off - c->off);
	}
	if (img->nchunks == img->cap_chunks) {
		size_t nc = img->cap_chunks ? 2 * img->cap_chunks : 16;

		c = realloc(img->chunks, nc * sizeof(*c));
		if (!c)
			return NULL;
		img->chunks = c;
		img->cap_chunks = nc;
	}
	c = &img->chunks[img->nchunks];
	c->data = malloc(len ? len : 1);
	if (!c->data)
		return NULL;
	n = 0;
	while ((uint64_t)n < len) {
		ssize_t r = pread(img->fd, c->data + n, len - (uint64_t)n, (off_t)(off + (uint64_t)n));

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += r;
	}
	if ((uint64_t)n != len) {
		/* the file shrank since it was opened */
		free(c->data);
		return NULL;
	}
	c->off = off;
	c->len = len;
	img->nchunks++;
	img->read_bytes += len;
	return c->data;
}

/* The segment whose file part holds [vaddr, vaddr+len), or NULL. */
static const struct elf_segment *segment_of(const struct elf_image *img, uint64_t vaddr, uint64_t len)
{
	int i;

	for (i = 0; i < img->nsegs; i++) {
		const struct elf_segment *s = &img->segs[i];

		if (vaddr < s->vaddr || vaddr - s->vaddr >= s->filesz)
			continue;
		return len <= s->filesz - (vaddr - s->vaddr) ? s : NULL;
	}
	return NULL;
}

/* Checks what libelf needs before it reads a byte: 64-bit little-endian
 * ELF, an executable, segments inside the file; then the relocations. */
static int read_headers(struct elf_image *img, const uint8_t *ident, size_t nident)
{
	GElf_Ehdr eh;
	size_t phnum, i;

	if (nident >= 2 && ident[0] == '#' && ident[1] == '!')
		return ht_fail("it is a script, not a compiled Go program");
	if (nident < EI_NIDENT || memcmp(ident, ELFMAG, SELFMAG) != 0)
		return ht_fail("it is not an ELF executable");
	if (ident[EI_CLASS] != ELFCLASS64 || ident[EI_DATA] != ELFDATA2LSB)
		return ht_fail("it is a 32-bit or big-endian ELF file; heaptrace reads 64-bit little-endian (x86-64, arm64) programs");
	if (!img->elf || !gelf_getehdr(img->elf, &eh))
		return ht_fail("it is a malformed ELF file (%s)", elf_errmsg(-1));
	if (eh.e_type != ET_EXEC && eh.e_type != ET_DYN)
		return ht_fail("it is an ELF object of type %u, not an executable", eh.e_type);
	img->machine = eh.e_machine;
	img->pie = eh.e_type == ET_DYN;
	if (elf_getphdrnum(img->elf, &phnum))
		return ht_fail("it has no readable program headers (%s)", elf_errmsg(-1));
	for (i = 0; i < phnum; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(img->elf, (int)i, &ph) || ph.p_type != PT_LOAD)
			continue;
		if (img->nsegs == ELF_MAX_SEGMENTS)
			return ht_fail("it has more than %d loadable segments", ELF_MAX_SEGMENTS);
		if (ph.p_offset > img->size || ph.p_filesz > img->size - ph.p_offset || ph.p_filesz > ph.p_memsz)
			return ht_fail("a loadable segment lies outside the file");
		img->segs[img->nsegs++] = (struct elf_segment){
			.vaddr = ph.p_vaddr, .memsz = ph.p_memsz,
			.offset = ph.p_offset, .filesz = ph.p_filesz, .flags = ph.p_flags,
		};
	}
	if (!img->nsegs)
		return ht_fail("it has no loadable segments");
	return load_relocs(img);
}

int elf_image_from_memory(struct elf_image *img, const uint8_t *data, size_t size)
{
	memset(img, 0, sizeof(*img));
	img->fd = -1;
	img->mem = data;
	img->size = size;
	elf_version(EV_CURRENT);
	if (size >= EI_NIDENT && !memcmp(data, ELFMAG, SELFMAG))
		img->elf = elf_memory((char *)data, size);
	return read_headers(img, data, size < EI_NIDENT ? size : EI_NIDENT);
}

int elf_image_open_fd(struct elf_image *img, int fd, const char *name)
{
	uint8_t ident[EI_NIDENT];
	struct stat st;
	ssize_t n;
	int err;

	memset(img, 0, sizeof(*img));
	img->fd = fd;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		elf_image_close(img);
		return ht_fail("%s is not a regular file", name);
	}
	if (st.st_size == 0) {
		elf_image_close(img);
		return ht_fail("%s is empty", name);
	}
	img->size = (uint64_t)st.st_size;
	do
		n = pread(fd, ident, sizeof(ident), 0);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		err = errno;
		elf_image_close(img);
		return ht_fail("cannot read %s: %s", name, strerror(err));
	}
	/* ELF_C_READ: libelf reads with pread, as asked, into its own memory */
	elf_version(EV_CURRENT);
	if (n == (ssize_t)sizeof(ident) && !memcmp(ident, ELFMAG, SELFMAG))
		img->elf = elf_begin(fd, ELF_C_READ, NULL);
	if (read_headers(img, ident, (size_t)n)) {
		elf_image_close(img);
		return -1;
	}
	return 0;
}

int elf_image_open(struct elf_image *img, const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		memset(img, 0, sizeof(*img));
		img->fd = -1;
		return ht_fail("cannot open %s: %s", path, strerror(errno));
	}
	return elf_image_open_fd(img, fd, path);
}

void elf_image_trim(struct elf_image *img)
{
	size_t i;

	if (img->elf)
		elf_end(img->elf);
	img->elf = NULL;
	for (i = 0; i < img->nchunks; i++)
		free(img->chunks[i].data);
	free(img->chunks);
	free(img->relocs);
	img->chunks = NULL;
	img->nchunks = img->cap_chunks = 0;
	img->relocs = NULL;
	img->nrelocs = 0;
	img->read_bytes = 0;
	img->trimmed = true;
}

void elf_image_close(struct elf_image *img)
{
	elf_image_trim(img);
	if (img->fd >= 0)
		close(img->fd);
	memset(img, 0, sizeof(*img));
	img->fd = -1;
}

bool elf_find_section(const struct elf_image *img, const char *name, struct elf_section *out)
{
	uint64_t off;
	size_t shstrndx;
	Elf_Scn *scn = NULL;

	if (!img->elf || elf_getshdrstrndx(img->elf, &shstrndx))
		return false;
	while ((scn = elf_nextscn(img->elf, scn))) {
		GElf_Shdr sh;
		const char *n;

		if (!gelf_getshdr(scn, &sh))
			continue;
		n = elf_strptr(img->elf, shstrndx, sh.sh_name);
		if (!n || strcmp(n, name))
			continue;
		out->addr = sh.sh_addr;
		out->size = sh.sh_size;
		out->type = sh.sh_type;
		out->data = NULL;
		if (sh.sh_type != SHT_NOBITS) {
			/* a section in a segment shares its segment's copy */
			out->data = NULL;
			if (sh.sh_flags & SHF_ALLOC && segment_of(img, sh.sh_addr, sh.sh_size) &&
			    elf_vaddr_file_offset(img, sh.sh_addr, sh.sh_size, &off) && off == sh.sh_offset)
				out->data = elf_vaddr_bytes(img, sh.sh_addr, sh.sh_size);
			if (!out->data)
				out->data = file_bytes(img, sh.sh_offset, sh.sh_size);
			if (!out->data)
				return false;
		}
		return true;
	}
	return false;
}

const uint8_t *elf_vaddr_bytes(const struct elf_image *img, uint64_t vaddr, uint64_t len)
{
	const struct elf_segment *s = segment_of(img, vaddr, len);
	const uint8_t *seg;

	if (!s)
		return NULL;
	/* Data is read a segment at a time (the readers walk rodata, pclntab
	 * and data all over); code by the range asked, a function at a time:
	 * the text segment is the largest, and only a few functions of it are
	 * decoded. */
	if (s->flags & PF_X || img->mem)
		return file_bytes(img, s->offset + (vaddr - s->vaddr), len);
	seg = file_bytes(img, s->offset, s->filesz);
	return seg ? seg + (vaddr - s->vaddr) : NULL;
}

bool elf_vaddr_file_offset(const struct elf_image *img, uint64_t vaddr, uint64_t len, uint64_t *off)
{
	const struct elf_segment *s = segment_of(img, vaddr, len);

	if (!s)
		return false;
	*off = s->offset + (vaddr - s->vaddr);
	return true;
}

bool elf_read_at(const struct elf_image *img, uint64_t vaddr, void *buf, size_t len)
{
	uint64_t off;
	ssize_t n;

	if (!elf_vaddr_file_offset(img, vaddr, len, &off))
		return false;
	if (img->mem) {
		memcpy(buf, img->mem + off, len);
		return true;
	}
	if (img->fd < 0)
		return false;
	do
		n = pread(img->fd, buf, len, (off_t)off);
	while (n < 0 && errno == EINTR);
	return n == (ssize_t)len;
}

int elf_vaddr_to_offset(const struct elf_image *img, uint64_t vaddr, uint64_t *off)
{
	int i;

	for (i = 0; i < img->nsegs; i++) {
		const struct elf_segment *s = &img->segs[i];

		if (!(s->flags & PF_X) || vaddr < s->vaddr || vaddr - s->vaddr >= s->filesz)
			continue;
		*off = s->offset + (vaddr - s->vaddr);
		return 0;
	}
	return -1;
}

bool elf_read_word(const struct elf_image *img, uint64_t vaddr, uint64_t *out)
{
	const uint8_t *p;
	size_t lo = 0, hi = img->nrelocs;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (img->relocs[mid].where == vaddr) {
			*out = img->relocs[mid].value;
			return true;
		}
		if (img->relocs[mid].where < vaddr)
			lo = mid + 1;
		else
			hi = mid;
	}
	p = elf_vaddr_bytes(img, vaddr, 8);
	if (!p)
		return false;
	memcpy(out, p, 8);
	return true;
}

size_t elf_symbols(const struct elf_image *img, unsigned type,
		   void (*fn)(void *ctx, const GElf_Sym *s, const char *name), void *ctx)
{
	Elf_Scn *scn = NULL;
	size_t seen = 0;

	while ((scn = elf_nextscn(img->elf, scn))) {
		GElf_Shdr sh;
		Elf_Data *d;
		size_t n, i;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_SYMTAB || !sh.sh_entsize)
			continue;
		d = elf_getdata(scn, NULL);
		if (!d)
			continue;
		n = d->d_size / sh.sh_entsize;
		for (i = 0; i < n; i++) {
			GElf_Sym s;
			const char *name;

			if (!gelf_getsym(d, (int)i, &s) || GELF_ST_TYPE(s.st_info) != type ||
			    s.st_shndx == SHN_UNDEF)
				continue;
			name = elf_strptr(img->elf, sh.sh_link, s.st_name);
			if (name && *name) {
				fn(ctx, &s, name);
				seen++;
			}
		}
		break; /* one .symtab per file */
	}
	return seen;
}

bool elf_vaddr_in_segment(const struct elf_image *img, uint64_t vaddr, uint32_t flags)
{
	int i;

	for (i = 0; i < img->nsegs; i++)
		if ((img->segs[i].flags & flags) == flags && vaddr >= img->segs[i].vaddr &&
		    vaddr - img->segs[i].vaddr < img->segs[i].memsz)
			return true;
	return false;
}
