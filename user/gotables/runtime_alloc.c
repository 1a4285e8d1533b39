// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include "gotables/runtime_alloc.h"

#define PAGE 8192
#define MAX_SMALL 32768

/* runtime.class_to_size (sizeclasses.go), identical Go 1.19-1.27
 * (internal/runtime/gc.SizeClassToSize from 1.26). */
static const uint16_t class_size[] = {
	0,     8,     16,    24,    32,    48,    64,    80,    96,    112,   128,   144,   160,   176,
	192,   208,   224,   240,   256,   288,   320,   352,   384,   416,   448,   480,   512,   576,
	640,   704,   768,   896,   1024,  1152,  1280,  1408,  1536,  1792,  2048,  2304,  2688,  3072,
	3200,  3456,  4096,  4864,  5376,  6144,  6528,  6784,  6912,  8192,  9472,  9728,  10240, 10880,
	12288, 13568, 14336, 16384, 18432, 19072, 20480, 21760, 24576, 27264, 28672, 32768,
};

_Static_assert(sizeof(class_size) / sizeof(*class_size) == GO_SIZE_CLASSES, "one size per class");

uint32_t go_class_size(unsigned sizeclass)
{
	return sizeclass < GO_SIZE_CLASSES ? class_size[sizeclass] : 0;
}

static uint64_t round_class(uint64_t size)
{
	unsigned i;

	for (i = 1; i < sizeof(class_size) / sizeof(*class_size); i++)
		if (class_size[i] >= size)
			return class_size[i];
	return 0;
}

uint64_t go_alloc_usable(const struct go_layout *L, uint64_t size, bool noscan)
{
	bool headers = L->malloc_header_min != GO_ABSENT;
	uint64_t header = headers && !noscan && size > L->malloc_header_min ? GO_MALLOC_HEADER : 0;
	/* 1.22+: small objects are those that fit a class with a header */
	uint64_t small_max = headers ? MAX_SMALL - GO_MALLOC_HEADER : MAX_SMALL;

	if (size <= small_max)
		return round_class(size + header) - header;
	return (size + PAGE - 1) / PAGE * PAGE;
}
