// holders keeps maps the ways servers do, each emptied by delete (so that
// it retains its table) and held by something other than a global map
// variable: a struct field behind a global pointer, a field of a slice
// element, the value of another map, a goroutine's local variable (one whose
// header is on the heap, one the compiler keeps on the goroutine's stack),
// an interface; beside them a bounded cache that churns (its table is what
// its bound needs, not a leak), and, with -inline-after, a map grown
// through an inlined method while traced. It writes one JSON line of ground
// truth (each map's header address, goroutine ids, sizes) to -truth FILE
// once the maps are in place, then waits.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync"
	"time"
	"unsafe"

	"heaptrace/tests/targets/internal/fixture"
)

type entry struct{ id, hits uint64 }

type registry struct {
	name string
	mu   sync.Mutex
	byID map[uint64]*entry
}

type shard struct {
	n   int
	idx map[string]int
}

type item struct{ v [4]uint64 }

// lru is a bounded cache: past its bound every insert evicts the oldest key.
type lru struct {
	bound int
	m     map[string]*item
	order []string
}

type store struct{ m map[string]*item }

// put is small enough to inline: a growth under it is named by the inline
// tree at this line.
func (s *store) put(k string, v *item) {
	s.m[k] = v // INLINE-SITE
}

//go:noinline
func growInlined(s *store, n int) {
	s.m = make(map[string]*item)
	for i := 0; i < n; i++ {
		s.put(strconv.Itoa(i), &item{}) // INLINE-CALLER
	}
}

var (
	reg    *registry
	shards []shard
	nested map[string]map[string]int
	boxed  any
	cache  *lru
	grown  store
	smalls []map[int64]int64
)

func fillEmpty[K comparable, V any](m map[K]V, n, keep int, key func(int) K, val func(int) V) {
	for i := 0; i < n; i++ {
		m[key(i)] = val(i)
	}
	for i := keep; i < n; i++ {
		delete(m, key(i))
	}
}

func goid() uint64 {
	b := make([]byte, 64)
	b = b[:runtime.Stack(b, false)]
	b = bytes.TrimPrefix(b, []byte("goroutine "))
	id, _ := strconv.ParseUint(string(b[:bytes.IndexByte(b, ' ')]), 10, 64)
	return id
}

type workerInfo struct {
	Addr string `json:"addr"`
	Goid uint64 `json:"goid"`
	Live int    `json:"live"`
}

// worker's map escapes (its address is printed), so its header is a heap
// object that only this goroutine's frame points at.
//
//go:noinline
func worker(n int, ready chan<- workerInfo, block <-chan struct{}) {
	local := make(map[int64]string)
	fillEmpty(local, n, 7, func(i int) int64 { return int64(i) }, func(i int) string { return "v" })
	ready <- workerInfo{fmt.Sprintf("%p", local), goid(), len(local)}
	<-block
	runtime.KeepAlive(local)
}

// stackWorker's map does not escape: the compiler puts its header in the
// goroutine's frame; only its table is on the heap.
//
//go:noinline
func stackWorker(n int, ready chan<- workerInfo, block <-chan struct{}) {
	local := make(map[int32]int32)
	for i := 0; i < n; i++ {
		local[int32(i)] = int32(i)
	}
	for i := 5; i < n; i++ {
		delete(local, int32(i))
	}
	addr := *(*uintptr)(unsafe.Pointer(&local))
	ready <- workerInfo{"0x" + strconv.FormatUint(uint64(addr), 16), goid(), len(local)}
	<-block
	runtime.KeepAlive(local)
}

// churn keeps the cache at its bound: one insert and one eviction at a time.
func churn(c *lru, mu *sync.Mutex) {
	for i := c.bound; ; i++ {
		mu.Lock()
		for k := 0; k < 200; k++ {
			key := "k" + strconv.Itoa(i*200+k)
			if len(c.m) >= c.bound { // evict first: never more than the bound
				delete(c.m, c.order[0])
				c.order = c.order[1:]
			}
			c.m[key] = &item{}
			c.order = append(c.order, key)
		}
		mu.Unlock()
		time.Sleep(20 * time.Millisecond)
	}
}

func addr(m any) string { return fmt.Sprintf("%p", m) }

type truth struct {
	Pid        int        `json:"pid"`
	RegByID    string     `json:"reg_byid"`
	RegLive    int        `json:"reg_live"`
	ShardIdx   string     `json:"shard_idx"`
	ShardLive  int        `json:"shard_live"`
	NestedHot  string     `json:"nested_hot"`
	NestedLive int        `json:"nested_live"`
	Boxed      string     `json:"boxed"`
	BoxedLive  int        `json:"boxed_live"`
	Worker     workerInfo `json:"worker"`
	Stack      workerInfo `json:"stack_worker"`
	Cache      string     `json:"cache"`
	CacheBound int        `json:"cache_bound"`
}

func main() {
	n := flag.Int("n", 100000, "entries each retained map grows to before all but a few are deleted")
	bound := flag.Int("cache", 4096, "the churning cache's bound")
	inlineAfter := flag.Duration("inline-after", 0, "grow a map through an inlined method after this delay (0: never)")
	inlineN := flag.Int("inline", 100000, "entries the inlined method grows its map to")
	smallAfter := flag.Duration("small-after", 0, "make -small small maps after this delay (0: never)")
	smallN := flag.Int("small", 2000, "small maps made after -small-after")
	truthPath := flag.String("truth", "", "write ground truth here (default stdout)")
	wait := flag.Duration("wait", time.Hour, "how long to stay alive afterwards")
	flag.Parse()

	str := func(i int) string { return "key-" + strconv.Itoa(i) }
	reg = &registry{name: "sessions", byID: make(map[uint64]*entry)}
	fillEmpty(reg.byID, *n, 10, func(i int) uint64 { return uint64(i) }, func(i int) *entry { return &entry{id: uint64(i)} })
	shards = make([]shard, 4)
	for i := range shards {
		shards[i].idx = make(map[string]int)
	}
	fillEmpty(shards[2].idx, *n, 20, str, func(i int) int { return i })
	nested = map[string]map[string]int{"hot": {}, "cold": {"a": 1}}
	fillEmpty(nested["hot"], *n, 30, str, func(i int) int { return i })
	b := make(map[uint32]float64)
	fillEmpty(b, *n, 40, func(i int) uint32 { return uint32(i) }, func(i int) float64 { return 1 })
	boxed = b

	cache = &lru{bound: *bound, m: make(map[string]*item)}
	var mu sync.Mutex
	for i := 0; i < *bound; i++ {
		key := "k" + strconv.Itoa(i)
		cache.m[key] = &item{}
		cache.order = append(cache.order, key)
	}
	go churn(cache, &mu)

	ready := make(chan workerInfo)
	block := make(chan struct{})
	go worker(*n, ready, block)
	w := <-ready
	go stackWorker(*n, ready, block)
	sw := <-ready
	runtime.GC()
	runtime.GC()

	t := truth{Pid: os.Getpid(), RegByID: addr(reg.byID), RegLive: len(reg.byID), ShardIdx: addr(shards[2].idx),
		ShardLive: len(shards[2].idx), NestedHot: addr(nested["hot"]), NestedLive: len(nested["hot"]),
		Boxed: addr(b), BoxedLive: len(b), Worker: w, Stack: sw, Cache: addr(cache.m), CacheBound: *bound}
	fixture.WriteTruth(*truthPath, t)
	if *smallAfter > 0 {
		time.Sleep(*smallAfter)
		for i := 0; i < *smallN; i++ {
			m := make(map[int64]int64)
			for k := 0; k < 6; k++ {
				m[int64(k)] = int64(k)
			}
			smalls = append(smalls, m)
		}
		runtime.GC()
		if *truthPath != "" {
			os.WriteFile(*truthPath+".small", []byte(fmt.Sprintf("%d\n", len(smalls))), 0o644)
		}
	}
	if *inlineAfter > 0 {
		time.Sleep(*inlineAfter)
		growInlined(&grown, *inlineN)
		for i := 10; i < *inlineN; i++ {
			delete(grown.m, strconv.Itoa(i))
		}
		if *truthPath != "" {
			os.WriteFile(*truthPath+".inlined", []byte(addr(grown.m)+"\n"), 0o644)
		}
	}
	time.Sleep(*wait)
	close(block)
	runtime.KeepAlive(reg)
	runtime.KeepAlive(boxed)
}
