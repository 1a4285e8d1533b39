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

/* The u32 at table offset off; false outside the table. */
static bool u32_at(const struct pclntab *t, uint64_t off, uint32_t *v)
{
	uint8_t b[4];

	if (!bytesrc_read(&t->src, off, b, 4))
		return false;
	*v = get32(b);
	return true;
}

int pclntab_parse(struct pclntab *t, const uint8_t *data, size_t size)
{
	memset(t, 0, sizeof(*t));
	if (size < HEADER_LEN)
		return ht_fail("pclntab is truncated (%zu bytes)", size);
	bytesrc_memory(&t->src, data, size);
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

void pclntab_use_file(struct pclntab *t, int fd, uint64_t off)
{
	bytesrc_file(&t->src, fd, off, t->size);
}

void pclntab_close(struct pclntab *t)
{
	bytesrc_close(&t->src);
}

int pclntab_func(const struct pclntab *t, uint64_t i, uint32_t *entryoff, uint32_t *endoff,
		 const char **name)
{
	uint8_t ft[12], rec[8];
	uint64_t fpos;

	if (i >= t->nfunc)
		return -1;
	/* functab[i] {entryoff, funcoff} and functab[i+1].entryoff: inside
	 * the table, as pclntab_parse checked nfunc */
	if (!bytesrc_read(&t->src, t->pcln_off + i * 8, ft, sizeof(ft)))
		return ht_fail("pclntab function %llu cannot be read", (unsigned long long)i);
	*entryoff = get32(ft);
	*endoff = get32(ft + 8);
	if (*endoff < *entryoff)
		return ht_fail("pclntab function %llu ends before it starts", (unsigned long long)i);
	fpos = t->pcln_off + get32(ft + 4);
	if (fpos > t->size || t->size - fpos < 8 || !bytesrc_read(&t->src, fpos, rec, sizeof(rec)))
		return ht_fail("pclntab function %llu record is outside the table", (unsigned long long)i);
	if (get32(rec) != *entryoff)
		return ht_fail("pclntab function %llu record disagrees with its functab entry",
			       (unsigned long long)i);
	*name = pclntab_name(t, (int32_t)get32(rec + 4));
	if (!*name)
		return ht_fail("pclntab function %llu has a name offset (%d) outside the table or unterminated",
			       (unsigned long long)i, (int32_t)get32(rec + 4));
	return 0;
}

const char *pclntab_name(const struct pclntab *t, int32_t nameoff)
{
	uint64_t npos;

	if (nameoff < 0)
		return NULL;
	npos = t->funcname_off + (uint64_t)nameoff;
	return bytesrc_str(&t->src, npos);
}

int64_t pclntab_find_func(const struct pclntab *t, uint64_t pc_off)
{
	uint64_t lo = 0, hi = t->nfunc;
	uint32_t e, end;

	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2;

		if (!u32_at(t, t->pcln_off + mid * 8, &e) || !u32_at(t, t->pcln_off + (mid + 1) * 8, &end))
			return -1;
		if (pc_off < e)
			hi = mid;
		else if (pc_off >= end)
			lo = mid + 1;
		else
			return (int64_t)mid;
	}
	return -1;
}

/* _func fields (Go 1.18+): pcsp, pcfile, pcln and cuOffset are uint32s at these offsets. */
#define FUNC_PCSP 16
#define FUNC_PCFILE 20
#define FUNC_PCLN 24
#define FUNC_CUOFFSET 32
#define FUNC_MIN_LEN 36

/* pc-value tables hold 32-bit values as uvarints (at most 5 bytes) */
static bool varint(const struct pclntab *t, uint64_t *pos, uint32_t *out)
{
	uint8_t b[5];
	uint64_t v;
	size_t n = bytesrc_peek(&t->src, *pos, b, sizeof(b));

	n = n ? uvarint_decode(b, n, &v) : 0;
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
	uint8_t rec[FUNC_MIN_LEN];
	uint64_t fpos, cupos;
	int32_t fileno, ln;
	uint32_t funcoff, fileoff;
	const char *name;

	if (i >= t->nfunc || !u32_at(t, t->pcln_off + i * 8 + 4, &funcoff))
		return -1;
	fpos = t->pcln_off + funcoff;
	if (fpos > t->size || t->size - fpos < FUNC_MIN_LEN || !bytesrc_read(&t->src, fpos, rec, sizeof(rec)))
		return -1;
	if (!pcvalue(t, get32(rec + FUNC_PCFILE), pc_off, &fileno) ||
	    !pcvalue(t, get32(rec + FUNC_PCLN), pc_off, &ln) || fileno < 0)
		return -1;
	cupos = t->cu_off + ((uint64_t)get32(rec + FUNC_CUOFFSET) + (uint64_t)fileno) * 4;
	if (cupos > t->size || t->size - cupos < 4 || !u32_at(t, cupos, &fileoff) || fileoff == UINT32_MAX)
		return -1;
	name = bytesrc_str(&t->src, t->filetab_off + fileoff);
	if (!name)
		return -1;
	*file = name;
	*line = ln;
	return 0;
}

/* Function i's _func record with at least `len` bytes: its offset in the
 * table, or 0 (no record starts at 0: the header is there). */
static uint64_t func_record(const struct pclntab *t, uint64_t i, uint64_t len)
{
	uint64_t fpos;
	uint32_t funcoff;

	if (i >= t->nfunc || !u32_at(t, t->pcln_off + i * 8 + 4, &funcoff))
		return 0;
	fpos = t->pcln_off + funcoff;
	if (fpos > t->size || t->size - fpos < len)
		return 0;
	return fpos;
}

int pclntab_pcdata(const struct pclntab *t, const struct go_layout *L, uint64_t i, unsigned k, uint32_t pc_off,
		   int32_t *val)
{
	uint64_t fpos = func_record(t, i, L->func_size);
	uint32_t npcdata, table;

	if (!fpos || !u32_at(t, fpos + L->func_npcdata, &npcdata))
		return -1;
	if (k >= npcdata || t->size - fpos < L->func_size + 4ull * (k + 1) ||
	    !u32_at(t, fpos + L->func_size + 4ull * k, &table))
		return -1;
	return pcvalue(t, table, pc_off, val) ? 0 : -1;
}

int pclntab_spdelta(const struct pclntab *t, uint64_t i, uint32_t pc_off, int32_t *val)
{
	uint64_t fpos = func_record(t, i, FUNC_MIN_LEN);
	uint32_t table;

	if (!fpos || !u32_at(t, fpos + FUNC_PCSP, &table))
		return -1;
	return pcvalue(t, table, pc_off, val) ? 0 : -1;
}

int pclntab_funcdata(const struct pclntab *t, const struct go_layout *L, uint64_t i, unsigned k, uint32_t *off)
{
	uint64_t fpos = func_record(t, i, L->func_size), at;
	uint32_t npcdata;
	uint8_t nfuncdata;

	if (!fpos || !u32_at(t, fpos + L->func_npcdata, &npcdata) ||
	    !bytesrc_read(&t->src, fpos + L->func_nfuncdata, &nfuncdata, 1))
		return -1;
	if (k >= nfuncdata)
		return -1;
	/* funcdata[] follows pcdata[npcdata] */
	at = fpos + L->func_size + 4ull * npcdata + 4ull * k;
	if (at > t->size || t->size - at < 4 || !u32_at(t, at, off))
		return -1;
	return *off == UINT32_MAX ? -1 : 0;
}
