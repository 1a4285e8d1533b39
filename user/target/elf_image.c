// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
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

int elf_image_from_memory(struct elf_image *img, const uint8_t *data, size_t size)
{
	GElf_Ehdr eh;
	size_t phnum, i;

	memset(img, 0, sizeof(*img));
	img->data = data;
	img->size = size;
	if (size >= 2 && data[0] == '#' && data[1] == '!')
		return ht_fail("it is a script, not a compiled Go program");
	if (size < EI_NIDENT || memcmp(data, ELFMAG, SELFMAG) != 0)
		return ht_fail("it is not an ELF executable");
	if (data[EI_CLASS] != ELFCLASS64 || data[EI_DATA] != ELFDATA2LSB)
		return ht_fail("it is a 32-bit or big-endian ELF file; heaptrace reads 64-bit little-endian (x86-64, arm64) programs");
	elf_version(EV_CURRENT);
	img->elf = elf_memory((char *)data, size);
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
		if (ph.p_offset > size || ph.p_filesz > size - ph.p_offset || ph.p_filesz > ph.p_memsz)
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

int elf_image_open(struct elf_image *img, const char *path)
{
	struct stat st;
	void *map;
	int fd, err;

	memset(img, 0, sizeof(*img));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return ht_fail("cannot open %s: %s", path, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return ht_fail("%s is not a regular file", path);
	}
	if (st.st_size == 0) {
		close(fd);
		return ht_fail("%s is empty", path);
	}
	map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (map == MAP_FAILED)
		return ht_fail("cannot map %s: %s", path, strerror(errno));
	err = elf_image_from_memory(img, map, (size_t)st.st_size);
	img->data = map;
	img->size = (size_t)st.st_size;
	img->owns_map = true;
	if (err)
		elf_image_close(img);
	return err;
}

void elf_image_close(struct elf_image *img)
{
	if (img->elf)
		elf_end(img->elf);
	free(img->relocs);
	if (img->owns_map)
		munmap((void *)img->data, img->size);
	memset(img, 0, sizeof(*img));
}

bool elf_find_section(const struct elf_image *img, const char *name, struct elf_section *out)
{
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
			if (sh.sh_offset > img->size || sh.sh_size > img->size - sh.sh_offset)
				return false;
			out->data = img->data + sh.sh_offset;
		}
		return true;
	}
	return false;
}

const uint8_t *elf_vaddr_bytes(const struct elf_image *img, uint64_t vaddr, uint64_t len)
{
	int i;

	for (i = 0; i < img->nsegs; i++) {
		const struct elf_segment *s = &img->segs[i];

		if (vaddr < s->vaddr || vaddr - s->vaddr >= s->filesz)
			continue;
		if (len > s->filesz - (vaddr - s->vaddr))
			return NULL;
		return img->data + s->offset + (vaddr - s->vaddr);
	}
	return NULL;
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
