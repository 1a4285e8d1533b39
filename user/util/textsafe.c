// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "util/textsafe.h"

size_t utf8_char_len(const unsigned char *p, size_t avail, uint32_t *cp)
{
	size_t n, i;
	uint32_t c;

	if (!avail)
		return 0;
	if (p[0] < 0x80) {
		*cp = p[0];
		return 1;
	}
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 2, c = p[0] & 0x1f;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		n = 3, c = p[0] & 0x0f;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		n = 4, c = p[0] & 0x07;
	else
		return 0;
	if (n > avail)
		return 0;
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (p[i] & 0x3f);
	}
	if ((n == 3 && c < 0x800) || (n == 4 && (c < 0x10000 || c > 0x10ffff)) || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return n;
}

/* A NUL-terminated string's character: a NUL fails a continuation byte, so
 * 4 bytes of room are always safe to ask for. */
static size_t utf8_char(const unsigned char *p, uint32_t *cp)
{
	return utf8_char_len(p, 4, cp);
}

static bool control(uint32_t c)
{
	return c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0);
}

char *text_escape(char *dst, size_t len, const char *src)
{
	const unsigned char *p = (const unsigned char *)(src ? src : "");
	size_t o = 0;

	if (!len)
		return dst;
	while (*p) {
		uint32_t c;
		size_t n = utf8_char(p, &c);

		if (n && !control(c)) {
			if (o + n >= len)
				break;
			memcpy(dst + o, p, n);
			o += n;
			p += n;
			continue;
		}
		/* one escaped byte at a time: a C1 control is two */
		for (n = n ? n : 1; n; n--, p++) {
			if (o + 4 >= len)
				goto out;
			snprintf(dst + o, 5, "\\x%02x", *p);
			o += 4;
		}
	}
out:
	dst[o] = '\0';
	return dst;
}

const char *tsafe(const char *s)
{
	static __thread char bufs[TEXT_SAFE_SLOTS][1024];
	static __thread unsigned next;

	return text_escape(bufs[next++ % TEXT_SAFE_SLOTS], sizeof(bufs[0]), s);
}

char *utf8_lossy(char *dst, size_t len, const char *src)
{
	static const char replacement[] = "\xef\xbf\xbd";
	const unsigned char *p = (const unsigned char *)(src ? src : "");
	size_t o = 0;

	if (!len)
		return dst;
	while (*p) {
		uint32_t c;
		size_t n = utf8_char(p, &c);
		const void *from = p;

		if (!n) {
			from = replacement;
			n = 3;
			p++;
		} else {
			p += n;
		}
		if (o + n >= len)
			break;
		memcpy(dst + o, from, n);
		o += n;
	}
	dst[o] = '\0';
	return dst;
}

bool utf8_valid(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	uint32_t c;
	size_t n;

	for (; *p; p += n)
		if (!(n = utf8_char(p, &c)))
			return false;
	return true;
}
