// gcstate runs hundreds of collections, holds a live heap, parked
// goroutines and (built with cgo) memory from C's malloc, then waits, idle,
// so that what the runtime says of itself can be compared with what
// heaptrace reads from outside. GOGC and GOMEMLIMIT come from the
// environment as for any Go program.
//
// On stdin, one command a line:
//
//	truth      writes the runtime's own view as JSON to -truth FILE, prints "truth"
//	gc N       runs N more collections, prints "gc done"
//	release N  allocates and drops N MiB, collects and calls
//	           debug.FreeOSMemory, prints "released" (with
//	           GODEBUG=madvdontneed=0 the pages stay resident as LazyFree)
//	pmadvise N maps and touches N MiB, gives them back with process_madvise(2)
//	           on itself (MADV_DONTNEED), prints "pmadvise RESULT"
//	exit       exits
//
// SIGUSR1 writes the truth file too. It prints "ready" once set up.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
	"unsafe"

	"heaptrace/tests/targets/internal/fixture"
)

// What heaptrace must equal: debug.ReadGCStats, the settings, and the
// runtime/metrics figures it reproduces.
type truth struct {
	NumGC        int64             `json:"num_gc"`
	PauseTotalNs int64             `json:"pause_total_ns"`
	PausesNs     []int64           `json:"pauses_ns"` // newest first
	GOGC         int               `json:"gogc"`      // -1: off
	GOMEMLIMIT   int64             `json:"gomemlimit"`
	CMalloc      uint64            `json:"c_malloc_bytes"`
	Goroutines   int               `json:"goroutines"`
	Metrics      map[string]uint64 `json:"metrics"`
}

var metricNames = []string{
	"/gc/cycles/total:gc-cycles",
	"/gc/heap/goal:bytes",
	"/memory/classes/heap/objects:bytes",
	"/memory/classes/heap/unused:bytes",
	"/memory/classes/heap/free:bytes",
	"/memory/classes/heap/released:bytes",
	"/memory/classes/heap/stacks:bytes",
	"/memory/classes/os-stacks:bytes",
	"/memory/classes/metadata/mcache/free:bytes",
	"/memory/classes/metadata/mcache/inuse:bytes",
	"/memory/classes/metadata/mspan/free:bytes",
	"/memory/classes/metadata/mspan/inuse:bytes",
	"/memory/classes/metadata/other:bytes",
	"/memory/classes/other:bytes",
	"/memory/classes/profiling/buckets:bytes",
	"/memory/classes/total:bytes",
}

// gogc is GOGC as the runtime reads it (readGOGC).
func gogc() int {
	s := os.Getenv("GOGC")
	if s == "off" {
		return -1
	}
	if n, err := strconv.Atoi(s); err == nil {
		if n < 0 {
			return -1
		}
		return n
	}
	return 100
}

func read() truth {
	var gc debug.GCStats
	gc.Pause = make([]time.Duration, 0, 256)
	debug.ReadGCStats(&gc) // takes the heap lock; no stop of the world
	t := truth{NumGC: gc.NumGC, PauseTotalNs: gc.PauseTotal.Nanoseconds(), GOGC: gogc(),
		GOMEMLIMIT: debug.SetMemoryLimit(-1), CMalloc: cMallocBytes, Goroutines: runtime.NumGoroutine(),
		Metrics: map[string]uint64{}}
	for _, p := range gc.Pause {
		t.PausesNs = append(t.PausesNs, p.Nanoseconds())
	}
	s := make([]metrics.Sample, len(metricNames))
	for i, n := range metricNames {
		s[i].Name = n
	}
	metrics.Read(s)
	for _, x := range s {
		if x.Value.Kind() == metrics.KindUint64 {
			t.Metrics[x.Name] = x.Value.Uint64()
		}
	}
	return t
}

// Held until exit.
var (
	live  [][]byte
	index map[int]*[64]byte
	sink  []*[128]byte
)

// collect runs n collections, a little garbage before each so that their
// pauses differ.
func collect(n int) {
	for i := 0; i < n; i++ {
		for j := 0; j < 256; j++ {
			sink = append(sink, new([128]byte))
		}
		sink = nil
		runtime.GC()
	}
}

// release grows the heap by n MiB of touched garbage, then hands it back.
func release(n int) {
	garbage := make([][]byte, n)
	for i := range garbage {
		garbage[i] = make([]byte, 1<<20)
		for j := 0; j < len(garbage[i]); j += 4096 {
			garbage[i][j] = 1
		}
	}
	garbage = nil
	runtime.GC()
	debug.FreeOSMemory()
}

// park leaves a goroutine blocked with a few KiB of stack in use.
//
//go:noinline
func park(depth int, wg *sync.WaitGroup, block chan struct{}) byte {
	var pad [512]byte
	if depth > 0 {
		pad[depth] = park(depth-1, wg, block)
		return pad[depth]
	}
	wg.Done()
	<-block
	return pad[0]
}

func main() {
	truthPath := flag.String("truth", "", "where the truth command writes its JSON")
	gcs := flag.Int("gcs", 300, "collections before ready")
	liveMiB := flag.Int("live", 64, "MiB of live heap held (pointer-free, cheap to mark)")
	goroutines := flag.Int("goroutines", 200, "goroutines parked")
	cMiB := flag.Int("cmalloc", 48, "MiB of C malloc held, touched (cgo builds only)")
	flag.Parse()

	for i := 0; i < *liveMiB; i++ {
		live = append(live, make([]byte, 1<<20))
		for j := range live[i] {
			live[i][j] = byte(j)
		}
	}
	index = make(map[int]*[64]byte)
	for i := 0; i < 20000; i++ {
		index[i] = new([64]byte)
	}
	cMalloc(*cMiB)
	var wg sync.WaitGroup
	block := make(chan struct{})
	for i := 0; i < *goroutines; i++ {
		wg.Add(1)
		go park(8, &wg, block)
	}
	wg.Wait()
	collect(*gcs)

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGUSR1)
	go func() {
		for range sig {
			if *truthPath != "" {
				fixture.WriteTruth(*truthPath, read())
			}
		}
	}()
	fmt.Println("ready")
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		f := strings.Fields(in.Text())
		switch {
		case len(f) == 1 && f[0] == "truth":
			fixture.WriteTruth(*truthPath, read())
			fmt.Println("truth")
		case len(f) == 2 && f[0] == "gc":
			n, _ := strconv.Atoi(f[1])
			collect(n)
			fmt.Println("gc done")
		case len(f) == 2 && f[0] == "release":
			n, _ := strconv.Atoi(f[1])
			release(n)
			fmt.Println("released")
		case len(f) == 2 && f[0] == "pmadvise":
			n, _ := strconv.Atoi(f[1])
			fmt.Println("pmadvise", processMadvise(n<<20))
		case len(f) == 1 && f[0] == "exit":
			os.Exit(0)
		}
	}
	// stdin closed: stay, as a service would, until killed
	select {}
}

// processMadvise maps and touches n bytes and releases them with
// process_madvise(pidfd of itself, [iovec], 1, MADV_DONTNEED, 0), as
// golang/go#80389 proposes the scavenger do: the bytes the kernel advised,
// or -errno.
func processMadvise(n int) int64 {
	const sysPidfdOpen, sysProcessMadvise, madvDontneed = 434, 440, 4
	b, err := syscall.Mmap(-1, 0, n, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		return -1
	}
	defer syscall.Munmap(b)
	for i := 0; i < n; i += 4096 {
		b[i] = 1
	}
	fd, _, e := syscall.Syscall(sysPidfdOpen, uintptr(os.Getpid()), 0, 0)
	if e != 0 {
		return -int64(e)
	}
	defer syscall.Close(int(fd))
	iov := syscall.Iovec{Base: &b[0]}
	iov.SetLen(n)
	r, _, e := syscall.Syscall6(sysProcessMadvise, fd, uintptr(unsafe.Pointer(&iov)), 1, madvDontneed, 0, 0)
	if e != 0 {
		return -int64(e)
	}
	return int64(r)
}
