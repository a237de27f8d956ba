//go:build openblas || blis

package tensor

import (
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"gonum.org/v1/gonum/blas"
)

// TestThreadPolicy checks that repeated products are bit-identical whatever
// ran before them (the reason the thread rule, TestGemmThreadsOnLessonShapes,
// depends on the shape only).
func TestThreadPolicy(t *testing.T) {
	x, w := randT(1, 256, 784), randT(2, 784, 64) // 12.8M multiply-adds: threaded
	want := x.MatMul(w)
	small := randT(3, 8, 8)
	for i := 0; i < 5; i++ {
		small.MatMul(small) // a one-thread product in between
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
	defer SetBLASThreads(int(blasMaxThreads.Load()))
	SetBLASThreads(1)
	if got := x.MatMul(w); !got.AllClose(want, 1e-5, 1e-5) {
		t.Errorf("one thread differs by %v", got.MaxAbsDiff(want))
	}
}

// Every transposition of a product, computed whole by the library and
// split over goroutines by blasSgemm (into uneven blocks along rows, and
// along columns), matches a float64 reference, with and without
// accumulation into C.
func TestLargeSgemmTranspositions(t *testing.T) {
	defer func(w int, p int32) { threadedMinWork = w; SetBLASThreads(int(p)); splitHelpers = true }(threadedMinWork, blasMaxThreads.Load())
	for _, mode := range []struct {
		threads int
		helpers bool
	}{{1, true}, {2, true}, {2, false}, {3, true}, {3, false}} { // 3 blocks: on 2 CPUs, goroutines either way
		threadedMinWork = 8 << 20
		split := mode.threads > 1
		if split {
			threadedMinWork = 0
			SetBLASThreads(mode.threads)
		}
		splitHelpers = mode.helpers
		for _, s := range [][3]int{{170, 60, 80}, {60, 170, 80}} { // rows, then columns split
			checkTranspositions(t, split, s[0], s[1], s[2])
		}
	}
}

// The helper threads' split gives the goroutines' bits, whether a helper
// is awake (products back to back), asleep (after a pause longer than its
// spin) or held by another product (TestConcurrentProducts).
func TestSplitHelpersMatchGoroutines(t *testing.T) {
	defer func(p int32) { SetBLASThreads(int(p)); splitHelpers = true }(blasMaxThreads.Load())
	SetBLASThreads(2)
	N, T := blas.NoTrans, blas.Trans
	for _, s := range []struct {
		tA, tB  blas.Transpose
		m, n, k int
	}{{N, T, 512, 1000, 784}, {T, N, 1000, 784, 512}, {N, N, 512, 10, 1000}} {
		if gemmThreads(s.m, s.n, s.k) < 2 {
			t.Fatalf("%dx%dx%d is not split: the test needs a split product", s.m, s.n, s.k)
		}
		j := &prodJob{tA: s.tA, tB: s.tB, m: s.m, n: s.n, k: s.k}
		j.a, j.b = randT(31, s.m*s.k).data, randT(32, s.k*s.n).data
		splitHelpers = false
		want := j.run()
		splitHelpers = true
		for r := range 6 {
			if r%2 == 1 {
				time.Sleep(2 * spinWaitNs * time.Nanosecond) // let the helper fall asleep
			}
			if got := j.run(); !slices.Equal(got, want) {
				t.Fatalf("%c%c %dx%dx%d, round %d: the helpers' split differs from the goroutines'", s.tA, s.tB, s.m, s.n, s.k, r)
			}
		}
	}
}

func checkTranspositions(t *testing.T, split bool, m, n, k int) {
	a, b := randT(5, m*k, 1).data, randT(6, k*n, 1).data
	c0 := randT(7, m*n, 1).data
	for _, tA := range []blas.Transpose{blas.NoTrans, blas.Trans} {
		for _, tB := range []blas.Transpose{blas.NoTrans, blas.Trans} {
			for _, beta := range []float32{0, 0.5} {
				// Stored as op(A) is m×k: k columns, or m columns when transposed.
				lda, ldb := k, n
				if tA == blas.Trans {
					lda = m
				}
				if tB == blas.Trans {
					ldb = k
				}
				c := append([]float32(nil), c0...)
				sgemm(tA, tB, m, n, k, 1.5, a, lda, b, ldb, beta, c, n)
				for i := range m {
					for j := range n {
						want := float64(beta) * float64(c0[i*n+j])
						for p := range k {
							ai, bi := i*lda+p, p*ldb+j
							if tA == blas.Trans {
								ai = p*lda + i
							}
							if tB == blas.Trans {
								bi = j*ldb + p
							}
							want += 1.5 * float64(a[ai]) * float64(b[bi])
						}
						if got := float64(c[i*n+j]); math.Abs(got-want) > 1e-4*(1+math.Abs(want)) {
							t.Fatalf("split %v, %dx%dx%d %c%c beta %v: C[%d,%d] = %v, want %v", split, m, n, k, tA, tB, beta, i, j, got, want)
						}
					}
				}
			}
		}
	}
}

// The shape rule for BLAS threads on the lessons' products: those that
// gemmThreads splits, and those it runs whole.
func TestGemmThreadsOnLessonShapes(t *testing.T) {
	defer SetBLASThreads(int(blasMaxThreads.Load()))
	SetBLASThreads(2)
	for _, c := range []struct {
		name    string
		m, n, k int
		want    int
	}{
		{"784-50-10 bs 64, layer 1", 64, 50, 784, 1},
		{"784-50-10 bs 64, layer 1 weight gradient", 50, 784, 64, 1},
		{"784-1000-10 bs 512, layer 1", 512, 1000, 784, 2},
		{"784-1000-10 bs 512, layer 1 weight gradient", 1000, 784, 512, 2},
		{"784-1000-10 bs 512, layer 2", 512, 10, 1000, 2},
		{"784-1000-10 bs 512, layer 2 weight gradient", 10, 1000, 512, 2},
		{"784-1000-10 bs 512, layer 2 input gradient", 512, 1000, 10, 2},
		{"lesson 9 CNN bs 64, conv1", 8, 12544, 25, 1},
		{"lesson 9 CNN bs 64, conv2", 16, 3136, 72, 1},
		{"lesson 9 CNN bs 64, conv3", 32, 1024, 144, 1},
		{"lesson 9 CNN bs 64, conv3 weight gradient", 144, 32, 1024, 1},
		{"a small square product", 16, 16, 16, 1},
	} {
		if got := gemmThreads(c.m, c.n, c.k); got != c.want {
			t.Errorf("%s (%d×%d×%d): %d threads, want %d", c.name, c.m, c.n, c.k, got, c.want)
		}
	}
}
