package nn_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/fastgo/fastgo/pkg/nn"
	"github.com/fastgo/fastgo/pkg/tensor"
)

// reference is testdata/reference.json, written by testdata/make_reference.py
// with PyTorch.
type reference struct {
	TorchVersion string `json:"torch_version"`
	CrossEntropy struct {
		Shape      []int     `json:"shape"`
		Logits     []float32 `json:"logits"`
		Target     []int     `json:"target"`
		Loss       float64   `json:"loss"`
		Grad       []float32 `json:"grad"`
		LogSoftmax []float32 `json:"log_softmax"`
		NLL        float64   `json:"nll"`
	} `json:"cross_entropy"`
	MSE struct {
		Shape  []int     `json:"shape"`
		Pred   []float32 `json:"pred"`
		Target []float32 `json:"target"`
		Loss   float64   `json:"loss"`
		Grad   []float32 `json:"grad"`
	} `json:"mse"`
	SGD []sgdCase `json:"sgd"`
}

type sgdCase struct {
	Name    string             `json:"name"`
	Opts    map[string]float64 `json:"opts"`
	X       []float32          `json:"x"`
	XShape  []int              `json:"x_shape"`
	Y       []int              `json:"y"`
	Shapes  [][]int            `json:"shapes"`
	Params0 [][]float32        `json:"params0"`
	Steps   []struct {
		Loss   float64     `json:"loss"`
		Params [][]float32 `json:"params"`
	} `json:"steps"`
}

func loadReference(t testing.TB) *reference {
	t.Helper()
	b, err := os.ReadFile("testdata/reference.json")
	if err != nil {
		t.Fatalf("reading PyTorch reference values: %v (regenerate with testdata/make_reference.py)", err)
	}
	var r reference
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatalf("testdata/reference.json: %v", err)
	}
	return &r
}

func clone(d []float32) []float32 { return append([]float32(nil), d...) }

// near reports whether got is within abs + rel·|want| of want.
func near(got, want, abs, rel float64) bool {
	return math.Abs(got-want) <= abs+rel*math.Abs(want)
}

func checkClose(t *testing.T, what string, got, want []float32, abs, rel float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	for i := range got {
		if !near(float64(got[i]), float64(want[i]), abs, rel) {
			t.Fatalf("%s[%d] = %v, want %v (±%g+%g·|want|)", what, i, got[i], want[i], abs, rel)
		}
	}
}

func TestCrossEntropyMatchesPyTorch(t *testing.T) {
	ref := loadReference(t).CrossEntropy
	x := tensor.New(clone(ref.Logits), ref.Shape...).SetRequiresGrad(true)
	y := tensor.FromInts(ref.Target, len(ref.Target))
	loss := nn.CrossEntropy(x, y)
	if got := float64(loss.Item()); !near(got, ref.Loss, 1e-6, 1e-6) {
		t.Errorf("CrossEntropy = %v, PyTorch %v", got, ref.Loss)
	}
	loss.Backward()
	checkClose(t, "CrossEntropy grad", x.Grad().Data(), ref.Grad, 1e-7, 1e-5)

	// The fused loss equals the composition it replaces, and PyTorch's nll_loss.
	ls := nn.LogSoftmax(tensor.New(clone(ref.Logits), ref.Shape...))
	checkClose(t, "LogSoftmax", ls.Data(), ref.LogSoftmax, 1e-5, 1e-6)
	nll := float64(nn.NLL(ls, y).Item())
	if !near(nll, ref.NLL, 1e-6, 1e-6) {
		t.Errorf("NLL(LogSoftmax) = %v, PyTorch %v", nll, ref.NLL)
	}
	if !near(nll, float64(loss.Item()), 1e-6, 1e-6) {
		t.Errorf("NLL(LogSoftmax) = %v but CrossEntropy = %v", nll, loss.Item())
	}
}

func TestCrossEntropyEqualsNLLLogSoftmax(t *testing.T) {
	rng := tensor.NewRNG(7)
	for _, sz := range [][2]int{{1, 2}, {64, 10}, {33, 7}} {
		n, c := sz[0], sz[1]
		x := tensor.Randn(rng, n, c).MulScalar(4)
		labels := make([]int, n)
		for i := range labels {
			labels[i] = rng.IntN(c)
		}
		y := tensor.FromInts(labels, n)
		ce := nn.CrossEntropy(x, y).Item()
		nll := nn.NLL(nn.LogSoftmax(x), y).Item()
		// And by the definition, in float64: mean of log Σ exp − x[t].
		var want float64
		xd := x.Data()
		for i := range n {
			var s float64
			for j := range c {
				s += math.Exp(float64(xd[i*c+j]))
			}
			want += math.Log(s) - float64(xd[i*c+labels[i]])
		}
		want /= float64(n)
		if !near(float64(ce), want, 1e-5, 1e-5) || !near(float64(nll), want, 1e-5, 1e-5) {
			t.Errorf("[%d %d]: CrossEntropy %v, NLL(LogSoftmax) %v, definition %v", n, c, ce, nll, want)
		}
	}
}

// Equal logits over 1000 classes make every row's exp sum 1000; over 512
// rows their product (1000⁵¹²) is far beyond float64, and the loss must
// still be exactly log 1000.
func TestCrossEntropyManyRowsManyClasses(t *testing.T) {
	const n, c = 512, 1000
	labels := make([]int, n)
	for i := range labels {
		labels[i] = i % c
	}
	loss := nn.CrossEntropy(tensor.Zeros(n, c), tensor.FromInts(labels, n)).Item()
	if want := math.Log(c); !near(float64(loss), want, 1e-6, 0) {
		t.Errorf("loss %v, want log %d = %v", loss, c, want)
	}
}

func TestLogSoftmaxStableOnHugeLogits(t *testing.T) {
	x := tensor.New([]float32{1000, -1000, 0, 999, -1000, -1000, -1001, -999}, 2, 4)
	got := nn.LogSoftmax(x).Data()
	for i, v := range got {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			t.Fatalf("LogSoftmax of ±1000 logits: element %d = %v", i, v)
		}
	}
	// Row 0: log(1 + e⁻¹) ≈ 0.3133 subtracted from 1000 and 999.
	// Row 1: log(2e⁻¹ + e⁻² + 1) ≈ 0.6265 above the largest, −999.
	want := []float32{-0.31326166, -2000.3132, -1000.3132, -1.3132616,
		-1.6265259, -1.6265259, -2.6265259, -0.6265259}
	checkClose(t, "LogSoftmax(±1000)", got, want, 1e-4, 1e-6)
	// The naive formula overflows on the same input, which is why LSE exists.
	if naive := float32(math.Exp(1000)); !math.IsInf(float64(naive), 1) {
		t.Fatal("exp(1000) should overflow float32")
	}
	if l := nn.CrossEntropy(x, tensor.FromInts([]int{1, 2}, 2)).Item(); math.IsInf(float64(l), 0) || math.IsNaN(float64(l)) {
		t.Errorf("CrossEntropy on ±1000 logits = %v", l)
	}
}

func TestLogSumExp(t *testing.T) {
	ref := loadReference(t).CrossEntropy
	x := tensor.New(clone(ref.Logits), ref.Shape...)
	lse := nn.LogSumExp(x)
	if got := lse.Shape().String(); got != "[8]" {
		t.Fatalf("LogSumExp shape %s, want [8]", got)
	}
	// log_softmax = x − LSE, so x − log_softmax is LSE in every column.
	n, c := ref.Shape[0], ref.Shape[1]
	for i := range n {
		for j := range c {
			want := float64(ref.Logits[i*c+j]) - float64(ref.LogSoftmax[i*c+j])
			if got := float64(lse.Data()[i]); !near(got, want, 1e-4, 1e-6) {
				t.Fatalf("LogSumExp row %d = %v, want %v from PyTorch's log_softmax", i, got, want)
			}
		}
	}
}

func TestMSEMatchesPyTorch(t *testing.T) {
	ref := loadReference(t).MSE
	p := tensor.New(clone(ref.Pred), ref.Shape...).SetRequiresGrad(true)
	loss := nn.MSE(p, tensor.New(clone(ref.Target), ref.Shape...))
	if got := float64(loss.Item()); !near(got, ref.Loss, 1e-6, 1e-6) {
		t.Errorf("MSE = %v, PyTorch %v", got, ref.Loss)
	}
	loss.Backward()
	checkClose(t, "MSE grad", p.Grad().Data(), ref.Grad, 1e-7, 1e-5)
	// [n 1] against [n] is the lesson-02 squeeze, not a broadcast to [n n].
	a := tensor.New([]float32{1, 2, 3}, 3, 1)
	b := tensor.New([]float32{1, 0, 0}, 3)
	if got := nn.MSE(a, b).Item(); got != 13.0/3 {
		t.Errorf("MSE([3 1], [3]) = %v, want 13/3", got)
	}
}

// gradCheck compares the analytic gradient of f at x0 with central finite
// differences. f's output is reduced to a scalar by a fixed random weighting
// r (for a scalar output, r = [1]), so the whole Jacobian is exercised.
func gradCheck(t *testing.T, name string, shape []int, x0 []float32, f func(x *tensor.Tensor) *tensor.Tensor) {
	t.Helper()
	x := tensor.New(clone(x0), shape...).SetRequiresGrad(true)
	out := f(x)
	rng := tensor.NewRNG(99)
	r := tensor.Randn(rng, out.Shape()...)
	if out.Numel() == 1 {
		r = tensor.Full(1, out.Shape()...)
	}
	out.BackwardWith(r)
	analytic := x.Grad().Data()
	value := func(xd []float32) float64 {
		var v float64
		tensor.NoGrad(func() {
			o := f(tensor.New(xd, shape...)).Data()
			for i, w := range r.Data() {
				v += float64(w) * float64(o[i])
			}
		})
		return v
	}
	const eps = 1e-2
	for i := range x0 {
		xp, xm := clone(x0), clone(x0)
		xp[i] += eps
		xm[i] -= eps
		num := (value(xp) - value(xm)) / (2 * eps)
		if !near(float64(analytic[i]), num, 2e-3, 1e-2) {
			t.Fatalf("%s: d/dx[%d]: backward %v, finite difference %v", name, i, analytic[i], num)
		}
	}
}

func TestGradients(t *testing.T) {
	rng := tensor.NewRNG(5)
	x0 := tensor.Randn(rng, 6, 5).MulScalar(2).Data()
	y := tensor.FromInts([]int{4, 0, 2, 2, 1, 3}, 6)
	gradCheck(t, "CrossEntropy", []int{6, 5}, x0, func(x *tensor.Tensor) *tensor.Tensor { return nn.CrossEntropy(x, y) })
	gradCheck(t, "LogSoftmax", []int{6, 5}, x0, nn.LogSoftmax)
	gradCheck(t, "NLL", []int{6, 5}, x0, func(x *tensor.Tensor) *tensor.Tensor { return nn.NLL(x, y) })
	gradCheck(t, "NLL(LogSoftmax)", []int{6, 5}, x0, func(x *tensor.Tensor) *tensor.Tensor { return nn.NLL(nn.LogSoftmax(x), y) })
	tgt := tensor.Randn(rng, 6, 5)
	gradCheck(t, "MSE wrt pred", []int{6, 5}, x0, func(x *tensor.Tensor) *tensor.Tensor { return nn.MSE(x, tgt) })
	gradCheck(t, "MSE wrt target", []int{6, 5}, x0, func(x *tensor.Tensor) *tensor.Tensor { return nn.MSE(tgt, x) })
	// The losses scale an upstream gradient: d(3·loss) = 3·d(loss).
	gradCheck(t, "3·CrossEntropy", []int{6, 5}, x0, func(x *tensor.Tensor) *tensor.Tensor { return nn.CrossEntropy(x, y).MulScalar(3) })
}

func expectPanic(t *testing.T, what string, f func(), wants ...string) {
	t.Helper()
	defer func() {
		t.Helper()
		r := recover()
		if r == nil {
			t.Errorf("%s: no panic", what)
			return
		}
		msg := fmt.Sprint(r)
		for _, w := range wants {
			if !strings.Contains(msg, w) {
				t.Errorf("%s: panic %q does not mention %q", what, msg, w)
			}
		}
	}()
	f()
}

func TestLabelOutOfRangePanics(t *testing.T) {
	x := tensor.Zeros(3, 10)
	expectPanic(t, "CrossEntropy label 10", func() { nn.CrossEntropy(x, tensor.FromInts([]int{1, 2, 10}, 3)) },
		"cross_entropy", "target[2] = 10", "[0, 10)", "10 classes")
	expectPanic(t, "NLL label -1", func() { nn.NLL(x, tensor.FromInts([]int{-1, 2, 3}, 3)) },
		"nll", "target[0] = -1", "10 classes")
	expectPanic(t, "fractional label", func() { nn.CrossEntropy(x, tensor.New([]float32{1, 2.5, 3}, 3)) },
		"target[1] = 2.5")
	expectPanic(t, "Accuracy label", func() { nn.Accuracy(x, tensor.FromInts([]int{0, 0, 12}, 3)) },
		"target[2] = 12", "10 classes")
	expectPanic(t, "target length", func() { nn.CrossEntropy(x, tensor.FromInts([]int{1, 2}, 2)) },
		"[3]", "[2]", "[3 10]")
	expectPanic(t, "1-D logits", func() { nn.CrossEntropy(tensor.Zeros(10), tensor.FromInts([]int{1}, 1)) },
		"2-D", "[10]")
	expectPanic(t, "MSE shapes", func() { nn.MSE(tensor.Zeros(3, 2), tensor.Zeros(2, 3)) }, "[3 2]", "[2 3]")
}

func TestAccuracy(t *testing.T) {
	x := tensor.New([]float32{
		0.1, 0.9, 0, // argmax 1
		5, 1, 5, // tie: argmax 0 (first maximum)
		-1, -2, -0.5, // argmax 2
		0, 0, 1, // argmax 2
	}, 4, 3)
	if got := nn.Accuracy(x, tensor.FromInts([]int{1, 0, 2, 0}, 4)); got != 0.75 {
		t.Errorf("Accuracy = %v, want 0.75", got)
	}
	if got := nn.Accuracy(x, tensor.FromInts([]int{0, 2, 0, 1}, 4)); got != 0 {
		t.Errorf("Accuracy = %v, want 0", got)
	}
}

// TestLossShapeErrorsAreTyped: the losses' shape mistakes are
// *tensor.ShapeErrors too, with a hint for a [n 1] target.
func TestLossShapeErrorsAreTyped(t *testing.T) {
	err := layerPanic(t, func() { nn.CrossEntropy(tensor.Zeros(4, 3), tensor.Zeros(4, 1)) })
	var se *tensor.ShapeError
	if !errors.As(err, &se) || se.Op != "nn.cross_entropy" || !strings.HasPrefix(err.Error(), "nn: cross_entropy: target must have shape [4]") ||
		!strings.Contains(se.Hint, "target.Reshape(4)") {
		t.Errorf("panic %v", err)
	}
	if err := layerPanic(t, func() { nn.MSE(tensor.Zeros(3), tensor.Zeros(4)) }); !errors.As(err, &se) || se.Op != "nn.mse" {
		t.Errorf("mse: panic %v", err)
	}
}

// TestLossesNameTheirNodes: the fused losses record PyTorch's names, and
// run twice through a retained graph (the backward keeps its saved values).
func TestLossesNameTheirNodes(t *testing.T) {
	x := tensor.Randn(tensor.NewRNG(1), 4, 3).SetRequiresGrad(true)
	y := tensor.FromInts([]int{0, 2, 1, 1})
	for _, c := range []struct {
		loss *tensor.Tensor
		want string
	}{
		{nn.CrossEntropy(x, y), "NllLossBackward0"},
		{nn.NLL(nn.LogSoftmax(x), y), "NllLossBackward0"},
		{nn.LogSoftmax(x), "LogSoftmaxBackward0"},
		{nn.MSE(x, tensor.Zeros(4, 3)), "MseLossBackward0"},
	} {
		if c.loss.GradFn() != c.want || !strings.Contains(c.loss.String(), "grad_fn=<"+c.want+">") {
			t.Errorf("GradFn %q, prints %s; want %s", c.loss.GradFn(), c.loss, c.want)
		}
	}
	x.ZeroGrad()
	loss := nn.CrossEntropy(x, y)
	loss.Backward(tensor.RetainGraph())
	once := x.Grad().Clone()
	loss.Backward()
	if !x.Grad().AllClose(once.MulScalar(2), 1e-6, 1e-7) {
		t.Errorf("two passes through a retained cross entropy: %v, want 2 × %v", x.Grad(), once)
	}
}
