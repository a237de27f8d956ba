package tensor

import (
	"fmt"
	"math"
	"testing"
)

func TestGradVarStd(t *testing.T) {
	for i, shape := range [][]int{{5}, {3, 4}, {2, 3, 4}} {
		x := randT(uint64(i+1), shape...)
		gradCheck(t, fmt.Sprintf("var %v", shape), func(in []*Tensor) *Tensor { return in[0].Var() }, x)
		gradCheck(t, fmt.Sprintf("std %v", shape), func(in []*Tensor) *Tensor { return in[0].Std() }, randT(uint64(i+9), shape...))
	}
	for _, dim := range []int{0, 1, -1} {
		gradCheck(t, fmt.Sprintf("var dim %d", dim), func(in []*Tensor) *Tensor { return in[0].VarDim(dim, false) }, randT(3, 2, 3, 4))
		gradCheck(t, fmt.Sprintf("std dim %d", dim), func(in []*Tensor) *Tensor { return in[0].StdDim(dim, true) }, randT(4, 2, 3, 4))
	}
}

func TestVarUnbiased(t *testing.T) {
	x := New([]float32{1, 2, 3, 4})
	if v := x.Var().Item(); v != 5.0/3 {
		t.Errorf("var of 1..4 = %v, want 5/3 (unbiased, as PyTorch)", v)
	}
	if s := x.Std().Item(); math.Abs(float64(s)-math.Sqrt(5.0/3)) > 1e-6 {
		t.Errorf("std of 1..4 = %v, want √(5/3)", s)
	}
	// A large mean beside a small spread: the two-pass sum keeps the digits.
	y := New([]float32{1e4 + 1, 1e4 + 2, 1e4 + 3})
	if v := y.Var().Item(); v != 1 {
		t.Errorf("var of 10001..10003 = %v, want 1", v)
	}
	if v := New([]float32{7}).Var().Item(); !math.IsNaN(float64(v)) {
		t.Errorf("var of one value = %v, want NaN as PyTorch", v)
	}
	if got := Zeros(2, 5, 3).VarDim(1, true).Shape(); !got.Equal(Shape{2, 1, 3}) {
		t.Errorf("VarDim keepdim shape %v", got)
	}
}

func TestGradLeakyRelu(t *testing.T) {
	for _, slope := range []float32{0, 0.01, 0.3} {
		gradCheck(t, fmt.Sprintf("leaky_relu %v", slope), func(in []*Tensor) *Tensor { return in[0].LeakyRelu(slope) },
			awayFrom(randT(2, 4, 5), 0, 0.05))
	}
}
