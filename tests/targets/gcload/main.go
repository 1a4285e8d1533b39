// gcload: a deterministic workload that grows and drops its heap, grows maps,
// runs GC cycles and returns memory to the OS. It prints a checksum that the
// tests compare with the same program run untraced, and, with -metrics, the
// runtime's own accounting as JSON on stderr.
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"time"
)

var sink [][]byte

func churn(round int) uint64 {
	m := make(map[string]int)
	var sum uint64
	for i := 0; i < 20000; i++ {
		k := "k" + strconv.Itoa(round) + "-" + strconv.Itoa(i)
		m[k] = i
		sum += uint64(len(k))
	}
	for i := 0; i < 64; i++ {
		sink = append(sink, make([]byte, 256<<10))
	}
	for k, v := range m {
		if v%2 == 0 {
			delete(m, k)
		}
	}
	sum += uint64(len(m))
	sink = nil
	return sum
}

func main() {
	rounds := flag.Int("rounds", 20, "work rounds")
	pause := flag.Duration("pause", 0, "sleep between rounds")
	wait := flag.Bool("wait", false, "print 'ready' and wait for a line on stdin before working")
	exit := flag.Int("exit", 0, "exit status")
	flag.Parse()

	if *wait {
		fmt.Println("ready")
		var line string
		fmt.Scanln(&line)
	}
	var sum uint64
	for r := 0; r < *rounds; r++ {
		sum += churn(r)
		runtime.GC()
		if r%5 == 4 {
			debug.FreeOSMemory()
		}
		time.Sleep(*pause)
	}
	fmt.Printf("checksum %d\n", sum)
	os.Exit(*exit)
}
