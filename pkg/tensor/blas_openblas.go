//go:build openblas && !blis

package tensor

/*
#cgo LDFLAGS: -lopenblas
char* openblas_get_corename(void);
char* openblas_get_config(void);
int openblas_get_num_threads(void);
void openblas_set_num_threads(int);
*/
import "C"

import (
	"fmt"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
)

// libThreads is OpenBLAS's thread count: the CPUs, or OPENBLAS_NUM_THREADS.
func libThreads() int { return int(C.openblas_get_num_threads()) }

func libSetThreads(n int) { C.openblas_set_num_threads(C.int(n)) }

// libDescribe names OpenBLAS and the CPU core its kernels were chosen for. A
// core of "Prescott" on a recent CPU means OpenBLAS did not recognise it:
// set OPENBLAS_CORETYPE (SkylakeX or Haswell) before the process starts.
func libDescribe() string {
	return fmt.Sprintf("OpenBLAS (core %s; %s)", C.GoString(C.openblas_get_corename()), C.GoString(C.openblas_get_config()))
}

// libSgemm is OpenBLAS's cblas_sgemm, through gonum's binding.
func libSgemm(tA, tB blas.Transpose, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	blas32.Implementation().Sgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}
