//go:build blis

package tensor

/*
#cgo LDFLAGS: -lblis
#include <blis.h>

// fastgo_lib_sgemm is blas_split.go's one-thread product (row-major):
// bli_sgemm on one thread, whatever BLIS_NUM_THREADS or OMP_NUM_THREADS
// say, since the runtime object is this call's own and nothing is shared
// with concurrent products. BLIS takes a row and a column stride per
// operand, so a row-major matrix is (rs = ld, cs = 1) and its transpose
// (rs = 1, cs = ld): no transposition flags are needed.
void fastgo_lib_sgemm(int tA, int tB, int m, int n, int k, float alpha,
		const float *a, int lda, const float *b, int ldb, float beta, float *c, int ldc) {
	rntm_t rntm = BLIS_RNTM_INITIALIZER;
	bli_rntm_set_num_threads(1, &rntm);
	bli_sgemm_ex(BLIS_NO_TRANSPOSE, BLIS_NO_TRANSPOSE, m, n, k, &alpha,
		(float *)a, tA ? 1 : lda, tA ? lda : 1, (float *)b, tB ? 1 : ldb, tB ? ldb : 1,
		&beta, c, ldc, 1, NULL, &rntm);
}
*/
import "C"

import "fmt"

// With -tags blis, BLIS is the only native library: its own API for
// matrix products, each on one thread (blas_cgo.go splits large ones), and
// its CBLAS layer for the vector operations, through gonum's binding.

// libDescribe names BLIS and the kernels it chose for this CPU.
func libDescribe() string {
	return fmt.Sprintf("BLIS %s (kernels %s)",
		C.GoString(C.bli_info_get_version_str()), C.GoString(C.bli_arch_string(C.bli_arch_query_id())))
}
