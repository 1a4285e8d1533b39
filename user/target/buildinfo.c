// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "target/buildinfo.h"
#include "util/uvarint.h"
#include "util/log.h"

static const char bi_magic[] = "\xff Go buildinf:";
#define BI_MAGIC_LEN 14
#define BI_HEADER_LEN 32
#define BI_FLAG_INLINE 0x2 /* Go 1.18+: strings follow the header */

int go_version_parse(const char *s, struct go_version *out)
{
	const char *p = strstr(s, "go1.");
	char *end;
	long minor;

	memset(out, 0, sizeof(*out));
	if (!p)
		return ht_fail("unrecognised Go version string '%s'", s);
	minor = strtol(p + 4, &end, 10);
	if (end == p + 4 || minor < 0 || minor > 1000)
		return ht_fail("unrecognised Go version string '%s'", s);
	out->major = 1;
	out->minor = (int)minor;
	if (*end == '.' && isdigit((unsigned char)end[1]))
		out->patch = (int)strtol(end + 1, NULL, 10);
	return 0;
}

int go_version_cmp_minor(struct go_version a, int major, int minor)
{
	if (a.major != major)
		return a.major < major ? -1 : 1;
	return a.minor < minor ? -1 : a.minor > minor;
}

static void copy_bounded(char *dst, size_t dstlen, const uint8_t *src, size_t n)
{
	if (n >= dstlen)
		n = dstlen - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* Copies the value of the line "KEY\t<value>[\t...]" from Go's modinfo. */
static void modinfo_field(const uint8_t *mi, size_t len, const char *key, char *dst, size_t dstlen)
{
	size_t klen = strlen(key), i = 0;

	dst[0] = '\0';
	while (i < len) {
		const uint8_t *line = mi + i, *nl = memchr(line, '\n', len - i);
		size_t llen = nl ? (size_t)(nl - line) : len - i;

		if (llen > klen && !memcmp(line, key, klen) && line[klen] == '\t') {
			const uint8_t *v = line + klen + 1;
			const uint8_t *tab = memchr(v, '\t', llen - klen - 1);

			copy_bounded(dst, dstlen, v, tab ? (size_t)(tab - v) : llen - klen - 1);
			return;
		}
		i += llen + 1;
	}
}

/* Pre-1.18 layout: two pointers to Go string headers {ptr, len}. */
static const uint8_t *read_go_string(const struct elf_image *img, uint64_t hdr_addr, uint64_t *len)
{
	uint64_t ptr;

	if (!elf_read_word(img, hdr_addr, &ptr) || !elf_read_word(img, hdr_addr + 8, len))
		return NULL;
	if (*len > (1 << 20))
		return NULL;
	return elf_vaddr_bytes(img, ptr, *len);
}

static const uint8_t *find_header(const struct elf_image *img, size_t *avail, uint64_t *vaddr)
{
	struct elf_section sec;
	int i;

	if (elf_find_section(img, ".go.buildinfo", &sec) && sec.data && sec.size >= BI_HEADER_LEN &&
	    !memcmp(sec.data, bi_magic, BI_MAGIC_LEN)) {
		*avail = sec.size;
		*vaddr = sec.addr;
		return sec.data;
	}
	/* No section headers: the header is 16-byte aligned in a writable segment. */
	for (i = 0; i < img->nsegs; i++) {
		const struct elf_segment *s = &img->segs[i];
		const uint8_t *seg;
		uint64_t off;

		if (!(s->flags & PF_W) || !(seg = elf_vaddr_bytes(img, s->vaddr, s->filesz)))
			continue;
		for (off = 0; off + BI_HEADER_LEN <= s->filesz; off += 16) {
			const uint8_t *p = seg + off;

			if (!memcmp(p, bi_magic, BI_MAGIC_LEN)) {
				*avail = s->filesz - off;
				*vaddr = s->vaddr + off;
				return p;
			}
		}
	}
	return NULL;
}

int buildinfo_read(const struct elf_image *img, struct go_buildinfo *out)
{
	const uint8_t *hdr, *ver, *mi;
	uint64_t vlen, mlen, vaddr;
	size_t avail, n;

	memset(out, 0, sizeof(*out));
	hdr = find_header(img, &avail, &vaddr);
	if (!hdr)
		return ht_fail("no Go build information (.go.buildinfo)");
	if (hdr[15] & BI_FLAG_INLINE) {
		size_t off = BI_HEADER_LEN;

		n = uvarint_decode(hdr + off, avail - off, &vlen);
		if (!n || vlen > avail - off - n)
			return ht_fail("corrupt Go build information (version length)");
		ver = hdr + off + n;
		off += n + vlen;
		n = uvarint_decode(hdr + off, avail - off, &mlen);
		if (!n || mlen > avail - off - n)
			return ht_fail("corrupt Go build information (module length)");
		mi = hdr + off + n;
	} else {
		if (hdr[14] != 8)
			return ht_fail("Go build information for a %u-byte pointer size", hdr[14]);
		ver = read_go_string(img, vaddr + 16, &vlen);
		mi = read_go_string(img, vaddr + 24, &mlen);
		if (!ver)
			return ht_fail("corrupt Go build information (version pointer)");
		if (!mi)
			mlen = 0;
	}
	if (!vlen)
		return ht_fail("Go build information holds no version");
	copy_bounded(out->version, sizeof(out->version), ver, vlen);
	/* modinfo is framed by 16-byte sentinels when present */
	if (mlen >= 33 && mi[mlen - 17] == '\n') {
		mi += 16;
		mlen -= 32;
	}
	modinfo_field(mi, mlen, "path", out->main_path, sizeof(out->main_path));
	modinfo_field(mi, mlen, "mod", out->module, sizeof(out->module));
	return go_version_parse(out->version, &out->ver);
}
