//go:build openblas

package tensor

import (
	"strings"
	"testing"

	"gonum.org/v1/gonum/blas"
)

// TestThreadTuning checks that a product shape is tuned after tuneRuns
// calls, that results are the same whichever thread count ran them, and
// that BLASInfo reports the choice.
func TestThreadTuning(t *testing.T) {
	x, w := randT(1, 96, 200), randT(2, 200, 40)
	want := x.MatMul(w)
	for i := 0; i < tuneRuns+2; i++ {
		if got := x.MatMul(w); !got.AllClose(want, 1e-5, 1e-5) {
			t.Fatalf("call %d differs by %v", i, got.MaxAbsDiff(want))
		}
	}
	info := BLASInfo()
	if !strings.Contains(info, "OpenBLAS") || (blasMaxThreads > 1 && !strings.Contains(info, "96x200x40 on ")) {
		t.Errorf("BLASInfo does not report the tuned shape: %s", info)
	}
	// After retuneAfter more calls the shape is timed again, keeping its
	// previous choice meanwhile.
	for i := 0; i < retuneAfter; i++ {
		x.MatMul(w)
	}
	key := gemmShape{blas.NoTrans, blas.NoTrans, 96, 40, 200}
	if tu := gemmTuning[key]; blasMaxThreads > 1 && (tu == nil || tu.runs >= tuneRuns || tu.threads == 0) {
		t.Errorf("after %d calls the shape is not being tuned again: %+v", retuneAfter, tu)
	}
	defer SetBLASThreads(blasMaxThreads)
	SetBLASThreads(1)
	if got := x.MatMul(w); !got.AllClose(want, 1e-5, 1e-5) {
		t.Error("one thread gives a different product")
	}
}
