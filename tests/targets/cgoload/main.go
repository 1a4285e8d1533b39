// cgoload: a cgo program, whose .text starts with C code before runtime.text,
// so pclntab offsets must be taken from the Go text start, not from .text.
package main

/*
static int c_add(int a, int b) { return a + b; }
*/
import "C"

import (
	"fmt"
	"runtime"
)

func main() {
	m := map[int]int{}
	for i := 0; i < 100000; i++ {
		m[i] = int(C.c_add(C.int(i), 1))
	}
	runtime.GC()
	fmt.Printf("checksum %d\n", len(m)+m[99999])
}
