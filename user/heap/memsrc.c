// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <errno.h>
#include <string.h>
#include <sys/uio.h>
#include "heap/memsrc.h"

#define IOV_BATCH 1024 /* UIO_MAXIOV */

/* process_vm_readv stops at the first remote range it cannot read: mark what
 * it got, skip the range that failed, go on with the rest. */
static void process_readv(struct memsrc *m, struct memrange *r, size_t n)
{
	struct iovec local[IOV_BATCH], remote[IOV_BATCH];
	size_t i = 0;

	while (i < n) {
		size_t k, cnt = n - i < IOV_BATCH ? n - i : IOV_BATCH;
		ssize_t got;

		for (k = 0; k < cnt; k++) {
			local[k] = (struct iovec){ r[i + k].buf, r[i + k].len };
			remote[k] = (struct iovec){ (void *)(uintptr_t)r[i + k].addr, r[i + k].len };
			r[i + k].ok = false;
		}
		got = process_vm_readv(m->pid, local, cnt, remote, cnt, 0);
		m->calls++;
		if (got < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ESRCH) {
				m->gone = true; /* nothing more to read */
				return;
			}
			got = 0;
		}
		m->bytes += (uint64_t)got;
		for (k = 0; k < cnt && (size_t)got >= r[i + k].len; k++) {
			r[i + k].ok = true;
			got -= (ssize_t)r[i + k].len;
		}
		i += k == cnt ? cnt : k + 1; /* range k failed (or was partial): skip it */
	}
}

static void buffer_readv(struct memsrc *m, struct memrange *r, size_t n)
{
	size_t i;

	m->calls++;
	for (i = 0; i < n; i++) {
		r[i].ok = r[i].addr >= m->base && r[i].len <= m->size &&
			  r[i].addr - m->base <= m->size - r[i].len;
		if (r[i].ok) {
			memcpy(r[i].buf, m->image + (r[i].addr - m->base), r[i].len);
			m->bytes += r[i].len;
		}
	}
}

void memsrc_process(struct memsrc *m, pid_t pid)
{
	memset(m, 0, sizeof(*m));
	m->readv = process_readv;
	m->pid = pid;
}

void memsrc_buffer(struct memsrc *m, const uint8_t *image, uint64_t base, size_t size)
{
	memset(m, 0, sizeof(*m));
	m->readv = buffer_readv;
	m->image = image;
	m->base = base;
	m->size = size;
}

bool mem_read(struct memsrc *m, uint64_t addr, void *buf, size_t len)
{
	struct memrange r = { .addr = addr, .buf = buf, .len = len };

	m->readv(m, &r, 1);
	return r.ok;
}

bool mem_word(struct memsrc *m, uint64_t addr, uint64_t *v)
{
	return mem_read(m, addr, v, sizeof(*v));
}

uint64_t mem_field(const uint8_t *p, uint16_t off, unsigned size)
{
	uint64_t v = 0;

	memcpy(&v, p + off, size < sizeof(v) ? size : sizeof(v)); /* little-endian targets only */
	return v;
}
