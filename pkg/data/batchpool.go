package data

import (
	"runtime"
	"sync"
	"unsafe"
)

// batchPool recycles the storage of batches that nobody holds any more, and
// only those: the garbage collector is what proves it.
//
// Why: the MNIST pixels are mapped from the cache file, not on Go's heap, so
// the live heap of the lesson's loop (784-50-10, batch 64) is a few MB and
// Go collects every ~4 MB allocated. Measured on a 2-core EPYC (bench/mlp,
// 6 epochs, best epoch of each run, 5 interleaved runs on a busy machine):
// batches overwritten in place (no longer done: a held batch changed)
// 0.134-0.139 s per epoch and ~65 collections per 5-epoch run
// (GODEBUG=gctrace=1); a fresh allocation per batch 0.182-0.235 s and ~275
// collections; fresh batches from this pool 0.158-0.163 s and ~90
// collections, for 15 MB more peak memory.
//
// How: get sets a finalizer on the storage it hands out. The runtime calls it
// only once no tensor, view, gradient graph or slice refers to any part of
// that storage; the finalizer puts the storage back (resurrecting it, which
// finalizers may do) and a later batch is gathered into it. A batch that is
// held is never touched.
type batchPool struct {
	mu    sync.Mutex
	free  [][]float32
	bytes int // of the storages in free
}

const (
	// minPooled is the smallest storage, in elements, worth recycling:
	// smaller batches are cheap to allocate, and the runtime may never
	// finalize objects below 16 bytes.
	minPooled = 1 << 10
	// The pool keeps storages while they hold at most maxPooledBytes in
	// all, and at least minPooledN; the rest are left to the garbage
	// collector. The pool is live heap, which delays the next collection
	// and so lets more batches be allocated before storage comes back:
	// 16 batches of the lesson's (3 MB) recovered most of the cost, 320
	// (64 MB) made collections rarer still but doubled the process's
	// memory without saving time. 12 MB (61 of the lesson's batches) took
	// its loop from 50 to 19 collections per two epochs and its epoch from
	// 0.140-0.151 s to 0.129-0.149 s (2-6%, 5 interleaved runs on this
	// 2-core Xeon), for 30 MB more peak memory; the batch-512 loop keeps 7
	// of its 1.6 MB batches instead of 16, as fast and 10-15 MB smaller.
	minPooledN     = 4
	maxPooledBytes = 12 << 20
)

// get returns storage for n float32s, recycled when the pool has some. Its
// values are arbitrary: the caller overwrites all of them.
func (p *batchPool) get(n int) []float32 {
	if n < minPooled {
		return make([]float32, n)
	}
	var buf []float32
	p.mu.Lock()
	for i := len(p.free) - 1; i >= 0; i-- { // the latest first: the likeliest still in cache
		if cap(p.free[i]) >= n {
			buf = p.free[i]
			p.free = append(p.free[:i], p.free[i+1:]...)
			p.bytes -= 4 * cap(buf)
			break
		}
	}
	p.mu.Unlock()
	if buf == nil {
		buf = make([]float32, n)
	}
	c := cap(buf) // the finalizer must not refer to buf, or buf never becomes unreachable
	runtime.SetFinalizer(&buf[:1][0], func(first *float32) { p.put(unsafe.Slice(first, c)) })
	return buf[:n]
}

// put returns storage that nobody refers to any more.
func (p *batchPool) put(buf []float32) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if size := 4 * cap(buf); len(p.free) < minPooledN || p.bytes+size <= maxPooledBytes {
		p.free = append(p.free, buf)
		p.bytes += size
	}
}
