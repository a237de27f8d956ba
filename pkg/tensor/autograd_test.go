package tensor

import (
	"errors"
	"math"
	"strings"
	"testing"
)

// asError returns a recovered panic value as an error (nil if it is not
// one), for errors.As.
func asError(r any) error {
	err, _ := r.(error)
	return err
}

// mustPanic runs f and checks that it panics with a message containing
// every one of want.
func mustPanic(t *testing.T, name string, f func(), want ...string) {
	t.Helper()
	defer func() {
		t.Helper()
		r := recover()
		if r == nil {
			t.Errorf("%s: no panic", name)
			return
		}
		// Every programmer error panics with a typed value (errors.As).
		err, _ := r.(error)
		var se *ShapeError
		var ie *IndexError
		var ue *UsageError
		if !errors.As(err, &se) && !errors.As(err, &ie) && !errors.As(err, &ue) {
			t.Errorf("%s: panic %#v is not a *ShapeError, *IndexError or *UsageError", name, r)
			return
		}
		msg := err.Error()
		for _, w := range want {
			if !strings.Contains(msg, w) {
				t.Errorf("%s: panic %q does not mention %q", name, msg, w)
			}
		}
	}()
	f()
}

func TestGradAccumulatesAndZeroes(t *testing.T) {
	w := New([]float32{1, 2, 3}).SetRequiresGrad(true)
	x := New([]float32{4, 5, 6})
	w.Mul(x).Sum().Backward()
	w.Mul(x).Sum().Backward()
	if got := w.Grad().Data(); got[0] != 8 || got[1] != 10 || got[2] != 12 {
		t.Fatalf("two backward passes: grad %v, want 2x", got)
	}
	w.ZeroGrad()
	if got := w.Grad().Data(); got[0] != 0 || got[2] != 0 {
		t.Fatalf("after ZeroGrad: grad %v, want zeros", got)
	}
	w.Mul(x).Sum().Backward()
	if got := w.Grad().Data(); got[0] != 4 || got[1] != 5 {
		t.Fatalf("after ZeroGrad and backward: grad %v, want x", got)
	}
	w.ZeroGrad()
	w.Mul(x).Sum().Backward() // overwrites the stale buffer instead of adding
	if got := w.Grad().Data(); got[0] != 4 {
		t.Fatalf("lazy zero: grad %v, want x", got)
	}
	if x.Grad() != nil {
		t.Errorf("x does not require grad but has %v", x.Grad())
	}
}

func TestLinearMatMulGradAccumulate(t *testing.T) {
	// Sgemm's beta decides overwrite vs add: check both through two passes.
	x := randT(1, 5, 4)
	w := randT(2, 3, 4).SetRequiresGrad(true)
	b := randT(3, 3).SetRequiresGrad(true)
	Linear(x, w, b).Sum().Backward()
	g1 := w.Grad().Clone()
	gb1 := b.Grad().Clone()
	Linear(x, w, b).Sum().Backward()
	for i, v := range w.Grad().Data() {
		if d := v - 2*g1.data[i]; d > 1e-5 || d < -1e-5 {
			t.Fatalf("w grad %d after two passes %v, want %v", i, v, 2*g1.data[i])
		}
	}
	for i, v := range b.Grad().Data() {
		if v != 2*gb1.data[i] {
			t.Fatalf("b grad %d after two passes %v, want %v", i, v, 2*gb1.data[i])
		}
	}
	if gb1.data[0] != 5 {
		t.Errorf("bias grad of a sum over 5 rows is %v, want 5", gb1.data[0])
	}
}

func TestNoGradAndDetach(t *testing.T) {
	w := randT(1, 3).SetRequiresGrad(true)
	var y *Tensor
	NoGrad(func() {
		if GradEnabled() {
			t.Error("GradEnabled inside NoGrad")
		}
		NoGrad(func() {})
		if GradEnabled() {
			t.Error("nested NoGrad re-enabled gradients")
		}
		y = w.MulScalar(2)
	})
	if !GradEnabled() {
		t.Error("GradEnabled false after NoGrad")
	}
	if y.RequiresGrad() {
		t.Error("result computed under NoGrad requires grad")
	}
	d := w.Detach()
	if d.RequiresGrad() || &d.Data()[0] != &w.Data()[0] {
		t.Error("Detach must share data and drop the graph")
	}
	z := w.MulScalar(2)
	if !z.RequiresGrad() || z.IsLeaf() {
		t.Error("op on a parameter must record the graph")
	}
	// A panic inside NoGrad must not leave gradients off.
	func() {
		defer func() { _ = recover() }()
		NoGrad(func() { panic("boom") })
	}()
	if !GradEnabled() {
		t.Error("panic inside NoGrad left gradients disabled")
	}
}

func TestBackwardErrors(t *testing.T) {
	w := randT(1, 3).SetRequiresGrad(true)
	mustPanic(t, "non-scalar", func() { w.MulScalar(2).Backward() }, "only for scalar outputs", "[3]", "BackwardWith")
	mustPanic(t, "no grad", func() { randT(1, 3).Sum().Backward() }, "does not require grad")
	loss := w.Sum()
	loss.Backward()
	mustPanic(t, "twice", func() { loss.Backward() }, "already released", "RetainGraph")
	mustPanic(t, "bad grad shape", func() { w.MulScalar(2).BackwardWith(Ones(4)) }, "[4]", "[3]")
	mustPanic(t, "int requires grad", func() { Arange(3).SetRequiresGrad(true) }, "Int")
	mustPanic(t, "non-leaf", func() { w.MulScalar(1).SetRequiresGrad(true) }, "not a leaf")
}

func TestShapeErrors(t *testing.T) {
	mustPanic(t, "matmul", func() { Zeros(64, 784).MatMul(Zeros(50, 10)) }, "matmul", "(64x784 and 50x10)", "cannot be multiplied")
	mustPanic(t, "add", func() { Zeros(3, 4).Add(Zeros(3)) }, "add", "[3 4]", "[3]")
	mustPanic(t, "linear", func() { Linear(Zeros(2, 3), Zeros(4, 5), nil) }, "linear", "(2x3 and 5x4)", "in_features=5")
	mustPanic(t, "linear bias", func() { Linear(Zeros(2, 3), Zeros(4, 3), Zeros(5)) }, "bias", "[5]")
	mustPanic(t, "reshape", func() { Zeros(3, 4).Reshape(5, -1) }, "reshape", "[5, -1]", "size 12")
	mustPanic(t, "new", func() { New(make([]float32, 5), 2, 3) }, "New", "[2 3]")
	mustPanic(t, "index", func() { Zeros(3, 2).IndexSelect(FromInts([]int{3})) }, "index_select", "3", "[3 2]")
	mustPanic(t, "index not int", func() { Zeros(3, 2).IndexSelect(New([]float32{0.5})) }, "not an integer")
	mustPanic(t, "gather", func() { Zeros(3, 2).Index(Arange(3), FromInts([]int{0, 2, 1})) }, "index", "2")
	mustPanic(t, "dim", func() { Zeros(3, 2).SumDim(2, false) }, "sum", "out of range", "[-2, 1]", "got 2")
	mustPanic(t, "stack", func() { Stack([]*Tensor{Zeros(2), Zeros(3)}) }, "stack", "[3]", "[2]")
	mustPanic(t, "cat", func() { Cat([]*Tensor{Zeros(2, 2), Zeros(3, 3)}, 0) }, "cat", "[3 3]")
	mustPanic(t, "item", func() { Zeros(2).Item() }, "Item", "[2]")
	mustPanic(t, "slice", func() { Zeros(4, 2).Slice(3, 2) }, "slice", "[4 2]")
	mustPanic(t, "at", func() { Zeros(4, 2).At(4, 0) }, "At", "[4 2]")
}

// TestBroadcastTable lists result shapes and values of broadcasting,
// checked element by element against an explicit loop.
func TestBroadcastTable(t *testing.T) {
	table := []struct {
		a, b, out []int
	}{
		{[]int{3, 4}, []int{3, 4}, []int{3, 4}},
		{[]int{3, 4}, []int{4}, []int{3, 4}},
		{[]int{3, 4}, []int{1, 4}, []int{3, 4}},
		{[]int{3, 4}, []int{3, 1}, []int{3, 4}},
		{[]int{3, 1}, []int{1, 4}, []int{3, 4}},
		{[]int{3, 4}, []int{}, []int{3, 4}},
		{[]int{}, []int{}, []int{}},
		{[]int{2, 1, 4}, []int{3, 1}, []int{2, 3, 4}},
		{[]int{5, 1, 3}, []int{1, 2, 1}, []int{5, 2, 3}},
		{[]int{1}, []int{7}, []int{7}},
		{[]int{0, 3}, []int{3}, []int{0, 3}},
	}
	for _, c := range table {
		a, b := randT(1, c.a...), randT(2, c.b...)
		got := a.Add(b)
		if !got.Shape().Equal(c.out) {
			t.Errorf("%v + %v: shape %v, want %v", Shape(c.a), Shape(c.b), got.Shape(), Shape(c.out))
			continue
		}
		checkBroadcastValues(t, a, b, got)
	}
	for _, bad := range [][2][]int{{{3, 4}, {3}}, {{2, 3}, {3, 2}}, {{4, 1, 3}, {2, 3, 3}}} {
		if _, err := BroadcastShapes(bad[0], bad[1]); err == nil {
			t.Errorf("BroadcastShapes(%v, %v) succeeded", Shape(bad[0]), Shape(bad[1]))
		}
	}
}

// checkBroadcastValues verifies out = a + b by explicit index arithmetic.
func checkBroadcastValues(t *testing.T, a, b, out *Tensor) {
	t.Helper()
	n := len(out.shape)
	idx := make([]int, n)
	at := func(x *Tensor) float32 {
		off := 0
		for i, d := range x.shape {
			j := idx[n-len(x.shape)+i]
			if d == 1 {
				j = 0
			}
			off = off*d + j
		}
		return x.data[off]
	}
	for k := range out.data {
		rem := k
		for i := n - 1; i >= 0; i-- {
			idx[i] = rem % out.shape[i]
			rem /= out.shape[i]
		}
		if want := at(a) + at(b); out.data[k] != want {
			t.Fatalf("%v + %v: element %d = %v, want %v", a.shape, b.shape, k, out.data[k], want)
		}
	}
}

func TestDTypes(t *testing.T) {
	y := FromInts([]int{5, 0, 4})
	if y.DType() != Int || y.Max().DType() != Int || y.Max().AddScalar(1).DType() != Int {
		t.Error("Max()+1 of Int labels must stay Int")
	}
	if c := y.Max().AddScalar(1).Item(); c != 6 {
		t.Errorf("y.Max()+1 = %v", c)
	}
	if y.Float().DType() != Float32 || y.Mean().DType() != Float32 || y.DivScalar(2).DType() != Float32 {
		t.Error("Float, Mean, Div give Float32")
	}
	if y.AddScalar(0.5).DType() != Float32 {
		t.Error("Int + 0.5 must be Float32")
	}
	pred := New([]float32{0.1, 0.9, 0.8, 0.2, 0.3, 0.7}, 3, 2).ArgMax(1)
	if pred.DType() != Int || pred.String() != "tensor([1, 0, 1])" {
		t.Errorf("argmax: %v", pred)
	}
	acc := pred.Eq(FromInts([]int{1, 1, 1})).Mean()
	if acc.Item() < 0.66 || acc.Item() > 0.67 {
		t.Errorf("accuracy %v, want 2/3", acc.Item())
	}
	if got := FromInts([]int{3, -2}).Ints(); got[0] != 3 || got[1] != -2 {
		t.Errorf("Ints: %v", got)
	}
}

func TestConstructors(t *testing.T) {
	if s := Arange(5).String(); s != "tensor([0, 1, 2, 3, 4])" {
		t.Error(s)
	}
	if s := ArangeF(0, 1, 0.25).String(); s != "tensor([0.0000, 0.2500, 0.5000, 0.7500])" {
		t.Error(s)
	}
	if s := Linspace(0, 1, 5).String(); s != "tensor([0.0000, 0.2500, 0.5000, 0.7500, 1.0000])" {
		t.Error(s)
	}
	if s := Full(2, 2, 2).String(); s != "tensor([[2., 2.],\n        [2., 2.]])" {
		t.Error(s)
	}
	if s := Scalar(3).Shape().String(); s != "[]" {
		t.Error(s)
	}
	a, b := Randn(NewRNG(3), 1000), Randn(NewRNG(3), 1000)
	for i := range a.data {
		if a.data[i] != b.data[i] {
			t.Fatal("same seed, different values")
		}
	}
	if m := a.Mean().Item(); m > 0.1 || m < -0.1 {
		t.Errorf("randn mean %v", m)
	}
	u := Uniform(NewRNG(4), -2, 3, 1000)
	if u.Min().Item() < -2 || u.Max().Item() >= 3 {
		t.Error("uniform out of range")
	}
	p := RandPerm(NewRNG(5), 10)
	seen := make([]bool, 10)
	for _, v := range p.Ints() {
		seen[v] = true
	}
	for i, s := range seen {
		if !s {
			t.Errorf("RandPerm misses %d: %v", i, p)
		}
	}
	Seed(9)
	r1 := Rand(nil, 3)
	Seed(9)
	if r2 := Rand(nil, 3); r1.String() != r2.String() {
		t.Error("Seed does not reset the default generator")
	}
}

func TestViewsShareData(t *testing.T) {
	x := New([]float32{1, 2, 3, 4, 5, 6}, 3, 2)
	x.Slice(1, 2).Data()[0] = 30
	x.Row(2).Data()[1] = 60
	x.Reshape(6).Data()[0] = 10
	if s := x.String(); s != "tensor([[10.,  2.],\n        [30.,  4.],\n        [ 5., 60.]])" {
		t.Error(s)
	}
	if x.At(-1, -1) != 60 || x.Slice(0, 99).Len() != 3 {
		t.Error("At with negative index or clipped Slice")
	}
}

// The pool must never hand out a buffer that a live tensor still uses:
// after many steps, parameters' gradients stay correct.
func TestBufferReuseIsSafe(t *testing.T) {
	x := randT(1, 8, 5)
	w := randT(2, 3, 5).SetRequiresGrad(true)
	var want []float32
	for i := range 20 {
		h := Linear(x, w, nil)
		loss := h.Mul(h).Mean()
		loss.Backward()
		if i == 0 {
			want = append([]float32(nil), w.Grad().Data()...)
		}
		for j, v := range w.Grad().Data() {
			if v != want[j] {
				t.Fatalf("step %d: grad[%d] = %v, first step %v", i, j, v, want[j])
			}
		}
		if h.Grad() != nil {
			t.Fatal("intermediate kept its gradient after Backward")
		}
		w.ZeroGrad()
	}
}

func TestEmptyAndInPlace(t *testing.T) {
	e := Zeros(0, 3).SetRequiresGrad(true)
	e.Sum().Backward()
	if g := e.Grad(); g == nil || g.Numel() != 0 {
		t.Errorf("grad of an empty tensor: %v", g)
	}
	w := Ones(3).SetRequiresGrad(true)
	w.MulScalar(2).Sum().Backward()
	w.Grad().Zero()
	if w.Grad().Sum().Item() != 0 {
		t.Error("Grad().Zero() did not zero the gradient")
	}
	if s := Zeros(2).Fill(1.5).String(); s != "tensor([1.5000, 1.5000])" {
		t.Error(s)
	}
}

// TestStepAllocationsBounded runs the lesson's training step (batch
// gather, Linear, ReLU, Linear, cross entropy, Backward, SGD) and checks
// that, once warm, a step allocates a fixed small number of objects: the
// outputs and closures of its ops, never gradient buffers again.
func TestStepAllocationsBounded(t *testing.T) {
	rng := NewRNG(3)
	x := Rand(rng, 64, 20)
	y := FromInts([]int{0, 1, 2, 3, 4, 0, 1, 2, 3, 4, 0, 1, 2, 3, 4, 0}, 16).Reshape(16)
	y = Cat([]*Tensor{y, y, y, y}, 0)
	m := newMLP(rng, 20, 8, 5)
	idx := Arange(16)
	for range 3 {
		m.step(x, y, idx, 0.1)
	}
	allocs := testing.AllocsPerRun(50, func() { m.step(x, y, idx, 0.1) })
	t.Logf("%v allocations per step", allocs)
	if raceEnabled {
		t.Skip("the race detector allocates on its own")
	}
	if allocs > 30 {
		t.Errorf("a warm training step makes %v allocations, want at most 30", allocs)
	}
	var first float32
	for i := range 30 {
		l := m.step(x, y, idx, 0.1)
		if i == 0 {
			first = l
		}
		if i == 29 && !(l < first) {
			t.Errorf("loss did not decrease over 30 steps: %v -> %v", first, l)
		}
	}
}

// TestReluKinks pins the gradient at and around the kink (0 at a == v, as
// PyTorch's relu and clamp(min)) and the handling of -0 and infinities.
func TestReluKinks(t *testing.T) {
	negZero := float32(math.Copysign(0, -1))
	x := New([]float32{-1, negZero, 0, 1e-30, 2, float32(math.Inf(1)), float32(math.Inf(-1))}).SetRequiresGrad(true)
	x.Relu().BackwardWith(Full(3, 7))
	if got := x.Grad().String(); got != "tensor([0., 0., 0., 3., 3., 3., 0.])" {
		t.Errorf("relu grad %s", got)
	}
	y := New([]float32{0.5, 1, 1.5}).SetRequiresGrad(true)
	out := y.ClampMin(1)
	out.BackwardWith(Ones(3))
	if got := out.String() + " " + y.Grad().String(); got != "tensor([1.0000, 1.0000, 1.5000], grad_fn=<ClampMinBackward0>) tensor([0., 0., 1.])" {
		t.Errorf("clamp_min: %s", got)
	}
}

// TestEmptyProducts covers products with an empty dimension, which gonum's
// argument checks would reject: the result is all zeros (plus the bias).
func TestEmptyProducts(t *testing.T) {
	if s := Zeros(2, 0).MatMul(Zeros(0, 3)).String(); s != "tensor([[0., 0., 0.],\n        [0., 0., 0.]])" {
		t.Error(s)
	}
	if s := Linear(Zeros(2, 0), Zeros(3, 0), New([]float32{1, 2, 3})).String(); s != "tensor([[1., 2., 3.],\n        [1., 2., 3.]])" {
		t.Error(s)
	}
	x := Zeros(0, 4)
	w := randT(1, 3, 4).SetRequiresGrad(true)
	b := randT(2, 3).SetRequiresGrad(true)
	out := Linear(x, w, b)
	if !out.Shape().Equal(Shape{0, 3}) {
		t.Fatalf("shape %v", out.Shape())
	}
	out.Sum().Backward()
	if w.Grad().Sum().Item() != 0 || b.Grad().Sum().Item() != 0 {
		t.Error("an empty batch must give zero gradients")
	}
}

// TestTransposeUsedTwice sends two gradients through one transpose (the
// accumulate path of T's backward).
func TestTransposeUsedTwice(t *testing.T) {
	gradCheck(t, "t twice", func(in []*Tensor) *Tensor {
		tt := in[0].T()
		return tt.Add(tt.Mul(tt))
	}, randT(1, 3, 5))
}

func TestSmallAccessors(t *testing.T) {
	x := New([]float32{1.7, -2.2, 3}, 3)
	x.Set(5, 0)
	if x.At(0) != 5 || x.Dim() != 1 || x.DType().String() != "float32" {
		t.Error("Set/At/Dim/DType")
	}
	if s := x.AsInt().String(); s != "tensor([ 5, -2,  3])" {
		t.Error(s)
	}
	y := FromInts([]int{2, 3})
	if p := y.Mul(y); p.DType() != Int || p.String() != "tensor([4, 9])" {
		t.Errorf("Int*Int = %v", p)
	}
	if y.DType().String() != "int" {
		t.Error(y.DType())
	}
	mustPanic(t, "len of scalar", func() { Scalar(1).Len() }, "0-d")
}

// TestReuseAfterBackward uses an intermediate result, whose graph was
// released by a first Backward, in a new computation: with gradients on
// that panics (it used to act silently as a constant); under NoGrad, or
// detached, its values serve as before.
func TestReuseAfterBackward(t *testing.T) {
	w := New([]float32{2, 3}).SetRequiresGrad(true)
	h := w.MulScalar(2)
	h.Sum().Backward()
	w.ZeroGrad()
	v := New([]float32{1, 1}).SetRequiresGrad(true)
	mustPanic(t, "record on released", func() { h.Mul(v) }, "MulBackward0", "already released", "Detach", "RetainGraph")
	h.Detach().Mul(v).Sum().Backward()
	if got := v.Grad().String(); got != "tensor([4., 6.])" {
		t.Errorf("v grad %s", got)
	}
	if got := w.Grad().String(); got != "tensor([0., 0.])" {
		t.Errorf("w grad through a detached tensor: %s", got)
	}
	NoGrad(func() {
		if got := h.Mul(v).String(); got != "tensor([4., 6.])" {
			t.Errorf("released tensor under NoGrad: %s", got)
		}
	})
	if got := h.String(); got != "tensor([4., 6.], grad_fn=<MulBackward1>)" {
		t.Errorf("released tensor prints %s", got)
	}
}
