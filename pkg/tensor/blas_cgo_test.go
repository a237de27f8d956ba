//go:build openblas || blis

package tensor

import (
	"strings"
	"testing"
)

// TestThreadPolicy checks the shape rule for OpenBLAS threads and that
// repeated products are bit-identical whatever ran before them (the reason
// the rule depends on the shape only).
func TestThreadPolicy(t *testing.T) {
	if blasMaxThreads > 1 {
		if gemmThreads(512, 1000, 784) != blasMaxThreads || gemmThreads(1000, 784, 512) != blasMaxThreads {
			t.Error("the batch-512 hidden-layer products should use every thread")
		}
		if gemmThreads(64, 50, 784) != 1 || gemmThreads(512, 10, 1000) != 1 || gemmThreads(16, 16, 16) != 1 {
			t.Error("small or thin products should use one thread")
		}
	}
	x, w := randT(1, 256, 784), randT(2, 784, 64) // 12.8M multiply-adds: threaded
	want := x.MatMul(w)
	small := randT(3, 8, 8)
	for i := 0; i < 5; i++ {
		small.MatMul(small) // switches OpenBLAS to one thread in between
		got := x.MatMul(w)
		for j, v := range got.data {
			if v != want.data[j] {
				t.Fatalf("run %d: element %d is %v, first run %v", i, j, v, want.data[j])
			}
		}
	}
	if info := BLASInfo(); !strings.Contains(info, "BLIS") && !strings.Contains(info, "OpenBLAS") || !strings.Contains(info, "threads") {
		t.Errorf("BLASInfo: %s", info)
	}
	defer SetBLASThreads(blasMaxThreads)
	SetBLASThreads(1)
	if got := x.MatMul(w); !got.AllClose(want, 1e-5, 1e-5) {
		t.Errorf("one thread differs by %v", got.MaxAbsDiff(want))
	}
}
