package tensor

import (
	"fmt"
	"slices"
	"sync"
	"testing"

	"gonum.org/v1/gonum/blas"
)

func TestBLASInfo(t *testing.T) {
	info := BLASInfo()
	if info == "" {
		t.Fatal("BLASInfo is empty")
	}
	t.Log(info)
}

// prodJob is one product C = op(A)·op(B) of TestConcurrentProducts.
type prodJob struct {
	tA, tB  blas.Transpose
	m, n, k int
	a, b    []float32
	want    []float32 // the result computed alone
}

func (j *prodJob) run() []float32 {
	lda, ldb := j.k, j.n
	if j.tA == blas.Trans {
		lda = j.m
	}
	if j.tB == blas.Trans {
		ldb = j.k
	}
	c := make([]float32, j.m*j.n)
	sgemm(j.tA, j.tB, j.m, j.n, j.k, 1, j.a, lda, j.b, ldb, 0, c, j.n)
	return c
}

// Products run from several goroutines at once give the same bits as the
// same products run one at a time: no lock serialises them and nothing one
// call uses (thread count, buffers) is shared with another. The shapes and
// transpositions are the lessons' layers' (x·wᵀ, gᵀ·x, g·w at batch 64 and
// 512), so both one-thread and threaded products overlap. Run with -race
// too.
func TestConcurrentProducts(t *testing.T) {
	N, T := blas.NoTrans, blas.Trans
	shapes := []struct {
		tA, tB  blas.Transpose
		m, n, k int
	}{
		{N, T, 64, 50, 784}, {T, N, 50, 784, 64}, {N, N, 64, 784, 50}, {N, T, 64, 10, 50},
		{N, T, 512, 1000, 784}, {T, N, 1000, 784, 512}, {N, N, 512, 1000, 10},
	}
	if testing.Short() {
		shapes = shapes[:4]
	}
	jobs := make([]*prodJob, len(shapes))
	for i, s := range shapes {
		j := &prodJob{tA: s.tA, tB: s.tB, m: s.m, n: s.n, k: s.k}
		j.a, j.b = randT(uint64(10+i), s.m*s.k).data, randT(uint64(20+i), s.k*s.n).data
		j.want = j.run()
		jobs[i] = j
	}
	const goroutines, rounds = 4, 3
	var wg sync.WaitGroup
	errs := make(chan error, goroutines)
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range rounds {
				for i := range jobs {
					j := jobs[(i+g+r)%len(jobs)] // each goroutine in its own order
					if got := j.run(); !slices.Equal(got, j.want) {
						e := 0
						for got[e] == j.want[e] {
							e++
						}
						errs <- fmt.Errorf("goroutine %d, %c%c %dx%dx%d: element %d is %v, alone %v",
							g, j.tA, j.tB, j.m, j.n, j.k, e, got[e], j.want[e])
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// Gemm, the exported product, on a block of a wider C (ldc > n): with k = 0
// it scales by beta only the block's rows, and otherwise matches MatMul.
func TestGemm(t *testing.T) {
	c := []float32{1, 2, 9, 3, 4, 9}
	Gemm(blas.NoTrans, blas.NoTrans, 2, 2, 0, 1, nil, 1, nil, 2, 0.5, c, 3)
	if want := []float32{0.5, 1, 9, 1.5, 2, 9}; !slices.Equal(c, want) {
		t.Fatalf("k = 0, beta = 0.5: C = %v, want %v", c, want)
	}
	x, w := randT(1, 5, 7), randT(2, 7, 3)
	want := x.MatMul(w)
	got := make([]float32, 5*4)
	Gemm(blas.NoTrans, blas.NoTrans, 5, 3, 7, 1, x.data, 7, w.data, 3, 0, got, 4)
	for i := range 5 {
		for j := range 3 {
			if d := got[i*4+j] - want.At(i, j); d > 1e-5 || d < -1e-5 {
				t.Fatalf("C[%d,%d] = %v, want %v", i, j, got[i*4+j], want.At(i, j))
			}
		}
	}
}

// Gemm's slices must hold the matrices its sizes and leading dimensions
// describe, on every path (whole, split over threads, k = 0): the native
// libraries read and write through raw pointers, so a short slice is a
// ShapeError before any of them runs, never a read past its end.
func TestGemmChecksItsSlices(t *testing.T) {
	N, T := blas.NoTrans, blas.Trans
	m, n, k := 512, 1000, 784 // split over the cores with a native BLAS
	a, b, c := make([]float32, m*k), make([]float32, k*n), make([]float32, m*n)
	for _, tc := range []struct {
		name string
		f    func()
		want string
	}{
		{"short A", func() { Gemm(N, N, m, n, k, 1, a[:m*k-1], k, b, n, 0, c, n) }, "A"},
		{"short A, transposed", func() { Gemm(T, N, m, n, k, 1, a[:m*k-1], m, b, n, 0, c, n) }, "A"},
		{"short B", func() { Gemm(N, T, m, n, k, 1, a, k, b[:k*n-1], k, 0, c, n) }, "B"},
		{"short C", func() { Gemm(N, N, m, n, k, 1, a, k, b, n, 0, c[:m*n-1], n) }, "C"},
		{"short C, k = 0", func() { Gemm(N, N, 2, 2, 0, 1, nil, 1, nil, 2, 0, c[:3], 2) }, "C"},
		{"small lda", func() { Gemm(N, N, m, n, k, 1, a, k-1, b, n, 0, c, n) }, "leading dimension"},
		{"small ldc", func() { Gemm(N, N, 2, 3, 1, 1, a, 1, b, 3, 0, c, 2) }, "leading dimension"},
		{"negative k", func() { Gemm(N, N, 2, 2, -1, 1, a, 1, b, 2, 0, c, 2) }, "negative"},
		{"bad transpose", func() { Gemm(blas.Transpose('x'), N, 2, 2, 2, 1, a, 2, b, 2, 0, c, 2) }, "transpose"},
	} {
		mustPanic(t, tc.name, tc.f, "gemm", tc.want)
	}
}

// sgemmPair gives the bits of its two products computed one at a time,
// whichever thread computes each, also from several goroutines at once
// (which then contend for the helper thread), with beta ≠ 0 and with nil
// or empty products; a short slice is a ShapeError before anything runs.
func TestSgemmPair(t *testing.T) {
	N, T := blas.NoTrans, blas.Trans
	// Lesson 9's second layer's backward products at batch 64, Wᵀ·G and cols·Gᵀ.
	w, g, cols := randT(1, 16*72).data, randT(2, 16*3136).data, randT(3, 72*3136).data
	dX := func(c []float32) *gemm { return &gemm{T, N, 72, 3136, 16, 1, w, 72, g, 3136, 0, c, 3136} }
	dW := func(c []float32) *gemm { return &gemm{N, T, 72, 16, 3136, 1, cols, 3136, g, 3136, 0.5, c, 16} }
	wantX, wantW := make([]float32, 72*3136), randT(4, 72*16).data
	initW := slices.Clone(wantW)
	sgemmPair(dX(wantX), nil)
	sgemmPair(nil, dW(wantW))
	var wg sync.WaitGroup
	for r := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 20 {
				gotX, gotW := make([]float32, len(wantX)), slices.Clone(initW)
				sgemmPair(dX(gotX), dW(gotW))
				if !slices.Equal(gotX, wantX) || !slices.Equal(gotW, wantW) {
					t.Errorf("goroutine %d: the paired products differ from the same products alone", r)
					return
				}
			}
		}()
	}
	wg.Wait()
	sgemmPair(&gemm{N, N, 0, 3, 2, 1, nil, 2, make([]float32, 6), 3, 0, nil, 3}, dX(make([]float32, len(wantX))))
	if se := catchShapeError(func() { sgemmPair(dX(make([]float32, 10)), dW(slices.Clone(initW))) }); se == nil {
		t.Error("a short C was not a ShapeError")
	}
}
