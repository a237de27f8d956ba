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

func TestParallelItemsAndLargeIndexSelect(t *testing.T) {
	for _, c := range [][2]int{{0, 5}, {1, parallelMin}, {3, 7}, {512, 784}, {1000, 1}} {
		n, size := c[0], c[1]
		hits := make([]int32, n)
		parallelItems(n, size, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				hits[i]++
			}
		})
		for i, h := range hits {
			if h != 1 {
				t.Fatalf("n=%d size=%d: item %d visited %d times", n, size, i, h)
			}
		}
	}
	x := randT(1, 1000, 784)
	idx := RandPerm(NewRNG(2), 1000).Slice(0, 512)
	got := x.IndexSelect(idx)
	for k, r := range idx.Ints() {
		for j := 0; j < 784; j += 97 {
			if got.At(k, j) != x.At(r, j) {
				t.Fatalf("row %d (source %d) column %d differs", k, r, j)
			}
		}
	}
}
