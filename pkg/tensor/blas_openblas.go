//go:build openblas && !blis

package tensor

/*
#cgo LDFLAGS: -lopenblas
char* openblas_get_corename(void);
char* openblas_get_config(void);
void openblas_set_num_threads(int);
void cblas_sgemm(int order, int transA, int transB, int m, int n, int k, float alpha,
		const float *a, int lda, const float *b, int ldb, float beta, float *c, int ldc);

// fastgo_lib_sgemm is blas_split.go's one-thread product (row-major).
void fastgo_lib_sgemm(int tA, int tB, int m, int n, int k, float alpha,
		const float *a, int lda, const float *b, int ldb, float beta, float *c, int ldc) {
	cblas_sgemm(101, tA ? 112 : 111, tB ? 112 : 111, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}
*/
import "C"

import "fmt"

// With -tags openblas, OpenBLAS is the only native library: cblas_sgemm
// for the products (fastgo_lib_sgemm above, called by blas_split.go), and
// gonum's CBLAS binding for the vector operations. Its thread count is one process-wide setting
// (0.3.21 has no per-call count), so it is set to one here, once, and never
// changed: blas_cgo.go splits large products over goroutines instead.
// Debian builds OpenBLAS with its pthread server, which also compiles its
// locking in (USE_THREAD=1), so one-thread calls from several goroutines
// may run at once.
func init() { C.openblas_set_num_threads(1) }

// libDescribe names OpenBLAS and the CPU core its kernels were chosen for. A
// core of "Prescott" on a recent CPU means OpenBLAS did not recognise it:
// set OPENBLAS_CORETYPE (SkylakeX or Haswell) before the process starts.
func libDescribe() string {
	return fmt.Sprintf("OpenBLAS (core %s; %s)", C.GoString(C.openblas_get_corename()), C.GoString(C.openblas_get_config()))
}
