//go:build cgo

package main

/*
#include <stdlib.h>
#include <string.h>

static void *hold(size_t n)
{
	void *p = malloc(n);
	if (p)
		memset(p, 0x5a, n); // touched: resident
	return p;
}
*/
import "C"

var cMallocBytes uint64

// cMalloc holds n MiB from C's malloc, resident, never freed.
func cMalloc(n int) {
	if n > 0 && C.hold(C.size_t(n)<<20) != nil {
		cMallocBytes = uint64(n) << 20
	}
}
