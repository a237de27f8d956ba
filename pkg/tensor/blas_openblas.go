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
	"sort"
	"strings"
	"sync"
	"time"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/netlib/blas/netlib"
)

func init() {
	blas32.Use(netlib.Implementation{})
	blasMaxThreads = int(C.openblas_get_num_threads())
	blasCurThreads = blasMaxThreads
}

// Thread count per product. Whether OpenBLAS's extra threads pay off for a
// product depends on its size and on how busy the machine is: on the
// lesson's batch-64 layers, waking them can cost more than they save, and
// their spinning takes the core that a data loader goroutine or another
// process needs. So each distinct product shape is tuned where it runs: its
// first tuneRuns calls alternate between one thread and all of them, and
// the faster (by best time) is used for the next retuneAfter calls, after
// which it is tuned again, so a choice made while the machine was busy
// does not stick. Tiny products always run on one thread.
var (
	blasMu         sync.Mutex
	blasMaxThreads int
	blasCurThreads int
	gemmTuning     = map[gemmShape]*gemmTune{}
)

const (
	tuneRuns     = 8       // timed calls per shape, alternating thread counts
	retuneAfter  = 2000    // calls with the chosen count before tuning again
	tinyGemmWork = 1 << 16 // multiply-adds below which one thread is always right
)

type gemmShape struct {
	tA, tB  blas.Transpose
	m, n, k int
}

type gemmTune struct {
	runs    int
	best    [2]time.Duration // one thread, all threads
	threads int              // chosen count, once runs == tuneRuns
	calls   int              // calls since the choice
}

// setThreads changes OpenBLAS's thread count if needed; blasMu is held.
func setThreads(n int) {
	if n != blasCurThreads {
		C.openblas_set_num_threads(C.int(n))
		blasCurThreads = n
	}
}

// blasSgemm is Sgemm through OpenBLAS with the thread count tuned for the
// product's shape (see gemmTuning).
func blasSgemm(tA, tB blas.Transpose, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	impl := blas32.Implementation()
	blasMu.Lock()
	defer blasMu.Unlock()
	if blasMaxThreads <= 1 || m*n*k < tinyGemmWork {
		setThreads(1)
		impl.Sgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	key := gemmShape{tA, tB, m, n, k}
	t := gemmTuning[key]
	if t == nil {
		t = &gemmTune{}
		gemmTuning[key] = t
	}
	if t.runs >= tuneRuns {
		setThreads(t.threads)
		impl.Sgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		if t.calls++; t.calls >= retuneAfter {
			*t = gemmTune{threads: t.threads} // keep reporting the old choice meanwhile
		}
		return
	}
	i := t.runs % 2
	setThreads([2]int{1, blasMaxThreads}[i])
	start := time.Now()
	impl.Sgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
	if d := time.Since(start); t.best[i] == 0 || d < t.best[i] {
		t.best[i] = d
	}
	t.runs++
	if t.runs == tuneRuns {
		t.threads = 1
		if t.best[1] < t.best[0] {
			t.threads = blasMaxThreads
		}
	}
}

// BLASInfo names the BLAS implementation behind MatMul and Linear: here
// OpenBLAS, with the CPU core its kernels were chosen for, its maximum
// thread count, and the count tuned for each product shape seen so far
// ("64x784x50 on 2": a [64 784]·[784 50] product runs on two threads). A
// core of "Prescott" on a recent CPU means OpenBLAS did not recognise it:
// set OPENBLAS_CORETYPE (SkylakeX or Haswell) before the process starts.
func BLASInfo() string {
	blasMu.Lock()
	defer blasMu.Unlock()
	s := fmt.Sprintf("OpenBLAS (core %s, %d threads, %s)",
		C.GoString(C.openblas_get_corename()), blasMaxThreads,
		C.GoString(C.openblas_get_config()))
	var tuned []string
	for k, t := range gemmTuning {
		if t.threads > 0 {
			tuned = append(tuned, fmt.Sprintf("%dx%dx%d on %d", k.m, k.k, k.n, t.threads))
		}
	}
	sort.Strings(tuned)
	if len(tuned) > 0 {
		s += "; threads per product: " + strings.Join(tuned, ", ")
	}
	return s
}

// SetBLASThreads sets the largest number of threads OpenBLAS may use and
// forgets the tuned choices.
func SetBLASThreads(n int) {
	blasMu.Lock()
	defer blasMu.Unlock()
	blasMaxThreads = max(n, 1)
	setThreads(blasMaxThreads)
	clear(gemmTuning)
}
