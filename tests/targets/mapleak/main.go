// mapleak grows a map to -n entries, deletes all but -keep of them and keeps
// it alive beside a healthy map, so that heaptrace can be checked against the
// runtime's own measurements. It prints one JSON line of ground truth to
// -truth FILE (or stdout) when the maps are in place, then waits.
//
// With -grow-after D it grows a third map D after start-up, in growLater,
// so a tracer attached before that sees the growth and its call site.
// With -drop-after D it drops the healthy map D after start-up and collects
// it, so a tracer attached before that sees a map freed.
//
// The three maps of the maps report's check (each off by default):
// -emptied N grows a map[uint64]record (no pointers: its span records no
// type) to N entries and deletes all but -emptied-keep before the truth is
// written; -buffer N keeps a working buffer refilled with N entries every
// -buffer-period and emptied half a period later; -inline-after D grows a
// map D after start-up through (*store).put, a method the compiler inlines,
// to -inline entries, then deletes all but 10 of them.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"runtime/metrics"
	"strconv"
	"syscall"
	"time"

	"heaptrace/tests/targets/internal/fixture"
)

// Globals, so that a symbol table names them.
var (
	leaky   map[int64]int64
	healthy map[int64]int64
	later   map[int64]int64
	// many small maps for the heap-walk benchmark
	small []map[int64]int64
	// the maps report's three maps
	emptied map[uint64]record
	buffer  map[int32]int32
	grown   store
)

// record holds no pointers: neither does the emptied map's table.
type record struct{ a, b, c uint64 }

type item struct{ n int }

type store struct{ m map[string]*item }

// put is small enough to inline (check: go build -gcflags=-m says
// "inlining call to (*store).put" in growInlined): a growth under it is
// named by the inline tree, at this line.
func (s *store) put(k string, v *item) {
	s.m[k] = v // INLINE-SITE
}

//go:noinline
func growInlined(s *store, n int) {
	s.m = make(map[string]*item)
	for i := 0; i < n; i++ {
		s.put(strconv.Itoa(i), &item{i}) // INLINE-CALLER
	}
}

// refill is a working buffer: filled, then emptied, every period.
func refill(n int, period time.Duration) {
	for {
		for i := 0; i < n; i++ {
			buffer[int32(i)] = int32(i)
		}
		time.Sleep(period / 2)
		for i := 0; i < n; i++ {
			delete(buffer, int32(i))
		}
		time.Sleep(period / 2)
	}
}

type truth struct {
	Pid              int     `json:"pid"`
	LeakyFullBytes   uint64  `json:"leaky_full_bytes"`
	LeakyLive        int     `json:"leaky_live"`
	HealthyFullBytes uint64  `json:"healthy_full_bytes"`
	HealthyLive      int     `json:"healthy_live"`
	SmallMaps        int     `json:"small_maps"`
	HeapAllocBytes   uint64  `json:"heap_alloc_bytes"`
	LaterLive        int     `json:"later_live"`
	FillSeconds      float64 `json:"fill_seconds"`
	EmptiedLive      int     `json:"emptied_live"`
	EmptiedFull      int     `json:"emptied_full"`
	BufferEntries    int     `json:"buffer_entries"`
}

func heapAlloc() uint64 {
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

//go:noinline
func fill(m map[int64]int64, n int) {
	for i := 0; i < n; i++ {
		m[int64(i)] = int64(i)
	}
}

// growLater's map assignment is on the line that growLine returns.
//
//go:noinline
func growLater(n int) {
	later = make(map[int64]int64)
	for i := 0; i < n; i++ {
		later[int64(i)] = int64(i) // GROW-SITE
	}
}

// writeMetrics writes the runtime's page accounting to path, atomically.
func writeMetrics(path string) {
	s := []metrics.Sample{{Name: "/memory/classes/heap/free:bytes"},
		{Name: "/memory/classes/heap/released:bytes"}}
	metrics.Read(s)
	b, _ := json.Marshal(map[string]uint64{"free_bytes": s[0].Value.Uint64(),
		"released_bytes": s[1].Value.Uint64()})
	os.WriteFile(path+".tmp", b, 0o644)
	os.Rename(path+".tmp", path)
}

func main() {
	n := flag.Int("n", 1000000, "entries the leaky map grows to")
	keep := flag.Int("keep", 10, "entries left in the leaky map")
	healthyN := flag.Int("healthy", 50000, "entries in the healthy map")
	smallN := flag.Int("small", 0, "small maps to allocate (heap-walk benchmark)")
	smallEntries := flag.Int("small-entries", 64, "entries per small map")
	growAfter := flag.Duration("grow-after", 0, "grow a third map after this delay (0: never)")
	dropAfter := flag.Duration("drop-after", 0, "drop the healthy map after this delay (0: never)")
	laterN := flag.Int("later", 200000, "entries in the map grown after start-up")
	emptiedN := flag.Int("emptied", 0, "entries a map[uint64]record grows to before all but -emptied-keep are deleted (0: none)")
	emptiedKeep := flag.Int("emptied-keep", 10, "entries left in the emptied map")
	bufferN := flag.Int("buffer", 0, "entries of a working buffer refilled every -buffer-period (0: none)")
	bufferPeriod := flag.Duration("buffer-period", time.Second, "how often the working buffer is refilled")
	inlineAfter := flag.Duration("inline-after", 0, "grow a map through an inlined method after this delay (0: never)")
	inlineN := flag.Int("inline", 100000, "entries the inlined method grows its map to")
	truthPath := flag.String("truth", "", "write ground truth here (default stdout)")
	wait := flag.Duration("wait", time.Hour, "how long to stay alive afterwards")
	flag.Parse()

	start := time.Now()
	before := heapAlloc()
	leaky = make(map[int64]int64)
	fill(leaky, *n)
	leakyFull := heapAlloc() - before
	for i := *keep; i < *n; i++ {
		delete(leaky, int64(i))
	}
	before = heapAlloc()
	healthy = make(map[int64]int64)
	fill(healthy, *healthyN)
	healthyFull := heapAlloc() - before
	if *emptiedN > 0 {
		emptied = make(map[uint64]record)
		for i := 0; i < *emptiedN; i++ {
			emptied[uint64(i)] = record{uint64(i), 0, 0}
		}
		for i := *emptiedKeep; i < *emptiedN; i++ {
			delete(emptied, uint64(i))
		}
	}
	if *bufferN > 0 {
		buffer = make(map[int32]int32)
		for i := 0; i < *bufferN; i++ {
			buffer[int32(i)] = int32(i)
		}
		go refill(*bufferN, *bufferPeriod)
	}
	for i := 0; i < *smallN; i++ {
		m := make(map[int64]int64)
		fill(m, *smallEntries)
		small = append(small, m)
	}
	runtime.GC()
	t := truth{Pid: os.Getpid(), LeakyFullBytes: leakyFull, LeakyLive: len(leaky),
		HealthyFullBytes: healthyFull, HealthyLive: len(healthy), SmallMaps: len(small),
		HeapAllocBytes: heapAlloc(), FillSeconds: time.Since(start).Seconds(),
		EmptiedLive: len(emptied), EmptiedFull: *emptiedN, BufferEntries: *bufferN}
	fixture.WriteTruth(*truthPath, t)
	// SIGUSR1: write the runtime's page accounting to TRUTH.metrics now,
	// so that a test can compare it with what heaptrace read just before.
	if *truthPath != "" {
		usr1 := make(chan os.Signal, 1)
		signal.Notify(usr1, syscall.SIGUSR1)
		go func() {
			for range usr1 {
				writeMetrics(*truthPath + ".metrics")
			}
		}()
	}
	if *growAfter > 0 {
		time.Sleep(*growAfter)
		growLater(*laterN)
		if *truthPath != "" {
			os.WriteFile(*truthPath+".grown", []byte(fmt.Sprintf("%d\n", len(later))), 0o644)
		}
	}
	if *inlineAfter > 0 {
		time.Sleep(*inlineAfter)
		growInlined(&grown, *inlineN)
		for i := 10; i < *inlineN; i++ {
			delete(grown.m, strconv.Itoa(i))
		}
		if *truthPath != "" {
			os.WriteFile(*truthPath+".inlined", []byte(fmt.Sprintf("%d\n", len(grown.m))), 0o644)
		}
	}
	if *dropAfter > 0 {
		time.Sleep(*dropAfter)
		healthy = nil
		runtime.GC() // a full cycle sweeps: the header's alloc bit is clear
		if *truthPath != "" {
			os.WriteFile(*truthPath+".dropped", []byte("1\n"), 0o644)
		}
	}
	time.Sleep(*wait)
	runtime.KeepAlive(leaky)
	runtime.KeepAlive(healthy)
	runtime.KeepAlive(later)
	runtime.KeepAlive(emptied)
	runtime.KeepAlive(grown.m)
}
