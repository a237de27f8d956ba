package tensor

import "testing"

func TestParallelFor(t *testing.T) {
	for _, n := range []int{0, 1, 100, parallelMin - 1, parallelMin, 3*parallelMin + 7} {
		hits := make([]int32, n)
		parallelFor(n, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				hits[i]++
			}
		})
		for i, h := range hits {
			if h != 1 {
				t.Fatalf("n=%d: element %d visited %d times", n, i, h)
			}
		}
	}
	// A large ReLU takes the parallel path; compare with the plain rule.
	x := randT(5, 3, parallelMin)
	y := x.Relu()
	for i, v := range x.data {
		if want := max(v, 0); y.data[i] != want {
			t.Fatalf("relu element %d: %v, want %v", i, y.data[i], want)
		}
	}
}
