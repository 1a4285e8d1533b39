/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * A target's ELF file, with bounds-checked access by section, by virtual
 * address, and with RELATIVE relocations applied.
 *
 * Nothing of the file is mapped: it is read with pread into private memory,
 * so that its owner truncating it (a target's file belongs to whoever runs
 * it) makes a read fail instead of raising SIGBUS in heaptrace. While the
 * program is analysed, what the readers ask for is read and kept (a
 * non-executable segment whole, code by the range asked), so that pointers
 * stay valid; elf_image_trim() then frees all of it, and only the headers and
 * the file descriptor remain, for elf_read_at().
 */
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

/* A part of the file read into private memory. */
struct elf_chunk {
	uint64_t off, len;
	uint8_t *data;
};

struct elf_image {
	int fd;		       /* the file, owned; -1 for an image in memory */
	const uint8_t *mem;    /* an image in memory: its bytes (the caller's) */
	uint64_t size;	       /* of the file when opened */
	Elf *elf;	       /* NULL once trimmed */
	uint16_t machine; /* EM_X86_64, EM_AARCH64 */
	bool pie;	  /* ET_DYN */
	struct elf_segment segs[ELF_MAX_SEGMENTS];
	int nsegs;
	struct elf_reloc *relocs; /* sorted by where */
	size_t nrelocs;
	struct elf_chunk *chunks; /* what was read, until trimmed */
	size_t nchunks, cap_chunks;
	uint64_t read_bytes;	  /* kept in chunks now */
	bool trimmed;
};

struct elf_section {
	uint64_t addr, size;
	const uint8_t *data; /* NULL for SHT_NOBITS */
	uint32_t type;
};

/* Opens PATH. Fails with a message for files that are not 64-bit
 * little-endian ELF executables (scripts, other formats). */
int elf_image_open(struct elf_image *img, const char *path);
/* Same, from an open file, which the image owns from now on (closed on
 * failure too). */
int elf_image_open_fd(struct elf_image *img, int fd, const char *name);
/* Same, over bytes the caller owns (fuzzing, tests). */
int elf_image_from_memory(struct elf_image *img, const uint8_t *data, size_t size);
/* Frees what was read and libelf's state: every pointer the image gave out
 * is gone. The segments, machine, pie and the file stay, for
 * elf_vaddr_file_offset and elf_read_at. */
void elf_image_trim(struct elf_image *img);
void elf_image_close(struct elf_image *img);

bool elf_find_section(const struct elf_image *img, const char *name, struct elf_section *out);
/* File bytes behind [vaddr, vaddr+len), or NULL if not all in one segment's
 * file part, unreadable, or the image is trimmed. Valid until trimmed. */
const uint8_t *elf_vaddr_bytes(const struct elf_image *img, uint64_t vaddr, uint64_t len);
/* The file offset of [vaddr, vaddr+len) if all in one segment's file part. */
bool elf_vaddr_file_offset(const struct elf_image *img, uint64_t vaddr, uint64_t len, uint64_t *off);
/* Copies [vaddr, vaddr+len) of the file (no relocation applied), trimmed
 * or not: false if it is not in the file or cannot be read now. */
bool elf_read_at(const struct elf_image *img, uint64_t vaddr, void *buf, size_t len);
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
