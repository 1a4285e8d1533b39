// oomgrow grows one map until the OOM killer ends it: run it in a memory
// cgroup of a few hundred MiB. Each entry holds a 48-byte value inline, so
// the map's table is most of the process's memory. It grows -batch entries
// every -pause, so that a tracer's intervals see it on its way (about
// 2 million entries a second by default, the limit reached in seconds).
//
// With -wait it first prints "ready" and waits for a line on stdin, so a
// tracer can attach before the map exists; without, the map grows from the
// program's first moments.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"time"
)

type value [48]byte

// A global, so that a symbol table names the map.
var grown map[int64]value

//go:noinline
func fill(from, n int64) {
	for i := from; i < from+n; i++ {
		var v value
		v[0] = byte(i)
		grown[i] = v // GROW-SITE
	}
}

func main() {
	wait := flag.Bool("wait", false, `print "ready" and wait for a line on stdin before growing`)
	batch := flag.Int64("batch", 20000, "entries added at a time")
	pause := flag.Duration("pause", 10*time.Millisecond, "pause between batches")
	flag.Parse()
	grown = make(map[int64]value)
	if *wait {
		fmt.Println("ready")
		bufio.NewReader(os.Stdin).ReadString('\n')
	}
	fmt.Println("growing")
	for n := int64(0); ; n += *batch {
		fill(n, *batch)
		time.Sleep(*pause)
	}
}
