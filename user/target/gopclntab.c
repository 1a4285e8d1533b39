// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <string.h>
#include "target/gopclntab.h"
#include "util/uvarint.h"
#include "util/log.h"

#define HEADER_LEN (8 + 8 * 8)

static uint64_t get64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

int pclntab_parse(struct pclntab *t, const uint8_t *data, size_t size)
{
	memset(t, 0, sizeof(*t));
	if (size < HEADER_LEN)
		return ht_fail("pclntab is truncated (%zu bytes)", size);
	t->data = data;
	t->size = size;
	t->magic = get32(data);
	if (t->magic == PCLNTAB_MAGIC_116 || t->magic == PCLNTAB_MAGIC_12)
		return ht_fail("built by Go 1.17 or older; heaptrace supports Go 1.18 and later");
	if (t->magic != PCLNTAB_MAGIC_118 && t->magic != PCLNTAB_MAGIC_120)
		return ht_fail("pclntab has an unknown magic 0x%08x", t->magic);
	if (data[4] || data[5])
		return ht_fail("pclntab header padding is not zero");
	t->minlc = data[6];
	t->ptrsize = data[7];
	if (t->ptrsize != 8)
		return ht_fail("pclntab is for %u-byte pointers; heaptrace reads 64-bit programs", t->ptrsize);
	t->nfunc = get64(data + 8);
	t->nfiles = get64(data + 16);
	t->textstart_raw = get64(data + PCLNTAB_TEXTSTART_FIELD);
	t->funcname_off = get64(data + 32);
	t->cu_off = get64(data + 40);
	t->filetab_off = get64(data + 48);
	t->pctab_off = get64(data + 56);
	t->pcln_off = get64(data + 64);
	if (t->funcname_off > size || t->cu_off > size || t->filetab_off > size ||
	    t->pctab_off > size || t->pcln_off > size)
		return ht_fail("pclntab header offsets point outside the table");
	/* functab: nfunc+1 pairs of uint32 (found by fuzzing: with fewer than
	 * 8 bytes after pcln_off, "/ 8 - 1" wrapped around and passed) */
	if (t->nfunc == 0 || (size - t->pcln_off) / 8 < 2 || t->nfunc > (size - t->pcln_off) / 8 - 1)
		return ht_fail("pclntab function count %llu does not fit the table",
			       (unsigned long long)t->nfunc);
	return 0;
}

int pclntab_func(const struct pclntab *t, uint64_t i, uint32_t *entryoff, uint32_t *endoff,
		 const char **name)
{
	const uint8_t *ft = t->data + t->pcln_off;
	uint64_t funcoff, fpos;
	int32_t nameoff;

	if (i >= t->nfunc)
		return -1;
	*entryoff = get32(ft + i * 8);
	*endoff = get32(ft + (i + 1) * 8);
	funcoff = get32(ft + i * 8 + 4);
	if (*endoff < *entryoff)
		return ht_fail("pclntab function %llu ends before it starts", (unsigned long long)i);
	fpos = t->pcln_off + funcoff;
	if (fpos > t->size || t->size - fpos < 8)
		return ht_fail("pclntab function %llu record is outside the table", (unsigned long long)i);
	if (get32(t->data + fpos) != *entryoff)
		return ht_fail("pclntab function %llu record disagrees with its functab entry",
			       (unsigned long long)i);
	memcpy(&nameoff, t->data + fpos + 4, 4);
	*name = pclntab_name(t, nameoff);
	if (!*name)
		return ht_fail("pclntab function %llu has a name offset (%d) outside the table or unterminated",
			       (unsigned long long)i, nameoff);
	return 0;
}

const char *pclntab_name(const struct pclntab *t, int32_t nameoff)
{
	uint64_t npos;

	if (nameoff < 0)
		return NULL;
	npos = t->funcname_off + (uint64_t)nameoff;
	if (npos >= t->size || !memchr(t->data + npos, '\0', t->size - npos))
		return NULL;
	return (const char *)t->data + npos;
}

/* _func fields (Go 1.18+): pcfile, pcln and cuOffset are uint32s at these offsets. */
#define FUNC_PCFILE 20
#define FUNC_PCLN 24
#define FUNC_CUOFFSET 32
#define FUNC_MIN_LEN 36

/* pc-value tables hold 32-bit values as uvarints (at most 5 bytes) */
static bool varint(const struct pclntab *t, uint64_t *pos, uint32_t *out)
{
	uint64_t v;
	size_t n = *pos < t->size ? uvarint_decode(t->data + *pos, t->size - *pos < 5 ? t->size - *pos : 5, &v) : 0;

	if (!n)
		return false;
	*pos += n;
	*out = (uint32_t)v;
	return true;
}

/* runtime.pcvalue: the value a pc-value table gives for pc_off (an offset
 * from the function's entry); false if the table does not cover it. */
static bool pcvalue(const struct pclntab *t, uint32_t table, uint32_t pc_off, int32_t *out)
{
	uint64_t pos = t->pctab_off + (uint64_t)table;
	int64_t val = -1;
	uint64_t pc = 0;
	bool first = true;

	if (!table)
		return false;
	for (;;) {
		uint32_t uv, pcd;

		if (!varint(t, &pos, &uv) || (uv == 0 && !first))
			return false;
		first = false;
		/* zig-zag */
		val += (uv & 1) ? -(int64_t)((uv >> 1) + 1) : (int64_t)(uv >> 1);
		if (!varint(t, &pos, &pcd))
			return false;
		pc += (uint64_t)pcd * t->minlc;
		if (pc_off < pc) {
			*out = (int32_t)val;
			return true;
		}
	}
}

int pclntab_line(const struct pclntab *t, uint64_t i, uint32_t pc_off, const char **file, int *line)
{
	const uint8_t *ft = t->data + t->pcln_off;
	uint64_t fpos, cupos, fname;
	int32_t fileno, ln;
	uint32_t fileoff;

	if (i >= t->nfunc)
		return -1;
	fpos = t->pcln_off + get32(ft + i * 8 + 4);
	if (fpos > t->size || t->size - fpos < FUNC_MIN_LEN)
		return -1;
	if (!pcvalue(t, get32(t->data + fpos + FUNC_PCFILE), pc_off, &fileno) ||
	    !pcvalue(t, get32(t->data + fpos + FUNC_PCLN), pc_off, &ln) || fileno < 0)
		return -1;
	cupos = t->cu_off + ((uint64_t)get32(t->data + fpos + FUNC_CUOFFSET) + (uint64_t)fileno) * 4;
	if (cupos > t->size || t->size - cupos < 4)
		return -1;
	fileoff = get32(t->data + cupos);
	fname = t->filetab_off + fileoff;
	if (fileoff == UINT32_MAX || fname >= t->size || !memchr(t->data + fname, '\0', t->size - fname))
		return -1;
	*file = (const char *)t->data + fname;
	*line = ln;
	return 0;
}

/* Function i's _func record with at least `len` bytes: its offset in the
 * table, or 0 (no record starts at 0: the header is there). */
static uint64_t func_record(const struct pclntab *t, uint64_t i, uint64_t len)
{
	uint64_t fpos;

	if (i >= t->nfunc)
		return 0;
	fpos = t->pcln_off + get32(t->data + t->pcln_off + i * 8 + 4);
	if (fpos > t->size || t->size - fpos < len)
		return 0;
	return fpos;
}

int pclntab_pcdata(const struct pclntab *t, const struct go_layout *L, uint64_t i, unsigned k, uint32_t pc_off,
		   int32_t *val)
{
	uint64_t fpos = func_record(t, i, L->func_size);
	uint32_t npcdata;

	if (!fpos)
		return -1;
	npcdata = get32(t->data + fpos + L->func_npcdata);
	if (k >= npcdata || t->size - fpos < L->func_size + 4ull * (k + 1))
		return -1;
	return pcvalue(t, get32(t->data + fpos + L->func_size + 4 * k), pc_off, val) ? 0 : -1;
}

int pclntab_funcdata(const struct pclntab *t, const struct go_layout *L, uint64_t i, unsigned k, uint32_t *off)
{
	uint64_t fpos = func_record(t, i, L->func_size), at;
	uint32_t npcdata;

	if (!fpos)
		return -1;
	npcdata = get32(t->data + fpos + L->func_npcdata);
	if (k >= t->data[fpos + L->func_nfuncdata])
		return -1;
	/* funcdata[] follows pcdata[npcdata] */
	at = fpos + L->func_size + 4ull * npcdata + 4ull * k;
	if (at > t->size || t->size - at < 4)
		return -1;
	*off = get32(t->data + at);
	return *off == UINT32_MAX ? -1 : 0;
}
