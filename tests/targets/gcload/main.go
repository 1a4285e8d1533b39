// gcload: a deterministic workload that grows and drops its heap, grows maps,
// runs GC cycles and returns memory to the OS. It prints a checksum that the
// tests compare with the same program run untraced, and, with -metrics, the
// runtime's own accounting as JSON on stderr.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"syscall"
	"time"
)

// snapshot is the runtime's own accounting, the ground truth tests compare
// heaptrace's figures with.
type snapshot struct {
	GCCycles uint64 `json:"gc_cycles"`
	GCPauses uint64 `json:"gc_pauses"`
	// debug.ReadGCStats: the pauses the runtime timed itself, what
	// client_golang's go_gc_duration_seconds is made of
	GCNum          int64  `json:"gc_num"`
	GCPauseTotalNs int64  `json:"gc_pause_total_ns"`
	HeapReleased   uint64 `json:"heap_released_bytes"`
	HeapFree       uint64 `json:"heap_free_bytes"`
	FreeOSMemory   uint64 `json:"freeosmemory_released_bytes"`
}

var freedByFreeOSMemory uint64

func read() snapshot {
	s := []metrics.Sample{
		{Name: "/gc/cycles/total:gc-cycles"},
		{Name: "/gc/pauses:seconds"},
		{Name: "/memory/classes/heap/released:bytes"},
		{Name: "/memory/classes/heap/free:bytes"},
	}
	metrics.Read(s)
	var pauses uint64
	if s[1].Value.Kind() == metrics.KindFloat64Histogram {
		for _, c := range s[1].Value.Float64Histogram().Counts {
			pauses += c
		}
	}
	var gc debug.GCStats
	debug.ReadGCStats(&gc) // takes the heap lock, does not stop the world
	return snapshot{s[0].Value.Uint64(), pauses, gc.NumGC, gc.PauseTotal.Nanoseconds(),
		s[2].Value.Uint64(), s[3].Value.Uint64(), freedByFreeOSMemory}
}

func heapReleased() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/released:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// freeOSMemory returns memory to the OS and measures what the runtime says it
// released: that one figure, not a whole snapshot, around each call.
func freeOSMemory() {
	before := heapReleased()
	debug.FreeOSMemory()
	if after := heapReleased(); after > before {
		freedByFreeOSMemory += after - before
	}
}

// deep recurses n frames, each of the same small size (under the 128 bytes
// of StackSmall, so that its stack check is SP <= stackguard0, the same test
// as in every function with a small frame, and no stricter than a large
// frame's), then calls debug.FreeOSMemory at the bottom. On a fresh
// goroutine, for the depth just short of where deep would itself have to
// grow the stack, the call into the runtime (runtime/debug.freeOSMemory, as
// FreeOSMemory is inlined here) fails its stack check, goes through
// morestack and restarts from its entry.
//
//go:noinline
func deep(n int, pad [3]uint64) uint64 {
	if n == 0 {
		debug.FreeOSMemory()
		return pad[0]
	}
	pad[n%3]++
	return deep(n-1, pad) + pad[1]
}

// morestackCalls calls debug.FreeOSMemory once from each of n fresh
// goroutines, recursing one frame deeper in each: every stack size up to
// about n frames has a depth whose call lands right at the stack bound.
func morestackCalls(n int) int {
	done := make(chan uint64)
	for d := 0; d < n; d++ {
		go func(d int) { done <- deep(d, [3]uint64{uint64(d), 1, 2}) }(d)
		<-done
	}
	return n
}

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
	execPath := flag.String("exec", "", "after the work, exec this program (with no arguments) instead of exiting")
	timing := flag.Bool("timing", false, "print the work's own duration (elapsed_ns N) on stderr")
	metricsFile := flag.String("metrics", "", "write the runtime's metrics at the start and end of the work to this file (JSON)")
	morestack := flag.Int("morestack", 0, "before the rounds, call debug.FreeOSMemory from N goroutines at stack depths 0..N-1, "+
		"so that some calls go through morestack; prints 'morestack calls N'")
	memstats := flag.Bool("memstats", false, "call runtime.ReadMemStats once a round: a stop of the world that is not the GC's")
	freeEvery := flag.Int("freeos-every", 5, "call debug.FreeOSMemory every N rounds (0: never)")
	flag.Parse()

	if *wait {
		fmt.Println("ready")
		var line string
		fmt.Scanln(&line)
	}
	if *morestack > 0 {
		fmt.Printf("morestack calls %d\n", morestackCalls(*morestack))
	}
	start := read()
	began := time.Now()
	var sum uint64
	for r := 0; r < *rounds; r++ {
		sum += churn(r)
		runtime.GC()
		if *memstats {
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
		}
		if *freeEvery > 0 && r%*freeEvery == *freeEvery-1 {
			freeOSMemory()
		}
		time.Sleep(*pause)
	}
	if *timing {
		fmt.Fprintf(os.Stderr, "elapsed_ns %d\n", time.Since(began).Nanoseconds())
	}
	if *metricsFile != "" {
		end := read()
		b, _ := json.Marshal(map[string]snapshot{"start": start, "end": end})
		if err := os.WriteFile(*metricsFile, b, 0o644); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
	if *timing {
		var gc debug.GCStats
		debug.ReadGCStats(&gc)
		fmt.Fprintf(os.Stderr, "numgc %d\n", gc.NumGC)
	}
	fmt.Printf("checksum %d\n", sum)
	if *execPath != "" {
		err := syscall.Exec(*execPath, []string{*execPath}, os.Environ())
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(*exit)
}
