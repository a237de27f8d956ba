//go:build openblas || blis

package tensor

import (
	"fmt"
	"runtime"
	"sync/atomic"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/netlib/blas/netlib"
)

// A native BLAS (BLIS with -tags blis, OpenBLAS with -tags openblas), one
// library per build, serves gonum's blas32 interface through
// gonum.org/v1/netlib's CBLAS binding; the library's own file
// (blas_blis.go, blas_openblas.go) links it and provides libDescribe and,
// in C, fastgo_lib_sgemm (a one-thread product, called by blas_split.go).
func init() {
	blas32.Use(netlib.Implementation{})
	SetBLASThreads(runtime.NumCPU())
}

// Threads per product, decided here and nowhere else. The library itself
// always runs on one thread (set once at start-up, see the library's
// file); a large product is split by this package into blocks of its
// result, each a one-thread library call, computed by the caller and the
// helper threads of blas_split.go (or, while another product holds them,
// by goroutines). So no call changes a process-wide setting, products in
// different goroutines run at once, and a busy machine costs a split
// product at most its one-thread time, not a spinning barrier inside the
// library: with the libraries' own threads (OpenMP for Debian's BLIS,
// OpenBLAS's pthread server) the batch-512 epoch took 0.8 s on a quiet
// machine but 2-40 s while other jobs kept both cores busy.
//
// The split depends on the product's shape only (never on timing), and
// each block is the same one-thread kernel over the same k, so runs with
// the same seed stay bit-identical. Products with at least threadedMinWork
// multiply-adds and both result sides at least threadedMinSide are split
// over every thread, smaller ones run whole: the lesson's batch-64 step
// took 250-380 µs with its 2.5M-multiply-add products on one thread and
// 540-570 µs on two under load, while the batch-512 products (400M) run
// nearly twice as fast on two.
//
// Products that stream a large operand are split from streamMinWork on,
// whatever their shape: the batch-512 model's three products with a side
// of 10 (5.1M multiply-adds over the 512×1000 hidden layer, 0.53M values
// in all) spend their time reading or writing that layer, and split they
// made the epoch 0.83-0.92 s (median 0.87) against 0.87-0.97 s (0.92), 5
// interleaved runs on this 2-core Xeon. Lesson 9's third convolution
// (4.7M multiply-adds over 0.18M values) is not split: it made the CNN's
// epoch 5% slower.
var blasMaxThreads atomic.Int32

// The thresholds are variables only so that benchmarks can compare.
var (
	threadedMinWork = 8 << 20
	threadedMinSide = 32
	streamMinWork   = 4 << 20
	streamMinValues = 1 << 18 // of A, B and C together
)

// splitHelpers is false only in tests that compare the helper threads'
// split with the goroutines'.
var splitHelpers = true

// splitAlign keeps the blocks of a split product a multiple of the
// kernels' register tiles (16 rows for OpenBLAS's SkylakeX sgemm, 6 or 16
// for BLIS's zen3 and haswell ones).
const splitAlign = 48

// gemmThreads returns the thread count for an m×n result with inner size k.
func gemmThreads(m, n, k int) int {
	work, values := m*n*k, m*k+k*n+m*n
	if work >= threadedMinWork && min(m, n) >= threadedMinSide ||
		work >= streamMinWork && values >= streamMinValues {
		return int(blasMaxThreads.Load())
	}
	return 1
}

// blasSgemm is Sgemm through the native BLAS: whole on the calling
// goroutine, or split along the longer side of C into gemmThreads blocks
// computed at once (by splitSgemm's threads, else by goroutines).
func blasSgemm(tA, tB blas.Transpose, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	p := gemmThreads(m, n, k)
	side := max(m, n)
	chunk := (side + p - 1) / p
	chunk = (chunk + splitAlign - 1) / splitAlign * splitAlign
	if p < 2 || chunk >= side {
		sgemmBlock(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, true, 0, m)
		return
	}
	byRows := m >= n
	if splitHelpers && splitSgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, (side+chunk-1)/chunk, chunk, byRows) {
		return
	}
	runChunks(side, chunk, func(lo, hi int) {
		sgemmBlock(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, byRows, lo, hi)
	})
}

// BLASInfo names the BLAS implementation behind MatMul and Linear: the
// library, the kernels it chose for this CPU and the threads it may use.
func BLASInfo() string {
	return fmt.Sprintf("%s, %d threads for products of at least %d multiply-adds (%d over at least %d values), 1 below",
		libDescribe(), blasMaxThreads.Load(), threadedMinWork, streamMinWork, streamMinValues)
}

// SetBLASThreads sets the largest number of goroutines a matrix product is
// split over (large products use all of them, see gemmThreads); the
// default is the number of CPUs. One thread makes results independent of
// the setting entirely and suits a machine busy with other work. It may be
// called at any time, also while products run in other goroutines.
func SetBLASThreads(n int) { blasMaxThreads.Store(int32(max(n, 1))) }
