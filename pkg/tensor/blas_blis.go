//go:build blis

package tensor

/*
#cgo LDFLAGS: -lblis
#include <blis.h>

// sgemm is bli_sgemm on one thread, whatever BLIS_NUM_THREADS or
// OMP_NUM_THREADS say: the runtime object is this call's own, so nothing
// is shared with concurrent products.
static void sgemm(dim_t m, dim_t n, dim_t k, float alpha,
		const float *a, inc_t rsa, inc_t csa, const float *b, inc_t rsb, inc_t csb,
		float beta, float *c, inc_t rsc) {
	rntm_t rntm = BLIS_RNTM_INITIALIZER;
	bli_rntm_set_num_threads(1, &rntm);
	bli_sgemm_ex(BLIS_NO_TRANSPOSE, BLIS_NO_TRANSPOSE, m, n, k, &alpha,
		(float *)a, rsa, csa, (float *)b, rsb, csb, &beta, c, rsc, 1, NULL, &rntm);
}

// fastgo_lib_sgemm is blas_split.go's one-thread product (row-major).
void fastgo_lib_sgemm(int tA, int tB, int m, int n, int k, float alpha,
		const float *a, int lda, const float *b, int ldb, float beta, float *c, int ldc) {
	sgemm(m, n, k, alpha, a, tA ? 1 : lda, tA ? lda : 1, b, tB ? 1 : ldb, tB ? ldb : 1, beta, c, ldc);
}
*/
import "C"

import (
	"fmt"
	"unsafe"

	"gonum.org/v1/gonum/blas"
)

// With -tags blis, BLIS is the only native library: its own API for
// matrix products, each on one thread (blas_cgo.go splits large ones over
// goroutines), and its CBLAS layer for the vector operations, through
// gonum's binding.

// libDescribe names BLIS and the kernels it chose for this CPU.
func libDescribe() string {
	return fmt.Sprintf("BLIS %s (kernels %s)",
		C.GoString(C.bli_info_get_version_str()), C.GoString(C.bli_arch_string(C.bli_arch_query_id())))
}

// libSgemm computes the product with bli_sgemm on one thread. BLIS takes
// a row and a column stride per operand, so a row-major matrix is (rs =
// ld, cs = 1) and its transpose (rs = 1, cs = ld): no transposition flags
// are needed.
func libSgemm(tA, tB blas.Transpose, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	strides := func(t blas.Transpose, ld int) (C.inc_t, C.inc_t) {
		if t == blas.NoTrans {
			return C.inc_t(ld), 1
		}
		return 1, C.inc_t(ld)
	}
	rsa, csa := strides(tA, lda)
	rsb, csb := strides(tB, ldb)
	C.sgemm(C.dim_t(m), C.dim_t(n), C.dim_t(k), C.float(alpha),
		(*C.float)(unsafe.Pointer(&a[0])), rsa, csa, (*C.float)(unsafe.Pointer(&b[0])), rsb, csb,
		C.float(beta), (*C.float)(unsafe.Pointer(&c[0])), C.inc_t(ldc))
}
