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
	blasMaxThreads = int(C.openblas_get_num_threads())
	blasCurThreads = blasMaxThreads
}

// OpenBLAS starts its threads for any product above a small size, and
// waking them costs more than they save on the lesson's small batches;
// gemmThreads runs products of fewer than smallGemmWork multiply-adds on
// one thread and larger ones on all of them. The training loop runs on one
// goroutine, so the plain variables need no lock; a concurrent caller can
// at worst run one product with a different thread count.
var blasMaxThreads, blasCurThreads int

func gemmThreads(work int) {
	want := blasMaxThreads
	if work < smallGemmWork {
		want = 1
	}
	if want != blasCurThreads {
		C.openblas_set_num_threads(C.int(want))
		blasCurThreads = want
	}
}

// BLASInfo names the BLAS implementation behind MatMul and Linear: here
// OpenBLAS, with the CPU core its kernels were chosen for and its thread
// count. A core of "Prescott" on a recent CPU means OpenBLAS did not
// recognise it: set OPENBLAS_CORETYPE (SkylakeX or Haswell) before start.
func BLASInfo() string {
	return fmt.Sprintf("OpenBLAS (core %s, %d threads, %s)",
		C.GoString(C.openblas_get_corename()), blasMaxThreads,
		C.GoString(C.openblas_get_config()))
}

// SetBLASThreads sets the number of threads OpenBLAS uses for large
// products (small ones always run on one, see smallGemmWork).
func SetBLASThreads(n int) {
	n = max(n, 1)
	C.openblas_set_num_threads(C.int(n))
	blasMaxThreads, blasCurThreads = n, n
}
