package tensor

import (
	"runtime"
	"sync"
)

// parallelMin is the number of elements from which an elementwise loop is
// split across the cores: below it, starting goroutines costs more than
// the loop (the lesson's batch-64 activations are 3,200 elements; the
// batch-512 hidden layer is 512,000).
const parallelMin = 1 << 17

// parallelFor runs body over [0, n) in contiguous chunks, on several
// goroutines when n is large, and returns when all are done. body must
// only touch its own chunk of any output.
func parallelFor(n int, body func(lo, hi int)) { parallelItems(n, 1, body) }

// parallelItems is parallelFor for n items of size elements each (rows of
// a matrix): the split depends on the total number of elements.
func parallelItems(n, size int, body func(lo, hi int)) {
	p := runtime.GOMAXPROCS(0)
	total := n * size
	if total < parallelMin || p < 2 || n < 2 {
		body(0, n)
		return
	}
	p = min(p, total/(parallelMin/2), n)
	chunk := (n + p - 1) / p
	if size == 1 {
		chunk = (chunk + 15) &^ 15 // keep chunks on separate cache lines
	}
	runChunks(n, chunk, body)
}

// runChunks runs body over [0, n) in chunks of chunk, the first on the
// calling goroutine and each other one on a goroutine of its own, and
// returns when all are done.
func runChunks(n, chunk int, body func(lo, hi int)) {
	var wg sync.WaitGroup
	for lo := chunk; lo < n; lo += chunk {
		wg.Add(1)
		go func(lo, hi int) {
			defer wg.Done()
			body(lo, hi)
		}(lo, min(lo+chunk, n))
	}
	body(0, min(chunk, n))
	wg.Wait()
}
