// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <stdlib.h>
#include <string.h>
#include "target/gofuncs.h"
#include "util/log.h"
#include "target/moduledata.h"

static int cmp_entry(const void *a, const void *b)
{
	const struct go_func *x = a, *y = b;

	if (x->entry != y->entry)
		return x->entry < y->entry ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* A pclntab header at p: magic, zero padding, instruction size, 8-byte pointers. */
static bool looks_like_pclntab(const uint8_t *p)
{
	uint32_t magic;

	memcpy(&magic, p, 4);
	return (magic == PCLNTAB_MAGIC_118 || magic == PCLNTAB_MAGIC_120) && !p[4] && !p[5] &&
	       (p[6] == 1 || p[6] == 4) && p[7] == 8;
}

/*
 * The section by name (PIE binaries put it in relro under another name), or,
 * where section headers were stripped or mangled, a header that parses, found
 * in a non-executable segment.
 */
static bool find_pclntab(const struct elf_image *img, struct elf_section *sec)
{
	struct pclntab probe;
	int i;

	if ((elf_find_section(img, ".gopclntab", sec) ||
	     elf_find_section(img, ".data.rel.ro.gopclntab", sec)) && sec->data)
		return true;
	for (i = 0; i < img->nsegs; i++) {
		const struct elf_segment *s = &img->segs[i];
		const uint8_t *seg;
		uint64_t off;

		if (s->flags & PF_X || !(seg = elf_vaddr_bytes(img, s->vaddr, s->filesz)))
			continue;
		for (off = (8 - s->vaddr % 8) % 8; off + 72 <= s->filesz; off += 8) {
			const uint8_t *p = seg + off;

			if (!looks_like_pclntab(p) || pclntab_parse(&probe, p, s->filesz - off))
				continue;
			sec->addr = s->vaddr + off;
			sec->size = s->filesz - off;
			sec->data = p;
			ht_debug("no .gopclntab section; found a pclntab header at 0x%llx",
				 (unsigned long long)sec->addr);
			return true;
		}
	}
	return false;
}

/*
 * pclntab entries are offsets from the text start. Go 1.18-1.25 store it in
 * the header (relocated in PIE); Go 1.26 stores 0 there and only
 * runtime.firstmoduledata.text has it. Where both exist they must agree.
 */
static int resolve_text_start(const struct elf_image *img, struct go_funcs *f)
{
	struct moduledata md;
	uint64_t hdr = 0;
	bool have_md;

	elf_read_word(img, f->pcln_vaddr + PCLNTAB_TEXTSTART_FIELD, &hdr);
	have_md = moduledata_find(img, &f->tab, f->pcln_vaddr, &md) == 0;
	if (have_md && hdr && hdr != md.text)
		return ht_fail("pclntab header text start 0x%llx disagrees with runtime.firstmoduledata's 0x%llx; refusing to guess",
			       (unsigned long long)hdr, (unsigned long long)md.text);
	if (have_md) {
		f->moduledata = md.addr;
		f->text_start = md.text;
		f->text_start_source = "runtime.firstmoduledata";
	} else if (hdr) {
		f->text_start = hdr;
		f->text_start_source = "pclntab header";
	} else {
		return ht_fail("cannot find the text start: the pclntab header holds 0 and no runtime.firstmoduledata matches it");
	}
	return 0;
}

static int load_pclntab(const struct elf_image *img, struct go_funcs *f)
{
	struct elf_section sec;
	uint64_t i;

	if (!find_pclntab(img, &sec))
		return ht_fail("it has no .gopclntab, so it is not a Go program");
	f->pcln_vaddr = sec.addr;
	if (!elf_vaddr_file_offset(img, sec.addr, sec.size, &f->pcln_file_off))
		f->pcln_file_off = UINT64_MAX; /* only in memory: no compacting */
	if (pclntab_parse(&f->tab, sec.data, sec.size))
		return -1;
	if (resolve_text_start(img, f))
		return -1;
	f->pcln = calloc(f->tab.nfunc, sizeof(*f->pcln));
	if (!f->pcln)
		return ht_fail("out of memory for %llu functions", (unsigned long long)f->tab.nfunc);
	for (i = 0; i < f->tab.nfunc; i++) {
		uint32_t eo, endo;
		const char *name;

		if (pclntab_func(&f->tab, i, &eo, &endo, &name))
			return -1;
		if (i && eo < f->pcln[i - 1].entry - f->text_start)
			return ht_fail("pclntab functions are not sorted (function %llu)", (unsigned long long)i);
		f->pcln[i] = (struct go_func){ name, f->text_start + eo, f->text_start + endo };
	}
	f->npcln = f->tab.nfunc;
	return 0;
}

static void add_symtab_func(void *ctx, const GElf_Sym *s, const char *name)
{
	struct go_funcs *f = ctx;

	f->symtab[f->nsymtab++] = (struct go_func){ name, s->st_value, s->st_value + s->st_size };
}

static void count_symbol(void *ctx, const GElf_Sym *s, const char *name)
{
}

static int load_symtab(const struct elf_image *img, struct go_funcs *f)
{
	size_t n = elf_symbols(img, STT_FUNC, count_symbol, NULL);

	if (!n)
		return 0;
	f->symtab = calloc(n, sizeof(*f->symtab));
	if (!f->symtab)
		return ht_fail("out of memory for %zu symbols", n);
	elf_symbols(img, STT_FUNC, add_symtab_func, f);
	qsort(f->symtab, f->nsymtab, sizeof(*f->symtab), cmp_entry);
	return 0;
}

/*
 * The two tables spell some names differently: .symtab marks assembly (ABI0)
 * functions "NAME.abi0", and pclntab writes what stands between brackets as
 * "[...]" (array lengths: "type..eq.[...]T" for "type..eq.[5]T"; type
 * arguments: "nistCurve[...]" for "nistCurve[*nistec.P224Point]") and the
 * linker's "." separator as a middle dot ("untracedG·7" for "untracedG.7").
 */
static bool same_func_name(const char *sym, const char *pcln)
{
	while (*pcln) {
		if (!strncmp(pcln, "[...]", 5) && *sym == '[') {
			int depth = 0;

			do { /* to the matching ']' */
				depth += *sym == '[';
				depth -= *sym == ']';
				sym++;
			} while (*sym && depth);
			if (depth)
				return false;
			pcln += 5;
		} else if (!strncmp(pcln, "\xc2\xb7", 2) && *sym == '.') {
			sym++;
			pcln += 2;
		} else if (*sym++ != *pcln++) {
			return false;
		}
	}
	return !*sym || !strcmp(sym, ".abi0");
}

/* A symbol at the same address with the same name, for every pclntab
 * function: otherwise the text start (and every probe) would be wrong. */
static int cross_check(struct go_funcs *f)
{
	size_t i, j = 0, bad = 0;
	const struct go_func *first_bad = NULL;

	for (i = 0; i < f->npcln; i++) {
		const struct go_func *p = &f->pcln[i];
		bool ok = false;
		size_t k;

		while (j < f->nsymtab && f->symtab[j].entry < p->entry)
			j++;
		for (k = j; k < f->nsymtab && f->symtab[k].entry == p->entry; k++)
			if (same_func_name(f->symtab[k].name, p->name))
				ok = true;
		if (!ok && !bad++)
			first_bad = p;
	}
	if (bad)
		return ht_fail("pclntab and .symtab disagree on %zu functions (first: %s at 0x%llx); refusing to plan probes",
			       bad, first_bad->name, (unsigned long long)first_bad->entry);
	return 0;
}

int go_funcs_load(const struct elf_image *img, struct go_funcs *out)
{
	memset(out, 0, sizeof(*out));
	if (load_pclntab(img, out) || load_symtab(img, out)) {
		go_funcs_free(out);
		return -1;
	}
	if (out->nsymtab && cross_check(out)) {
		go_funcs_free(out);
		return -1;
	}
	out->stripped = out->nsymtab == 0;
	return 0;
}

void go_funcs_compact(struct go_funcs *f, int fd)
{
	free(f->pcln);
	free(f->symtab);
	f->pcln = f->symtab = NULL;
	f->npcln = f->nsymtab = 0;
	if (f->pcln_file_off != UINT64_MAX && fd >= 0)
		pclntab_use_file(&f->tab, fd, f->pcln_file_off);
	else
		f->tab.nfunc = 0; /* nothing to read from any more */
}

void go_funcs_free(struct go_funcs *f)
{
	free(f->pcln);
	free(f->symtab);
	pclntab_close(&f->tab);
	memset(f, 0, sizeof(*f));
}

bool go_funcs_stripped(const struct go_funcs *f)
{
	return f->stripped;
}

static const struct go_func *find_named(const struct go_func *v, size_t n, const char *name, const char *suffix)
{
	size_t len = strlen(name), i;

	for (i = 0; i < n; i++)
		if (!strncmp(v[i].name, name, len) && !strcmp(v[i].name + len, suffix))
			return &v[i];
	return NULL;
}

#define ABI0 ".abi0"

/* .symtab names assembly functions with their ABI ("runtime.madvise.abi0"),
 * pclntab without it: either name finds the function in both. */
const struct go_func *go_funcs_find(const struct go_funcs *f, const char *name)
{
	size_t len = strlen(name);
	const struct go_func *g;
	char bare[256];

	if (f->nsymtab) {
		g = find_named(f->symtab, f->nsymtab, name, "");
		return g ? g : find_named(f->symtab, f->nsymtab, name, ABI0);
	}
	g = find_named(f->pcln, f->npcln, name, "");
	if (g || len <= strlen(ABI0) || len >= sizeof(bare) || strcmp(name + len - strlen(ABI0), ABI0))
		return g;
	snprintf(bare, sizeof(bare), "%.*s", (int)(len - strlen(ABI0)), name);
	return find_named(f->pcln, f->npcln, bare, "");
}

bool go_funcs_at(const struct go_funcs *f, uint64_t pc, struct go_func *out, uint64_t *index)
{
	size_t lo = 0, hi = f->npcln;
	uint32_t e, end;
	const char *name;
	int64_t i;

	if (!f->pcln) {
		/* compacted: pclntab's own function table, from the file */
		if (pc < f->text_start || (i = pclntab_find_func(&f->tab, pc - f->text_start)) < 0 ||
		    pclntab_func(&f->tab, (uint64_t)i, &e, &end, &name))
			return false;
		*out = (struct go_func){ name, f->text_start + e, f->text_start + end };
		if (index)
			*index = (uint64_t)i;
		return true;
	}
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (pc < f->pcln[mid].entry) {
			hi = mid;
		} else if (pc >= f->pcln[mid].end) {
			lo = mid + 1;
		} else {
			*out = f->pcln[mid];
			if (index)
				*index = mid;
			return true;
		}
	}
	return false;
}

int go_funcs_line(const struct go_funcs *f, uint64_t pc, const char **file, int *line)
{
	struct go_func fn;
	uint64_t i;

	if (!go_funcs_at(f, pc, &fn, &i))
		return -1;
	return pclntab_line(&f->tab, i, (uint32_t)(pc - fn.entry), file, line);
}
