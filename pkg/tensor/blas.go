//go:build !openblas

package tensor

// BLASInfo names the BLAS implementation behind MatMul and Linear.
func BLASInfo() string {
	return "gonum pure-Go BLAS (build with -tags openblas for OpenBLAS)"
}

// SetBLASThreads sets the number of threads of the BLAS library; the pure-Go
// implementation has no such setting and ignores it.
func SetBLASThreads(n int) {}

// gemmThreads has nothing to tune in the pure-Go BLAS.
func gemmThreads(work int) {}
