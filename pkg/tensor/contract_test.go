package tensor

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// The gradient contract and the graph's lifetime, each trap of a user's
// view as a test: every backward adds, ZeroGrad clears eagerly, Grad reads
// without side effects, released graphs are errors.

// TestGradViewSeesZeroGrad: a view taken before ZeroGrad shows the zeros
// right after it (it used to keep the old values until the next Grad call).
func TestGradViewSeesZeroGrad(t *testing.T) {
	w := New([]float32{1, 2, 3}).SetRequiresGrad(true)
	x := New([]float32{4, 5, 6})
	w.Mul(x).Sum().Backward()
	g := w.Grad()
	w.ZeroGrad()
	if got := g.String(); got != "tensor([0., 0., 0.])" {
		t.Fatalf("view taken before ZeroGrad shows %s after it, want zeros", got)
	}
	w.Mul(x).Sum().Backward()
	if got := g.String(); got != "tensor([4., 5., 6.])" {
		t.Fatalf("view after ZeroGrad and Backward shows %s, want x", got)
	}
}

// TestGradHasNoSideEffect: calling Grad changes nothing that a view held
// before shows (it used to clear the buffer on the first read after
// ZeroGrad, so the held view changed when someone else read the gradient).
func TestGradHasNoSideEffect(t *testing.T) {
	w := New([]float32{1, 2}).SetRequiresGrad(true)
	w.MulScalar(3).Sum().Backward()
	g := w.Grad()
	w.ZeroGrad()
	for _, step := range []func(){func() {}, func() { w.MulScalar(2).Sum().Backward() }} {
		step()
		before := g.String()
		for range 3 {
			w.Grad()
		}
		if after := g.String(); after != before {
			t.Fatalf("reading Grad changed a held view from %s to %s", before, after)
		}
	}
	if got := g.String(); got != "tensor([2., 2.])" {
		t.Errorf("view shows %s, want tensor([2., 2.])", got)
	}
	if w.Grad() != g {
		t.Error("Grad returned a different view of the same gradient")
	}
}

// TestEveryBackwardAdds runs each differentiable op's backward twice into
// a gradient that already holds values: the result must be the gradient of
// one pass plus twice the new one, so no op overwrites.
func TestEveryBackwardAdds(t *testing.T) {
	for _, c := range opCases() {
		t.Run(c.name, func(t *testing.T) {
			ins := c.inputs()
			for _, in := range ins {
				in.SetRequiresGrad(true)
			}
			c.f(ins).Sum().Backward()
			once := make([]*Tensor, len(ins))
			for i, in := range ins {
				once[i] = in.Grad().Clone()
			}
			c.f(ins).Sum().Backward()
			c.f(ins).Sum().Backward()
			for i, in := range ins {
				want := once[i].MulScalar(3)
				if !in.Grad().AllClose(want, 1e-5, 1e-5) {
					t.Errorf("input %d: three passes give %v, want 3 × %v", i, in.Grad(), once[i])
				}
			}
		})
	}
}

type opCase struct {
	name, gradFn string
	inputs       func() []*Tensor
	f            func(in []*Tensor) *Tensor
}

// opCases lists every differentiable op with the PyTorch name it records.
func opCases() []opCase {
	two := func(a, b []int) func() []*Tensor {
		return func() []*Tensor { return []*Tensor{randT(1, a...), randT(2, b...)} }
	}
	one := func(s ...int) func() []*Tensor { return func() []*Tensor { return []*Tensor{randT(3, s...)} } }
	pos := func(s ...int) func() []*Tensor { return func() []*Tensor { return []*Tensor{posT(4, s...)} } }
	rows, cols := FromInts([]int{0, 2, 1}), FromInts([]int{1, 0, 1})
	return []opCase{
		{"add", "AddBackward0", two([]int{3, 4}, []int{4}), func(in []*Tensor) *Tensor { return in[0].Add(in[1]) }},
		{"sub", "SubBackward0", two([]int{3, 1}, []int{1, 4}), func(in []*Tensor) *Tensor { return in[0].Sub(in[1]) }},
		{"mul", "MulBackward0", two([]int{3, 4}, []int{3, 1}), func(in []*Tensor) *Tensor { return in[0].Mul(in[1]) }},
		{"div", "DivBackward0", func() []*Tensor { return []*Tensor{randT(1, 3, 4), posT(2, 4)} }, func(in []*Tensor) *Tensor { return in[0].Div(in[1]) }},
		{"add_scalar", "AddBackward1", one(3), func(in []*Tensor) *Tensor { return in[0].AddScalar(2) }},
		{"sub_scalar", "SubBackward1", one(3), func(in []*Tensor) *Tensor { return in[0].SubScalar(2) }},
		{"mul_scalar", "MulBackward1", one(3), func(in []*Tensor) *Tensor { return in[0].MulScalar(2) }},
		{"div_scalar", "DivBackward1", one(3), func(in []*Tensor) *Tensor { return in[0].DivScalar(2) }},
		{"neg", "NegBackward0", one(3), func(in []*Tensor) *Tensor { return in[0].Neg() }},
		{"exp", "ExpBackward0", one(3), func(in []*Tensor) *Tensor { return in[0].Exp() }},
		{"log", "LogBackward0", pos(3), func(in []*Tensor) *Tensor { return in[0].Log() }},
		{"sqrt", "SqrtBackward0", pos(3), func(in []*Tensor) *Tensor { return in[0].Sqrt() }},
		{"pow", "PowBackward0", pos(3), func(in []*Tensor) *Tensor { return in[0].Pow(3) }},
		{"relu", "ReluBackward0", one(5), func(in []*Tensor) *Tensor { return in[0].Relu() }},
		{"clamp_min", "ClampMinBackward0", one(5), func(in []*Tensor) *Tensor { return in[0].ClampMin(0.1) }},
		{"matmul", "MmBackward0", two([]int{3, 4}, []int{4, 2}), func(in []*Tensor) *Tensor { return in[0].MatMul(in[1]) }},
		{"linear", "AddmmBackward0", func() []*Tensor { return []*Tensor{randT(1, 3, 4), randT(2, 2, 4), randT(3, 2)} },
			func(in []*Tensor) *Tensor { return Linear(in[0], in[1], in[2]) }},
		{"linear_nobias", "MmBackward0", two([]int{3, 4}, []int{2, 4}), func(in []*Tensor) *Tensor { return Linear(in[0], in[1], nil) }},
		{"t", "TBackward0", one(3, 2), func(in []*Tensor) *Tensor { return in[0].T() }},
		{"sum", "SumBackward0", one(3, 2), func(in []*Tensor) *Tensor { return in[0].Sum() }},
		{"mean", "MeanBackward0", one(3, 2), func(in []*Tensor) *Tensor { return in[0].Mean() }},
		{"max", "MaxBackward1", one(3, 2), func(in []*Tensor) *Tensor { return in[0].Max() }},
		{"sum_dim", "SumBackward1", one(3, 2), func(in []*Tensor) *Tensor { return in[0].SumDim(0, false) }},
		{"mean_dim", "MeanBackward1", one(3, 2), func(in []*Tensor) *Tensor { return in[0].MeanDim(1, true) }},
		{"max_dim", "MaxBackward0", one(3, 2), func(in []*Tensor) *Tensor { return in[0].MaxDim(1, false) }},
		{"logsumexp", "LogsumexpBackward0", one(3, 2), func(in []*Tensor) *Tensor { return in[0].LogSumExp(1, false) }},
		{"index_select", "IndexSelectBackward0", one(3, 2), func(in []*Tensor) *Tensor { return in[0].IndexSelect(FromInts([]int{2, 0, 2})) }},
		{"index", "IndexBackward0", one(3, 2), func(in []*Tensor) *Tensor { return in[0].Index(rows, cols) }},
		{"reshape", "ViewBackward0", one(3, 2), func(in []*Tensor) *Tensor { return in[0].Reshape(2, 3) }},
		{"slice", "SliceBackward0", one(3, 2), func(in []*Tensor) *Tensor { return in[0].Slice(1, 3) }},
		{"row", "SelectBackward0", one(3, 2), func(in []*Tensor) *Tensor { return in[0].Row(1) }},
		{"stack", "StackBackward0", two([]int{2}, []int{2}), func(in []*Tensor) *Tensor { return Stack(in) }},
		{"cat", "CatBackward0", two([]int{2, 2}, []int{1, 2}), func(in []*Tensor) *Tensor { return Cat(in, 0) }},
		{"new_op", "NllLossBackward0", one(5, 4), func(in []*Tensor) *Tensor { return crossEntropy(in[0], FromInts([]int{0, 3, 1, 1, 2})) }},
	}
}

// TestGradFnNames: every non-leaf records its op under PyTorch's name, and
// GraphInputs gives the recorded inputs until Backward releases them.
func TestGradFnNames(t *testing.T) {
	for _, c := range opCases() {
		ins := c.inputs()
		for _, in := range ins {
			in.SetRequiresGrad(true)
		}
		out := c.f(ins)
		if out.GradFn() != c.gradFn || out.IsLeaf() {
			t.Errorf("%s: GradFn %q (leaf %v), want %q", c.name, out.GradFn(), out.IsLeaf(), c.gradFn)
		}
		gi := out.GraphInputs()
		if len(gi) != len(ins) {
			t.Errorf("%s: %d graph inputs, want %d", c.name, len(gi), len(ins))
		}
		for i := range gi {
			if i < len(ins) && gi[i] != ins[i] {
				t.Errorf("%s: graph input %d is not the op's input %d", c.name, i, i)
			}
		}
		var plain *Tensor
		NoGrad(func() { plain = c.f(ins) })
		if plain.GradFn() != "" || plain.GraphInputs() != nil {
			t.Errorf("%s under NoGrad recorded %q", c.name, plain.GradFn())
		}
	}
	w := randT(1, 2).SetRequiresGrad(true)
	if w.GradFn() != "" || w.GraphInputs() != nil || !w.IsLeaf() {
		t.Errorf("a leaf has GradFn %q and inputs %v", w.GradFn(), w.GraphInputs())
	}
	loss := w.MulScalar(2).Sum()
	loss.Backward()
	if loss.GradFn() != "SumBackward0" || loss.GraphInputs() != nil || loss.IsLeaf() {
		t.Errorf("after Backward: GradFn %q, inputs %v, leaf %v; want the name kept, no inputs, not a leaf", loss.GradFn(), loss.GraphInputs(), loss.IsLeaf())
	}
}

// TestPrintGradFn: printing shows grad_fn as PyTorch does.
func TestPrintGradFn(t *testing.T) {
	x := New([]float32{1, 2, 3, 4, 5, 6}, 2, 3).SetRequiresGrad(true)
	for _, c := range []struct {
		got  *Tensor
		want string
	}{
		{x.Sum(), "tensor(21., grad_fn=<SumBackward0>)"},
		{x.Row(0).Relu(), "tensor([1., 2., 3.], grad_fn=<ReluBackward0>)"},
		{crossEntropy(x, FromInts([]int{0, 1})), "tensor(1.9076, grad_fn=<NllLossBackward0>)"},
		{x.Row(1), "tensor([4., 5., 6.], grad_fn=<SelectBackward0>)"},
		{New([]float32{1}).SetRequiresGrad(true), "tensor([1.], requires_grad=True)"},
		{x.Detach().Sum(), "tensor(21.)"},
	} {
		if s := c.got.String(); s != c.want {
			t.Errorf("got %s, want %s", s, c.want)
		}
	}
}

// TestSecondBackwardPanics: a second Backward through a released graph,
// directly or through a second loss sharing an intermediate, panics as
// PyTorch's "Trying to backward through the graph a second time" does,
// and changes no gradient.
func TestSecondBackwardPanics(t *testing.T) {
	w := New([]float32{1, 2}).SetRequiresGrad(true)
	h := w.MulScalar(3)
	loss1, loss2 := h.Sum(), h.Mul(h).Sum()
	loss1.Backward()
	before := w.Grad().Clone()
	want := []string{"backward through the graph a second time", "MulBackward1", "Recompute", "Detach", "RetainGraph"}
	mustPanic(t, "shared intermediate", func() { loss2.Backward() }, want...)
	mustPanic(t, "same loss", func() { loss1.Backward() }, "second time", "SumBackward0", "RetainGraph")
	if !w.Grad().AllClose(before, 0, 0) {
		t.Errorf("a refused Backward changed the gradient from %v to %v", before, w.Grad())
	}
	if got := loss1.Item() + loss2.Item(); got != 9+45 {
		t.Errorf("released losses read %v, want their values 9 + 45", got)
	}
}

// TestRetainGraph: with RetainGraph the graph survives Backward, so a
// second pass and new ops on its intermediates work and add up.
func TestRetainGraph(t *testing.T) {
	w := New([]float32{1, 2}).SetRequiresGrad(true)
	h := w.MulScalar(3)
	loss1, loss2 := h.Sum(), h.Mul(h).Sum()
	loss1.Backward(RetainGraph())
	loss2.Backward(RetainGraph())
	loss1.Backward()
	// ∂/∂w of 2·Σ3w + Σ9w² is 6 + 18w.
	if got := w.Grad().String(); got != "tensor([24., 42.])" {
		t.Errorf("grad after retained passes %s, want tensor([24., 42.])", got)
	}
	mustPanic(t, "released by the last pass", func() { h.AddScalar(1) }, "AddBackward1", "already released")
	w.ZeroGrad()
	x := New([]float32{1, 1}).SetRequiresGrad(true)
	h2 := w.Mul(x)
	h2.Sum().Backward(RetainGraph())
	h2.MulScalar(2).Sum().Backward()
	if got := x.Grad().String(); got != "tensor([3., 6.])" {
		t.Errorf("op recorded on a retained intermediate: x grad %s, want 3w", got)
	}
}

// TestShapeErrorsAreTyped: shape panics carry a *ShapeError, found with
// errors.As, naming the op and shapes, with PyTorch's wording and hints
// for common mistakes.
func TestShapeErrorsAreTyped(t *testing.T) {
	cases := []struct {
		name      string
		f         func()
		op        string
		shapes    []Shape
		msg, hint string
	}{
		{"matmul", func() { Zeros(64, 784).MatMul(Zeros(50, 10)) }, "matmul", []Shape{{64, 784}, {50, 10}},
			"tensor: matmul: mat1 and mat2 shapes cannot be multiplied (64x784 and 50x10)", ""},
		{"matmul transposed weight", func() { Zeros(64, 784).MatMul(Zeros(50, 784)) }, "matmul", []Shape{{64, 784}, {50, 784}},
			"(64x784 and 50x784)", "a.MatMul(b.T())"},
		{"linear hidden size", func() { Linear(Zeros(128, 128), Zeros(10, 64), Zeros(10)) }, "linear", []Shape{{128, 128}, {10, 64}},
			"mat1 and mat2 shapes cannot be multiplied (128x128 and 64x10)", "in_features=64"},
		{"linear image batch", func() { Linear(Zeros(64, 1, 28, 28), Zeros(50, 784), nil) }, "linear", []Shape{{64, 1, 28, 28}, {50, 784}},
			"got [64 1 28 28]", "x.Reshape(64, -1)"},
		{"add", func() { Zeros(3, 4).Add(Zeros(3)) }, "add", []Shape{{3, 4}, {3}},
			"the size of tensor a (4) must match the size of tensor b (3) at non-singleton dimension 1", ""},
		{"reshape", func() { Zeros(3, 4).Reshape(5, -1) }, "reshape", []Shape{{3, 4}, {5, -1}},
			"shape [5, -1] is invalid for input of size 12", ""},
		{"sum dim", func() { Zeros(3, 2).SumDim(2, false) }, "sum", []Shape{{3, 2}},
			"dimension out of range (expected to be in range of [-2, 1], but got 2)", ""},
		{"backward non-scalar", func() { Zeros(3).SetRequiresGrad(true).MulScalar(2).Backward() }, "Backward", []Shape{{3}},
			"grad can be implicitly created only for scalar outputs", "BackwardWith"},
		{"new", func() { New(make([]float32, 5), 2, 3) }, "New", []Shape{{2, 3}}, "5 values do not fit shape [2 3]", ""},
		{"item", func() { Zeros(2).Item() }, "Item", []Shape{{2}}, "a tensor with 2 elements", ""},
		{"stack", func() { Stack([]*Tensor{Zeros(2), Zeros(3)}) }, "stack", []Shape{{2}, {3}}, "stack expects each tensor to be equal size", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			defer func() {
				r := recover()
				var se *ShapeError
				if err, ok := r.(error); !ok || !errors.As(err, &se) {
					t.Fatalf("panic %v (%T) is not a *ShapeError", r, r)
				}
				if se.Op != c.op || fmt.Sprint(se.Shapes) != fmt.Sprint(c.shapes) {
					t.Errorf("Op %q Shapes %v, want %q %v", se.Op, se.Shapes, c.op, c.shapes)
				}
				if !strings.Contains(se.Error(), c.msg) || !strings.Contains(se.Hint, c.hint) || (c.hint == "") != (se.Hint == "") {
					t.Errorf("error %q (hint %q), want it to contain %q and hint %q", se.Error(), se.Hint, c.msg, c.hint)
				}
			}()
			c.f()
		})
	}
}

// TestGradientAccumulation: the sum of k batches' losses with one
// Backward, k separate Backward calls, and one Backward over the
// concatenated batch (its mean loss scaled by k) give the same gradients.
func TestGradientAccumulation(t *testing.T) {
	const k, n, in, hid, c = 3, 4, 6, 5, 3
	rng := NewRNG(11)
	w1, b1 := Uniform(rng, -1, 1, hid, in).SetRequiresGrad(true), Uniform(rng, -1, 1, hid).SetRequiresGrad(true)
	w2, b2 := Uniform(rng, -1, 1, c, hid).SetRequiresGrad(true), Uniform(rng, -1, 1, c).SetRequiresGrad(true)
	params := []*Tensor{w1, b1, w2, b2}
	xs, ys := make([]*Tensor, k), make([]*Tensor, k)
	for i := range xs {
		xs[i] = Uniform(rng, -1, 1, n, in)
		ys[i] = FromInts([]int{rng.IntN(c), rng.IntN(c), rng.IntN(c), rng.IntN(c)})
	}
	// The lesson's loss from tensor ops: mean of LSE(logits) − logits[i, yᵢ].
	loss := func(x, y *Tensor) *Tensor {
		logits := Linear(Linear(x, w1, b1).Relu(), w2, b2)
		return logits.LogSumExp(1, false).Sub(logits.Index(Arange(y.Len()), y)).Mean()
	}
	grads := func(run func()) []*Tensor {
		for _, p := range params {
			p.ZeroGrad()
		}
		run()
		out := make([]*Tensor, len(params))
		for i, p := range params {
			out[i] = p.Grad().Clone()
		}
		return out
	}
	summed := grads(func() {
		total := loss(xs[0], ys[0])
		for i := 1; i < k; i++ {
			total = total.Add(loss(xs[i], ys[i]))
		}
		total.Backward()
	})
	separate := grads(func() {
		for i := range xs {
			loss(xs[i], ys[i]).Backward()
		}
	})
	concatenated := grads(func() { loss(Cat(xs, 0), Cat(ys, 0)).MulScalar(k).Backward() })
	for i := range params {
		if !summed[i].AllClose(separate[i], 1e-5, 1e-6) || !summed[i].AllClose(concatenated[i], 1e-5, 1e-6) {
			t.Errorf("parameter %d: summed %v, separate %v, concatenated %v", i, summed[i], separate[i], concatenated[i])
		}
	}
}

// TestAddInPlace: the optimizer's update is allowed only where it is not
// recorded, and goes into the tensor's own storage.
func TestAddInPlace(t *testing.T) {
	p := New([]float32{1, 2}).SetRequiresGrad(true)
	p.MulScalar(3).Sum().Backward()
	mustPanic(t, "in place with grad on", func() { p.AddInPlace(p.Grad(), -1) }, "in-place", "NoGrad")
	d := p.Data()
	NoGrad(func() { p.AddInPlace(p.Grad(), -0.5) })
	if d[0] != -0.5 || d[1] != 0.5 {
		t.Errorf("AddInPlace gave %v, want [-0.5 0.5] in the same storage", d)
	}
}

// TestGradZeroCount counts every way of zeroing a gradient.
func TestGradZeroCount(t *testing.T) {
	p := New([]float32{1, 2}).SetRequiresGrad(true)
	p.Sum().Backward()
	c0 := p.GradZeroCount()
	p.ZeroGrad()
	p.Grad().Zero()
	p.Grad().Clone().Zero() // a copy is not the gradient
	if got := p.GradZeroCount() - c0; got != 2 {
		t.Errorf("GradZeroCount went up by %d, want 2", got)
	}
}
