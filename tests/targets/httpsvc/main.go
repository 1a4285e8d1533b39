// httpsvc: a small HTTP service for the safety tests. GET /work?n=N builds a
// map of N entries, allocates, and answers with a checksum the client can
// verify; the service prints "listening ADDR" once it accepts connections.
package main

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
)

func work(n int) uint64 {
	m := make(map[int]string, 0)
	for i := 0; i < n; i++ {
		m[i] = strconv.Itoa(i * 7)
	}
	var sum uint64
	for k, v := range m {
		sum += uint64(k) + uint64(len(v))
		delete(m, k)
	}
	return sum
}

func main() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	http.HandleFunc("/work", func(w http.ResponseWriter, r *http.Request) {
		n, err := strconv.Atoi(r.URL.Query().Get("n"))
		if err != nil || n < 0 || n > 1000000 {
			http.Error(w, "bad n", http.StatusBadRequest)
			return
		}
		fmt.Fprintf(w, "%d\n", work(n))
	})
	fmt.Printf("listening %s\n", ln.Addr())
	os.Stdout.Sync()
	if err := http.Serve(ln, nil); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
