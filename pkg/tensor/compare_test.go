package tensor

import (
	"math"
	"testing"
)

func TestAllClose(t *testing.T) {
	a := New([]float32{1, 2, 3})
	cases := []struct {
		b    *Tensor
		want bool
	}{
		{New([]float32{1, 2, 3}), true},
		{New([]float32{1, 2, 3.0001}), true},
		{New([]float32{1, 2, 3.1}), false},
		{New([]float32{1, 2, 3}, 3, 1), false},
		{New([]float32{1, 2, float32(math.NaN())}), false},
	}
	for _, c := range cases {
		if got := a.AllClose(c.b, 1e-3, 1e-5); got != c.want {
			t.Errorf("AllClose(%v, %v) = %v", a, c.b, got)
		}
	}
	if d := a.MaxAbsDiff(New([]float32{1, 2.5, 2})); d != 1 {
		t.Errorf("MaxAbsDiff = %v, want 1", d)
	}
	mustPanic(t, "max abs diff shapes", func() { a.MaxAbsDiff(Zeros(2)) }, "[3]", "[2]")
}
