/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* A target's ELF file, mapped read-only, with bounds-checked access by
 * section, by virtual address, and with RELATIVE relocations applied. */
#ifndef HT_TARGET_ELF_IMAGE_H
#define HT_TARGET_ELF_IMAGE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <gelf.h>

#define ELF_MAX_SEGMENTS 16

struct elf_segment {
	uint64_t vaddr, memsz, offset, filesz;
	uint32_t flags; /* PF_R | PF_W | PF_X */
};

struct elf_reloc {
	uint64_t where, value; /* R_*_RELATIVE: *where = bias + value */
};

struct elf_image {
	const uint8_t *data;
	size_t size;
	Elf *elf;
	uint16_t machine; /* EM_X86_64, EM_AARCH64 */
	bool pie;	  /* ET_DYN */
	bool owns_map;	  /* data is our mmap of the file */
	struct elf_segment segs[ELF_MAX_SEGMENTS];
	int nsegs;
	struct elf_reloc *relocs; /* sorted by where */
	size_t nrelocs;
};

struct elf_section {
	uint64_t addr, size;
	const uint8_t *data; /* NULL for SHT_NOBITS */
	uint32_t type;
};

/* Opens and maps PATH. Fails with a message for files that are not 64-bit
 * little-endian ELF executables (scripts, other formats). */
int elf_image_open(struct elf_image *img, const char *path);
/* Same, over bytes the caller owns (fuzzing, tests). */
int elf_image_from_memory(struct elf_image *img, const uint8_t *data, size_t size);
void elf_image_close(struct elf_image *img);

bool elf_find_section(const struct elf_image *img, const char *name, struct elf_section *out);
/* File bytes behind [vaddr, vaddr+len), or NULL if not all in one segment's file part. */
const uint8_t *elf_vaddr_bytes(const struct elf_image *img, uint64_t vaddr, uint64_t len);
/* Is vaddr inside a segment (its memory size) with all of `flags` (PF_X, PF_W)? */
bool elf_vaddr_in_segment(const struct elf_image *img, uint64_t vaddr, uint32_t flags);
/* File offset of vaddr in an executable segment, for uprobes; -1 if none. */
int elf_vaddr_to_offset(const struct elf_image *img, uint64_t vaddr, uint64_t *off);
/* The pointer-sized word at vaddr as the dynamic loader would leave it with
 * a zero load bias: a RELATIVE relocation there wins over the file bytes. */
bool elf_read_word(const struct elf_image *img, uint64_t vaddr, uint64_t *out);
const char *elf_machine_name(uint16_t machine);
/* Calls fn for each defined .symtab symbol of STT type `type` (STT_FUNC,
 * STT_OBJECT); returns how many. None in a stripped file. */
size_t elf_symbols(const struct elf_image *img, unsigned type,
		   void (*fn)(void *ctx, const GElf_Sym *s, const char *name), void *ctx);
#endif
