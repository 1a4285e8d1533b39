//go:build !cgo

package main

var cMallocBytes uint64

// cMalloc: no C allocator without cgo.
func cMalloc(int) {}
