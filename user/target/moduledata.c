// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <string.h>
#include "util/log.h"
#include "target/moduledata.h"

/* Field offsets (bytes) in runtime.moduledata, the same from Go 1.18 to 1.26:
 * pcHeader, then the slices funcnametab, cutab, filetab, pctab, pclntable,
 * ftab, then findfunctab, minpc, maxpc, text, etext. */
#define MD_FUNCNAMETAB 8
#define MD_FTAB (8 + 5 * 24)
#define MD_MINPC (8 + 6 * 24 + 8)
#define MD_MAXPC (MD_MINPC + 8)
#define MD_TEXT (MD_MINPC + 16)
#define MD_ETEXT (MD_MINPC + 24)
#define MD_LEN (MD_ETEXT + 8)

static bool word(const struct elf_image *img, uint64_t a, uint64_t *v)
{
	return elf_read_word(img, a, v);
}

static bool validate(const struct elf_image *img, const struct pclntab *tab, uint64_t pcln_vaddr,
		     uint64_t a, struct moduledata *md)
{
	uint64_t nameptr, ftabptr, ftablen, first_entryoff;
	uint32_t e0;

	if (!word(img, a + MD_FUNCNAMETAB, &nameptr) || nameptr != pcln_vaddr + tab->funcname_off)
		return false;
	if (!word(img, a + MD_FTAB, &ftabptr) || ftabptr != pcln_vaddr + tab->pcln_off)
		return false;
	if (!word(img, a + MD_FTAB + 8, &ftablen) || ftablen != tab->nfunc + 1)
		return false;
	if (!word(img, a + MD_MINPC, &md->minpc) || !word(img, a + MD_MAXPC, &md->maxpc) ||
	    !word(img, a + MD_TEXT, &md->text) || !word(img, a + MD_ETEXT, &md->etext))
		return false;
	if (!bytesrc_read(&tab->src, tab->pcln_off, &e0, 4))
		return false;
	first_entryoff = e0;
	if (md->text > md->minpc || md->minpc - md->text != first_entryoff)
		return false;
	if (md->etext < md->maxpc || md->maxpc <= md->minpc)
		return false;
	if (!elf_vaddr_in_segment(img, md->text, PF_X) || !elf_vaddr_in_segment(img, md->maxpc - 1, PF_X))
		return false;
	md->addr = a;
	return true;
}

int moduledata_find(const struct elf_image *img, const struct pclntab *tab, uint64_t pcln_vaddr,
		    struct moduledata *out)
{
	int i;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < img->nsegs; i++) {
		const struct elf_segment *s = &img->segs[i];
		uint64_t a, v;

		if (!(s->flags & PF_W) || s->filesz < MD_LEN)
			continue;
		for (a = (s->vaddr + 7) & ~7ull; a + MD_LEN <= s->vaddr + s->filesz; a += 8) {
			if (!word(img, a, &v) || v != pcln_vaddr)
				continue;
			if (validate(img, tab, pcln_vaddr, a, out))
				return 0;
		}
	}
	return ht_fail("no runtime.firstmoduledata points at the pclntab at 0x%llx",
		       (unsigned long long)pcln_vaddr);
}
