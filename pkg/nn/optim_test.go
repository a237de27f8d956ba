package nn_test

import (
	"errors"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/fastgo/fastgo/pkg/nn"
	"github.com/fastgo/fastgo/pkg/tensor"
)

func TestSGDMatchesPyTorch(t *testing.T) {
	ref := loadReference(t)
	if len(ref.SGD) == 0 {
		t.Fatal("no SGD cases in testdata/reference.json")
	}
	for _, c := range ref.SGD {
		t.Run(c.Name, func(t *testing.T) {
			l1, l2 := nn.NewLinear(4, 6, nil), nn.NewLinear(6, 3, nil)
			model := nn.NewSequential(l1, nn.ReLU{}, l2)
			params := nn.Parameters(model)
			if len(params) != len(c.Params0) {
				t.Fatalf("model has %d parameters, reference %d", len(params), len(c.Params0))
			}
			for i, p := range params {
				if got, want := p.Shape().String(), tensor.Shape(c.Shapes[i]).String(); got != want {
					t.Fatalf("parameter %d has shape %s, reference %s", i, got, want)
				}
				copy(p.Data(), c.Params0[i])
			}
			var opts []nn.SGDOption
			for k, v := range c.Opts {
				switch k {
				case "lr":
				case "momentum":
					opts = append(opts, nn.Momentum(v))
				case "dampening":
					opts = append(opts, nn.Dampening(v))
				case "weight_decay":
					opts = append(opts, nn.WeightDecay(v))
				case "nesterov":
					if v != 0 {
						opts = append(opts, nn.Nesterov())
					}
				default:
					t.Fatalf("unknown option %q in reference", k)
				}
			}
			opt := nn.NewSGD(params, c.Opts["lr"], opts...)
			x := tensor.New(clone(c.X), c.XShape...)
			y := tensor.FromInts(c.Y, len(c.Y))
			for step, want := range c.Steps {
				opt.ZeroGrad()
				loss := nn.CrossEntropy(model.Forward(x), y)
				if !near(float64(loss.Item()), want.Loss, 1e-6, 1e-5) {
					t.Errorf("step %d: loss %v, PyTorch %v", step, loss.Item(), want.Loss)
				}
				loss.Backward()
				opt.Step()
				for i, p := range params {
					checkClose(t, c.Name+": parameter "+nn.NamedParameters(model)[i].Name+" after step "+string(rune('1'+step)),
						p.Data(), want.Params[i], 1e-6, 1e-5)
				}
			}
			// The steps must have moved the parameters: a no-op optimizer fails.
			moved := 0
			for i, p := range c.Steps[len(c.Steps)-1].Params {
				for j, v := range p {
					if v != c.Params0[i][j] {
						moved++
					}
				}
			}
			if moved < 20 {
				t.Fatalf("only %d reference parameter values changed; the case tests little", moved)
			}
		})
	}
}

// quadratic returns a parameter at 1 with gradient 2 after one backward of
// 2·p, for checking updates by hand.
func gradTwo(p *tensor.Tensor) {
	p.MulScalar(2).Sum().Backward()
}

func TestSGDRuleByHand(t *testing.T) {
	// One parameter p = 1 with constant gradient 2; momentum 0.5,
	// dampening 0.25, weight decay 0.1, lr 0.1:
	// step 1: g = 2 + 0.1 = 2.1, buf = 2.1, p = 1 − 0.21 = 0.79
	// step 2: g = 2 + 0.079 = 2.079, buf = 0.5·2.1 + 0.75·2.079 = 2.60925,
	//         p = 0.79 − 0.260925 = 0.529075
	p := tensor.New([]float32{1}, 1).SetRequiresGrad(true)
	opt := nn.NewSGD([]*tensor.Tensor{p}, 0.1, nn.Momentum(0.5), nn.Dampening(0.25), nn.WeightDecay(0.1))
	for _, want := range []float64{0.79, 0.529075} {
		opt.ZeroGrad()
		gradTwo(p)
		opt.Step()
		if got := float64(p.Data()[0]); !near(got, want, 1e-6, 0) {
			t.Fatalf("p = %v, want %v", got, want)
		}
	}
	// A scheduler changes "lr" between steps; lr 0 freezes the parameter.
	opt.ParamGroups()[0].SetHyper("lr", 0)
	before := p.Data()[0]
	opt.ZeroGrad()
	gradTwo(p)
	opt.Step()
	if p.Data()[0] != before {
		t.Errorf("lr 0 changed the parameter from %v to %v", before, p.Data()[0])
	}
	if got := opt.ParamGroups()[0].Hyper("lr"); got != 0 {
		t.Errorf(`Hyper("lr") = %v after SetHyper 0`, got)
	}
}

func TestSGDZeroGradAndNoGrad(t *testing.T) {
	p := tensor.New([]float32{1, 2}, 2).SetRequiresGrad(true)
	q := tensor.New([]float32{5}, 1).SetRequiresGrad(true) // never gets a gradient
	opt := nn.NewSGD([]*tensor.Tensor{p, q}, 0.5)
	gradTwo(p)
	opt.Step()
	if p.Data()[0] != 0 || p.Data()[1] != 1 || q.Data()[0] != 5 {
		t.Errorf("after one step p = %v, q = %v; want [0 1], [5]", p.Data(), q.Data())
	}
	if p.IsLeaf() == false || p.Grad() == nil {
		t.Fatal("Step must leave the parameter a leaf with its gradient")
	}
	opt.ZeroGrad()
	for i, v := range p.Grad().Data() {
		if v != 0 {
			t.Errorf("grad[%d] = %v after ZeroGrad", i, v)
		}
	}
}

func TestSGDHyperErrors(t *testing.T) {
	p := tensor.Zeros(1).SetRequiresGrad(true)
	expectPanic(t, "Nesterov without momentum", func() { nn.NewSGD([]*tensor.Tensor{p}, 0.1, nn.Nesterov()) },
		"Nesterov momentum requires a momentum and zero dampening")
	expectPanic(t, "Nesterov with dampening", func() {
		nn.NewSGD([]*tensor.Tensor{p}, 0.1, nn.Nesterov(), nn.Momentum(0.9), nn.Dampening(0.1))
	}, "zero dampening")
	// The Python habit of lowercase fields hides the layers from reflection.
	expectPanic(t, "no parameters", func() { nn.NewSGD(nn.Parameters(&lowercase{lin(2, 2), lin(2, 2)}), 0.1) },
		"empty parameter list", "exported")
	opt := nn.NewSGD([]*tensor.Tensor{p}, 0.1)
	expectPanic(t, "unknown hyper", func() { opt.ParamGroups()[0].Hyper("learning_rate") },
		`"learning_rate"`, "dampening, lr, momentum, nesterov, weight_decay")
	// Setting a misspelt name would schedule nothing, silently.
	expectPanic(t, "set unknown hyper", func() { opt.ParamGroups()[0].SetHyper("Lr", 0.5) },
		`"Lr"`, "dampening, lr, momentum, nesterov, weight_decay")
	if got := opt.ParamGroups()[0].Hyper("lr"); got != 0.1 {
		t.Errorf(`Hyper("lr") = %v after the failed SetHyper("Lr"), want 0.1`, got)
	}
	var o nn.Optimizer = opt // SGD satisfies the interface schedulers use
	_ = o
}

func TestSGDParamGroups(t *testing.T) {
	a := tensor.New([]float32{1}, 1).SetRequiresGrad(true)
	b := tensor.New([]float32{1}, 1).SetRequiresGrad(true)
	opt := nn.NewSGD([]*tensor.Tensor{a}, 0.1, nn.Momentum(0.9))
	opt.AddParamGroup(&nn.ParamGroup{Params: []*tensor.Tensor{b}, Hypers: map[string]float64{"lr": 0.01}})
	if got := opt.ParamGroups()[1].Hyper("momentum"); got != 0.9 {
		t.Errorf("second group momentum = %v, want the first group's 0.9", got)
	}
	gradTwo(a)
	gradTwo(b)
	opt.Step()
	if ga, gb := a.Data()[0], b.Data()[0]; !near(float64(ga), 0.8, 1e-7, 0) || !near(float64(gb), 0.98, 1e-7, 0) {
		t.Errorf("after one step a = %v (want 0.8), b = %v (want 0.98)", ga, gb)
	}
}

// TestTrainingLearns trains a small MLP with the whole stack (Linear, ReLU,
// Sequential, CrossEntropy, SGD with momentum, Train/eval, Accuracy) on three
// well separated Gaussian blobs; it must classify them almost perfectly.
func TestTrainingLearns(t *testing.T) {
	rng := tensor.NewRNG(11)
	const n = 300
	centers := [3][2]float32{{-2, 0}, {2, 0}, {0, 3}}
	xd := make([]float32, 0, 2*n)
	labels := make([]int, n)
	for i := range n {
		c := i % 3
		labels[i] = c
		xd = append(xd, centers[c][0]+float32(rng.NormFloat64())*0.5, centers[c][1]+float32(rng.NormFloat64())*0.5)
	}
	x, y := tensor.New(xd, n, 2), tensor.FromInts(labels, n)
	model := nn.NewSequential(nn.NewLinear(2, 16, rng), nn.ReLU{}, nn.NewLinear(16, 3, rng))
	opt := nn.NewSGD(nn.Parameters(model), 0.1, nn.Momentum(0.9))
	nn.Train(model, false)
	before := nn.Accuracy(model.Forward(x), y)
	nn.Train(model, true)
	for range 100 {
		nn.CrossEntropy(model.Forward(x), y).Backward()
		opt.Step()
		opt.ZeroGrad()
	}
	nn.Train(model, false)
	var acc, loss float32
	tensor.NoGrad(func() {
		out := model.Forward(x)
		acc, loss = nn.Accuracy(out, y), nn.CrossEntropy(out, y).Item()
	})
	if acc < 0.97 || loss > 0.15 {
		t.Errorf("after 100 steps: accuracy %v (from %v), loss %v; want ≥ 0.97 and ≤ 0.15", acc, before, loss)
	}
}

// lowercase is a model written with Python's field names: unexported, so
// invisible to nn.Parameters.
type lowercase struct{ l1, l2 *nn.Linear }

func (m *lowercase) Forward(x *tensor.Tensor) *tensor.Tensor { return m.l2.Forward(m.l1.Forward(x)) }

// TestSGDCheckZeroGrad: with the check on, a Step on gradients not zeroed
// since the previous Step (a forgotten ZeroGrad, or a Runner callback
// whose AfterStep returned true) panics in GradCheckPanic mode; zeroing by
// any means (the optimizer's, the tensor's, Zero on the Grad view) passes.
func TestSGDCheckZeroGrad(t *testing.T) {
	rng := tensor.NewRNG(0)
	lin := nn.NewLinear(3, 2, rng)
	x := tensor.Rand(rng, 4, 3)
	opt := nn.NewSGD(nn.Parameters(lin), 0.1).CheckZeroGrad(nn.GradCheckPanic)
	step := func() {
		lin.Forward(x).Sum().Backward()
		opt.Step()
	}
	zeroings := []func(){
		opt.ZeroGrad,
		func() { lin.Weight.ZeroGrad(); lin.Bias.ZeroGrad() },
		func() { lin.Weight.Grad().Zero(); lin.Bias.Grad().Zero() },
	}
	step()
	for _, zero := range zeroings {
		zero()
		step()
	}
	defer func() {
		var ue *tensor.UsageError
		err, _ := recover().(error)
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), "not zeroed since the previous Step") || !strings.Contains(err.Error(), "AfterStep returns true") {
			t.Errorf("forgotten ZeroGrad: panic %v, want a *tensor.UsageError", err)
		}
	}()
	step() // no ZeroGrad before it
	t.Error("a Step on stale gradients did not panic")
}

// TestSGDCheckZeroGradWarnsOnce: in GradCheckWarn mode the mistake is
// reported on standard error once, and training goes on.
func TestSGDCheckZeroGradWarnsOnce(t *testing.T) {
	rng := tensor.NewRNG(0)
	lin := nn.NewLinear(3, 2, rng)
	x := tensor.Rand(rng, 4, 3)
	opt := nn.NewSGD(nn.Parameters(lin), 0.1).CheckZeroGrad(nn.GradCheckWarn)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr := os.Stderr
	os.Stderr = w
	for range 4 { // never zeroed
		lin.Forward(x).Sum().Backward()
		opt.Step()
	}
	os.Stderr = stderr
	w.Close()
	out, _ := io.ReadAll(r)
	if n := strings.Count(string(out), "was not zeroed since the previous Step"); n != 1 {
		t.Errorf("%d warnings, want 1: %q", n, out)
	}
}
