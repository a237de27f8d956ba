//go:build !openblas && !blis

package tensor

import (
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
)

// BLASInfo names the BLAS implementation behind MatMul and Linear.
func BLASInfo() string {
	return "gonum pure-Go BLAS (build with -tags blis or -tags openblas for a native BLAS)"
}

// SetBLASThreads sets the number of threads of the BLAS library; the pure-Go
// implementation has no such setting and ignores it.
func SetBLASThreads(n int) {}

// blasSgemm calls gonum's pure-Go Sgemm (which spreads large products over
// goroutines itself).
func blasSgemm(tA, tB blas.Transpose, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	blas32.Implementation().Sgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// pairSgemm reports false: without helper threads, sgemmPair computes its
// products one after the other.
func pairSgemm(x, y *gemm) bool { return false }
