//go:build openblas

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

	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/netlib/blas/netlib"
)

func init() {
	blas32.Use(netlib.Implementation{})
}

// BLASInfo names the BLAS implementation behind MatMul and Linear: here
// OpenBLAS, with the CPU core its kernels were chosen for and its thread
// count. A core of "Prescott" on a recent CPU means OpenBLAS did not
// recognise it: set OPENBLAS_CORETYPE (SkylakeX or Haswell) before start.
func BLASInfo() string {
	return fmt.Sprintf("OpenBLAS (core %s, %d threads, %s)",
		C.GoString(C.openblas_get_corename()), int(C.openblas_get_num_threads()),
		C.GoString(C.openblas_get_config()))
}

// SetBLASThreads sets the number of threads OpenBLAS uses.
func SetBLASThreads(n int) { C.openblas_set_num_threads(C.int(n)) }
