//go:build openblas || blis

package tensor

import (
	"fmt"
	"sync"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/netlib/blas/netlib"
)

// A native BLAS (BLIS with -tags blis, OpenBLAS with -tags openblas) serves
// gonum's blas32 interface through gonum.org/v1/netlib's CBLAS binding; the
// library's own file (blas_blis.go, blas_openblas.go) links it and provides
// libThreads, libSetThreads, libDescribe and libSgemm.
func init() {
	blas32.Use(netlib.Implementation{})
	blasMaxThreads = max(libThreads(), 1)
	libSetThreads(blasMaxThreads)
	blasCurThreads = blasMaxThreads
}

// Thread count per product. A threaded kernel splits the work differently
// from the single-threaded one, so the same product can differ in the last
// bits between one and two threads; the count is therefore a fixed function
// of the product's shape (never of timing), which keeps runs with the same
// seed bit-identical. Products with at least threadedMinWork multiply-adds
// and both result sides at least threadedMinSide use every thread, smaller
// ones one. Measured here with OpenBLAS and other jobs running
// (BenchmarkMLPStepThreads): the lesson's batch-64 step took 250-380 µs
// with its 2.5M-multiply-add products on one thread and 540-570 µs on two,
// whose spinning also tripled its CPU time; on an idle machine two threads
// gain 20-35% on them. The batch-512 products (400M) run twice as fast on
// two threads, with either library.
var (
	blasMu         sync.Mutex
	blasMaxThreads int
	blasCurThreads int
)

// The thresholds are variables only so that benchmarks can compare.
var (
	threadedMinWork = 8 << 20
	threadedMinSide = 32
)

// gemmThreads returns the thread count for an m×n result with inner size k.
func gemmThreads(m, n, k int) int {
	if m*n*k >= threadedMinWork && min(m, n) >= threadedMinSide {
		return blasMaxThreads
	}
	return 1
}

// blasSgemm is Sgemm through the native BLAS with the thread count chosen
// by gemmThreads.
func blasSgemm(tA, tB blas.Transpose, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	blasMu.Lock()
	defer blasMu.Unlock()
	if want := gemmThreads(m, n, k); want != blasCurThreads {
		libSetThreads(want)
		blasCurThreads = want
	}
	libSgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// BLASInfo names the BLAS implementation behind MatMul and Linear: the
// library, the kernels it chose for this CPU and the threads it may use.
func BLASInfo() string {
	blasMu.Lock()
	defer blasMu.Unlock()
	return fmt.Sprintf("%s, %d threads for products of at least %d multiply-adds, 1 below",
		libDescribe(), blasMaxThreads, threadedMinWork)
}

// SetBLASThreads sets the largest number of threads the BLAS library uses
// (large products use all of them). One thread makes results independent of
// scheduling entirely and suits a machine busy with other work.
func SetBLASThreads(n int) {
	blasMu.Lock()
	defer blasMu.Unlock()
	blasMaxThreads = max(n, 1)
	libSetThreads(blasMaxThreads)
	blasCurThreads = blasMaxThreads
}
