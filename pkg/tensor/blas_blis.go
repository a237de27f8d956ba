//go:build blis

package tensor

/*
#cgo LDFLAGS: -lopenblas -lblis
#include <blis.h>
char* openblas_get_corename(void);
void openblas_set_num_threads(int);
*/
import "C"

import (
	"fmt"
	"os"
	"runtime"
	"unsafe"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
)

// With -tags blis two libraries serve the package. BLIS computes the
// products of at least blisMinWork multiply-adds, through its own API: its
// kernels do the lessons' layer products 12-15% faster than Debian's
// OpenBLAS on this CPU. OpenBLAS serves everything else through gonum's
// CBLAS binding (its cblas_* symbols come first: -lopenblas is linked before
// -lblis, which also exports them): BLIS spends about 2 µs setting up each
// call, more than the 64×10 products of the lessons' second layer take on
// OpenBLAS (1 µs). OpenBLAS runs on one thread; BLIS's threads follow the
// shape policy of blas_cgo.go.
const blisMinWork = 256 << 10

func init() { C.openblas_set_num_threads(1) }

// libThreads is the CPUs, unless BLIS_NUM_THREADS or OMP_NUM_THREADS says
// otherwise (BLIS itself defaults to one thread).
func libThreads() int {
	if os.Getenv("BLIS_NUM_THREADS") != "" || os.Getenv("OMP_NUM_THREADS") != "" {
		return int(C.bli_thread_get_num_threads())
	}
	return runtime.NumCPU()
}

func libSetThreads(n int) { C.bli_thread_set_num_threads(C.dim_t(n)) }

// libDescribe names both libraries and what each computes.
func libDescribe() string {
	return fmt.Sprintf("BLIS %s (kernels %s) for products of at least %d multiply-adds, OpenBLAS (core %s) for the rest",
		C.GoString(C.bli_info_get_version_str()), C.GoString(C.bli_arch_string(C.bli_arch_query_id())),
		blisMinWork, C.GoString(C.openblas_get_corename()))
}

// libSgemm computes a large product with bli_sgemm and a small one with
// OpenBLAS's cblas_sgemm (through gonum's binding). BLIS takes a row and a
// column stride per operand, so a row-major matrix is (rs = ld, cs = 1) and
// its transpose (rs = 1, cs = ld): no transposition flags are needed.
func libSgemm(tA, tB blas.Transpose, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if m*n*k < blisMinWork {
		blas32.Implementation().Sgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	strides := func(t blas.Transpose, ld int) (C.inc_t, C.inc_t) {
		if t == blas.NoTrans {
			return C.inc_t(ld), 1
		}
		return 1, C.inc_t(ld)
	}
	rsa, csa := strides(tA, lda)
	rsb, csb := strides(tB, ldb)
	al, be := C.float(alpha), C.float(beta)
	C.bli_sgemm(C.BLIS_NO_TRANSPOSE, C.BLIS_NO_TRANSPOSE, C.dim_t(m), C.dim_t(n), C.dim_t(k),
		&al, (*C.float)(unsafe.Pointer(&a[0])), rsa, csa,
		(*C.float)(unsafe.Pointer(&b[0])), rsb, csb,
		&be, (*C.float)(unsafe.Pointer(&c[0])), C.inc_t(ldc), 1)
}
