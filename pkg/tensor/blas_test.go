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
