package tensor

import (
	"fmt"
	"math"
	"testing"
)

// gradCheck compares the gradients that Backward computes for f at ins with
// central finite differences of L = Σ f(ins)·w for a fixed random w (so
// every output element carries a different weight). Inputs are used as
// given; pick points away from kinks (relu at 0, ties of max).
func gradCheck(t *testing.T, name string, f func(ins []*Tensor) *Tensor, ins ...*Tensor) {
	t.Helper()
	for _, in := range ins {
		in.SetRequiresGrad(true)
		in.grad, in.gradT = nil, nil
	}
	out := f(ins)
	w := Uniform(NewRNG(7), 0.5, 1.5, out.shape...)
	out.BackwardWith(w)
	loss := func() float64 {
		var y *Tensor
		NoGrad(func() { y = f(ins) })
		var s float64
		for i, v := range y.data {
			s += float64(v) * float64(w.data[i])
		}
		return s
	}
	for k, in := range ins {
		g := in.Grad()
		if g == nil {
			t.Errorf("%s: input %d (shape %v) got no gradient", name, k, in.shape)
			continue
		}
		for i := range in.data {
			x := in.data[i]
			h := float32(1e-2) * max(1, float32(math.Abs(float64(x))))
			in.data[i] = x + h
			up := loss()
			in.data[i] = x - h
			down := loss()
			in.data[i] = x
			num := (up - down) / (float64(x+h) - float64(x-h))
			got := float64(g.data[i])
			if math.Abs(num-got) > 2e-2*max(1, math.Abs(num)) {
				t.Errorf("%s: input %d %v, element %d: backward %.5f, finite difference %.5f", name, k, in.shape, i, got, num)
			}
		}
	}
}

func randT(seed uint64, shape ...int) *Tensor { return Uniform(NewRNG(seed), -1, 1, shape...) }
func posT(seed uint64, shape ...int) *Tensor  { return Uniform(NewRNG(seed), 0.5, 2, shape...) }

// awayFrom returns t with values within d of v pushed out, for ops with kinks.
func awayFrom(t *Tensor, v, d float32) *Tensor {
	for i, x := range t.data {
		if x > v-d && x < v+d {
			if x >= v {
				t.data[i] = v + d
			} else {
				t.data[i] = v - d
			}
		}
	}
	return t
}

func TestGradElementwiseBroadcast(t *testing.T) {
	shapes := [][2][]int{
		{{3, 4}, {3, 4}}, // same shape
		{{3, 4}, {4}},    // row vector
		{{4}, {3, 4}},
		{{3, 4}, {1, 4}},
		{{3, 4}, {3, 1}}, // column
		{{3, 1}, {3, 4}},
		{{3, 4}, {}}, // scalar
		{{}, {3, 4}},
		{{3, 1}, {1, 4}}, // outer product: both expand
		{{2, 3, 4}, {3, 1}},
		{{2, 1, 4}, {3, 1}},
		{{2, 3, 4}, {2, 1, 4}},
	}
	ops := map[string]func(a, b *Tensor) *Tensor{
		"add": (*Tensor).Add, "sub": (*Tensor).Sub, "mul": (*Tensor).Mul, "div": (*Tensor).Div,
	}
	for name, op := range ops {
		for i, s := range shapes {
			a, b := randT(uint64(i), s[0]...), posT(uint64(i+100), s[1]...)
			gradCheck(t, fmt.Sprintf("%s %v %v", name, s[0], s[1]), func(in []*Tensor) *Tensor { return op(in[0], in[1]) }, a, b)
		}
	}
	// The same tensor on both sides: gradients of both uses add up.
	x := randT(1, 3)
	gradCheck(t, "mul self", func(in []*Tensor) *Tensor { return in[0].Mul(in[0]) }, x)
}

func TestGradUnary(t *testing.T) {
	cases := []struct {
		name string
		f    func(a *Tensor) *Tensor
		in   *Tensor
	}{
		{"neg", (*Tensor).Neg, randT(1, 2, 3)},
		{"exp", (*Tensor).Exp, randT(2, 2, 3)},
		{"log", (*Tensor).Log, posT(3, 2, 3)},
		{"sqrt", (*Tensor).Sqrt, posT(4, 2, 3)},
		{"pow2", func(a *Tensor) *Tensor { return a.Pow(2) }, randT(5, 2, 3)},
		{"pow3", func(a *Tensor) *Tensor { return a.Pow(3) }, randT(6, 2, 3)},
		{"pow0.5", func(a *Tensor) *Tensor { return a.Pow(0.5) }, posT(7, 2, 3)},
		{"relu", (*Tensor).Relu, awayFrom(randT(8, 3, 4), 0, 0.05)},
		{"maximum", func(a *Tensor) *Tensor { return a.ClampMin(0.2) }, awayFrom(randT(9, 3, 4), 0.2, 0.05)},
		{"addscalar", func(a *Tensor) *Tensor { return a.AddScalar(3) }, randT(10, 4)},
		{"subscalar", func(a *Tensor) *Tensor { return a.SubScalar(3) }, randT(11, 4)},
		{"mulscalar", func(a *Tensor) *Tensor { return a.MulScalar(-2.5) }, randT(12, 4)},
		{"divscalar", func(a *Tensor) *Tensor { return a.DivScalar(4) }, randT(13, 4)},
		{"sum", (*Tensor).Sum, randT(14, 3, 4)},
		{"mean", (*Tensor).Mean, randT(15, 3, 4)},
		{"max", (*Tensor).Max, randT(16, 3, 4)},
		{"t", (*Tensor).T, randT(17, 3, 5)},
		{"t big", (*Tensor).T, randT(17, 40, 35)},
		{"reshape", func(a *Tensor) *Tensor { return a.Reshape(2, -1) }, randT(18, 3, 4)},
		{"view", func(a *Tensor) *Tensor { return a.View(12) }, randT(18, 3, 4)},
		{"slice", func(a *Tensor) *Tensor { return a.Slice(1, 3) }, randT(19, 4, 3)},
		{"row", func(a *Tensor) *Tensor { return a.Row(-1) }, randT(20, 4, 3)},
		{"indexselect", func(a *Tensor) *Tensor { return a.IndexSelect(FromInts([]int{2, 0, 2, 3})) }, randT(21, 4, 3)},
		{"gather", func(a *Tensor) *Tensor { return a.Index(Arange(4), FromInts([]int{2, 0, 2, 1})) }, randT(22, 4, 3)},
	}
	for _, c := range cases {
		gradCheck(t, c.name, func(in []*Tensor) *Tensor { return c.f(in[0]) }, c.in)
	}
}

func TestGradDims(t *testing.T) {
	for _, keep := range []bool{false, true} {
		for _, dim := range []int{0, 1, 2, -1} {
			name := fmt.Sprintf("dim %d keepdim %v", dim, keep)
			gradCheck(t, "sumdim "+name, func(in []*Tensor) *Tensor { return in[0].SumDim(dim, keep) }, randT(1, 2, 3, 4))
			gradCheck(t, "meandim "+name, func(in []*Tensor) *Tensor { return in[0].MeanDim(dim, keep) }, randT(2, 2, 3, 4))
			gradCheck(t, "maxdim "+name, func(in []*Tensor) *Tensor { return in[0].MaxDim(dim, keep) }, randT(3, 2, 3, 4))
			gradCheck(t, "logsumexp "+name, func(in []*Tensor) *Tensor { return in[0].LogSumExp(dim, keep) }, randT(4, 2, 3, 4))
		}
	}
}

func TestGradMatMulLinear(t *testing.T) {
	gradCheck(t, "matmul", func(in []*Tensor) *Tensor { return in[0].MatMul(in[1]) }, randT(1, 3, 4), randT(2, 4, 5))
	gradCheck(t, "linear", func(in []*Tensor) *Tensor { return Linear(in[0], in[1], in[2]) }, randT(3, 5, 4), randT(4, 3, 4), randT(5, 3))
	gradCheck(t, "linear no bias", func(in []*Tensor) *Tensor { return Linear(in[0], in[1], nil) }, randT(6, 5, 4), randT(7, 3, 4))
}

func TestGradStackCat(t *testing.T) {
	gradCheck(t, "stack", func(in []*Tensor) *Tensor { return Stack(in) }, randT(1, 2, 3), randT(2, 2, 3), randT(3, 2, 3))
	for _, dim := range []int{0, 1, -1} {
		a, b := randT(4, 2, 3), randT(5, 2, 3)
		gradCheck(t, fmt.Sprintf("cat dim %d", dim), func(in []*Tensor) *Tensor { return Cat(in, dim) }, a, b)
	}
	gradCheck(t, "cat uneven", func(in []*Tensor) *Tensor { return Cat(in, 1) }, randT(6, 2, 1), randT(7, 2, 3))
}

// TestGradComposite checks a whole lesson-sized chain: linear, relu,
// linear, log-softmax via LogSumExp, NLL via Gather, mean.
func TestGradComposite(t *testing.T) {
	x := randT(1, 6, 5)
	target := FromInts([]int{0, 2, 1, 2, 0, 1})
	f := func(in []*Tensor) *Tensor {
		h := Linear(x, in[0], in[1]).Relu()
		logits := Linear(h, in[2], in[3])
		logp := logits.Sub(logits.LogSumExp(1, true))
		return logp.Index(Arange(6), target).Mean().Neg()
	}
	gradCheck(t, "mlp", f, randT(2, 4, 5), randT(3, 4), randT(4, 3, 4), randT(5, 3))
}

// TestGradNewOp checks a custom op built on NewOp and AccumulateGrad (the
// fused cross entropy of bench_test.go), and that NewOp records nothing
// when no input needs a gradient.
func TestGradNewOp(t *testing.T) {
	target := FromInts([]int{1, 0, 3, 3, 2})
	gradCheck(t, "cross entropy (NewOp)", func(in []*Tensor) *Tensor { return crossEntropy(in[0], target) }, randT(1, 5, 4))
	if out := crossEntropy(randT(2, 5, 4), target); out.RequiresGrad() {
		t.Error("NewOp recorded an op on inputs that need no gradient")
	}
	x := randT(3, 5, 4).SetRequiresGrad(true)
	var out *Tensor
	NoGrad(func() { out = crossEntropy(x, target) })
	if out.RequiresGrad() {
		t.Error("NewOp recorded an op inside NoGrad")
	}
}
