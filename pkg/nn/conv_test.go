package nn_test

import (
	"encoding/json"
	"math"
	"os"
	"syscall"
	"testing"

	"github.com/fastgo/fastgo/pkg/nn"
	"github.com/fastgo/fastgo/pkg/tensor"
)

// convRef holds what testdata/make_conv_reference.py asked PyTorch.
type convRef struct {
	Gains []struct{ A, Gain float64 } `json:"gains"`
	Fans  []struct {
		Shape            []int   `json:"shape"`
		FanIn            int     `json:"fan_in"`
		FanOut           int     `json:"fan_out"`
		ConvDefaultBound float64 `json:"conv_default_bound"`
		NormalStdFanOut  float64 `json:"kaiming_normal_std_a0_fan_out"`
	} `json:"fans"`
	Reprs map[string]string `json:"reprs"`
}

func loadConvRef(t *testing.T) convRef {
	t.Helper()
	raw, err := os.ReadFile("testdata/conv_reference.json")
	if err != nil {
		t.Fatal(err)
	}
	var r convRef
	if err := json.Unmarshal(raw, &r); err != nil {
		t.Fatal(err)
	}
	return r
}

// lessonCNN is lesson 9's model with a linear head (bench/cnn trains it).
func lessonCNN() *nn.Sequential {
	r := tensor.NewRNG(1)
	return nn.NewSequential(
		nn.NewConv2d(1, 8, 5, r, nn.Stride(2), nn.Padding(2)), nn.ReLU{},
		nn.NewConv2d(8, 16, 3, r, nn.Stride(2), nn.Padding(1)), nn.ReLU{},
		nn.NewConv2d(16, 32, 3, r, nn.Stride(2), nn.Padding(1)), nn.ReLU{},
		nn.NewConv2d(32, 32, 3, r, nn.Stride(2), nn.Padding(1)), nn.ReLU{},
		nn.NewAdaptiveAvgPool2d(1), nn.Flatten{}, nn.NewLinear(32, 10, r))
}

func TestConvReprsMatchPyTorch(t *testing.T) {
	ref := loadConvRef(t)
	for name, got := range map[string]string{
		"conv_default": nn.NewConv2d(1, 8, 5, nil).String(),
		"conv_nobias":  nn.NewConv2d(3, 4, 3, nil, nn.Padding(1), nn.NoBias()).String(),
		"pool_3x2":     nn.NewAdaptiveAvgPool2d(3, 2).String(),
		"model":        lessonCNN().String(),
	} {
		if want := ref.Reprs[name]; got != want {
			t.Errorf("%s:\n got %s\nwant %s", name, got, want)
		}
	}
	if got := nn.Lambda(func(x *tensor.Tensor) *tensor.Tensor { return x }).String(); got != "Lambda()" {
		t.Errorf("Lambda prints %q", got)
	}
}

func TestInitMatchesTorchFormulas(t *testing.T) {
	ref := loadConvRef(t)
	for _, g := range ref.Gains {
		if got := nn.Gain(g.A); !near(got, g.Gain, 1e-12, 0) {
			t.Errorf("Gain(%v) = %v, torch.nn.init.calculate_gain gives %v", g.A, got, g.Gain)
		}
	}
	for _, f := range ref.Fans {
		w := tensor.Zeros(f.Shape...)
		if in, out := nn.Fans(w); in != f.FanIn || out != f.FanOut {
			t.Errorf("Fans(%v) = %d, %d; PyTorch %d, %d", f.Shape, in, out, f.FanIn, f.FanOut)
		}
		// The bound is attained up to sampling: the largest of many draws
		// lies just under it, never above.
		big := tensor.Zeros(append([]int{400}, f.Shape[1:]...)...)
		_, _, maxAbs := stats(nn.KaimingUniform(big, math.Sqrt(5), tensor.NewRNG(3)).Data())
		if maxAbs > f.ConvDefaultBound || maxAbs < 0.99*f.ConvDefaultBound {
			t.Errorf("KaimingUniform(a=√5) of %v: max |w| %v, PyTorch's bound %v", big.Shape(), maxAbs, f.ConvDefaultBound)
		}
		wide := tensor.Zeros(append([]int{f.Shape[0]}, append([]int{400}, f.Shape[2:]...)...)...)
		_, outFan := nn.Fans(wide)
		want := math.Sqrt2 / math.Sqrt(float64(outFan))
		if _, std, _ := stats(nn.KaimingNormal(wide, 0, tensor.NewRNG(4), nn.FanOut).Data()); !near(std, want, 0, 0.05) {
			t.Errorf("KaimingNormal(a=0, fan_out) of %v: std %v, want %v", wide.Shape(), std, want)
		}
		if got := nn.Gain(0) / math.Sqrt(float64(f.FanOut)); !near(got, f.NormalStdFanOut, 1e-12, 0) {
			t.Errorf("kaiming_normal_ std (a=0, fan_out) of %v: ours %v, PyTorch %v", f.Shape, got, f.NormalStdFanOut)
		}
	}
}

func TestNewConv2dInit(t *testing.T) {
	c := nn.NewConv2d(32, 64, 3, tensor.NewRNG(5), nn.Stride(2), nn.Padding(1))
	bound := 1 / math.Sqrt(32*9) // PyTorch's default: U(±1/√fan_in) for weight and bias
	_, std, maxAbs := stats(c.Weight.Data())
	if maxAbs > bound || maxAbs < 0.99*bound || !near(std, bound/math.Sqrt(3), 0, 0.03) {
		t.Errorf("weight: std %v max %v, want U(±%v)", std, maxAbs, bound)
	}
	if _, _, m := stats(c.Bias.Data()); m > bound || m < 0.5*bound {
		t.Errorf("bias: max |b| %v, want within and filling ±%v", m, bound)
	}
	if !c.Weight.RequiresGrad() || !c.Bias.RequiresGrad() || len(c.Parameters()) != 2 {
		t.Error("weight and bias must be the layer's two parameters and require grad")
	}
	if len(nn.NewConv2d(1, 2, 3, nil, nn.NoBias()).Parameters()) != 1 {
		t.Error("NoBias layer has a bias parameter")
	}
	expectPanic(t, "zero stride", func() { nn.NewConv2d(1, 2, 3, nil, nn.Stride(0)) }, "NewConv2d", "stride 0")
}

func TestLessonCNNForwardBackward(t *testing.T) {
	m := lessonCNN()
	x := tensor.Rand(tensor.NewRNG(2), 64*784).Reshape(-1, 1, 28, 28)
	out := m.Forward(x)
	if !out.Shape().Equal(tensor.Shape{64, 10}) {
		t.Fatalf("output shape %v, want [64 10]", out.Shape())
	}
	y := tensor.FromInts(make([]int, 64))
	nn.CrossEntropy(out, y).Backward()
	for _, p := range nn.NamedParameters(m) {
		if g := p.Param.Grad(); g == nil || !g.Shape().Equal(p.Param.Shape()) {
			t.Errorf("%s: no gradient of its shape", p.Name)
		}
	}
	// The pooled features are each channel's mean, flattened.
	feat := nn.NewSequential(nn.NewAdaptiveAvgPool2d(1), nn.Flatten{}).Forward(tensor.Ones(2, 3, 4, 4))
	if !feat.Shape().Equal(tensor.Shape{2, 3}) || feat.At(1, 2) != 1 {
		t.Errorf("pool+flatten of ones: %v", feat)
	}
	double := nn.Lambda(func(x *tensor.Tensor) *tensor.Tensor { return x.MulScalar(2) })
	if got := nn.NewSequential(double, nn.Flatten{}).Forward(tensor.Ones(2, 1, 2)); !got.Shape().Equal(tensor.Shape{2, 2}) || got.At(0, 1) != 2 {
		t.Errorf("Lambda then Flatten: %v", got)
	}
}

func TestMSEPredictionColumn(t *testing.T) {
	// 02a's loss: the model's [n 1] output against the [n] labels.
	pred := tensor.New([]float32{1, 2, 4}, 3, 1).SetRequiresGrad(true)
	y := tensor.New([]float32{0, 2, 2})
	loss := nn.MSE(pred, y)
	if v := loss.Item(); v != 5.0/3 {
		t.Errorf("mse = %v, want 5/3", v)
	}
	loss.Backward()
	if g := pred.Grad(); !g.Shape().Equal(tensor.Shape{3, 1}) || g.At(2, 0) != 4.0/3 {
		t.Errorf("gradient %v, want [[2/3] [0] [4/3]]", g)
	}
}

// BenchmarkCNNStep times one training step of lesson 9's CNN at batch 64
// (forward, cross entropy, backward, SGD), as bench/cnn runs it 782 times
// an epoch. It reports CPU time per step beside wall time: on a shared
// machine wall time measures the neighbours too.
func BenchmarkCNNStep(b *testing.B) {
	m := lessonCNN()
	opt := nn.NewSGD(m.Parameters(), 0.4)
	x := tensor.Rand(tensor.NewRNG(2), 64, 784).Reshape(-1, 1, 28, 28)
	y := tensor.FromInts(make([]int, 64))
	step := func() {
		nn.CrossEntropy(m.Forward(x), y).Backward()
		opt.Step()
		opt.ZeroGrad()
	}
	step()
	cpu0 := cpuSeconds()
	for b.Loop() {
		step()
	}
	b.ReportMetric((cpuSeconds()-cpu0)*1e9/float64(b.N), "cpu-ns/op")
}

func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}

// TestLessonCNNMatchesPyTorch loads the parameters PyTorch drew for lesson
// 9's CNN (testdata/make_cnn_reference.py) and compares the loss and every
// parameter's gradient on one batch of 64, which is large enough for the
// convolutions to split their work over the cores.
func TestLessonCNNMatchesPyTorch(t *testing.T) {
	raw, err := os.ReadFile("testdata/cnn_reference.json")
	if err != nil {
		t.Fatal(err)
	}
	var ref struct {
		Loss   float64 `json:"loss"`
		Params []struct {
			Name  string    `json:"name"`
			Shape []int     `json:"shape"`
			Data  []float32 `json:"data"`
			Grad  []float32 `json:"grad"`
		} `json:"params"`
	}
	if err := json.Unmarshal(raw, &ref); err != nil {
		t.Fatal(err)
	}
	m := lessonCNN()
	params := nn.NamedParameters(m)
	if len(params) != len(ref.Params) {
		t.Fatalf("%d parameters, PyTorch's model has %d", len(params), len(ref.Params))
	}
	for i, p := range params {
		if !p.Param.Shape().Equal(ref.Params[i].Shape) {
			t.Fatalf("%s: shape %v, PyTorch's %s has %v", p.Name, p.Param.Shape(), ref.Params[i].Name, ref.Params[i].Shape)
		}
		copy(p.Param.Data(), ref.Params[i].Data)
	}
	const n = 64
	xs, ys := make([]float32, n*784), make([]int, n)
	for i := range xs {
		xs[i] = float32((math.Sin(0.37*float64(i)) + 1) / 2)
	}
	for i := range ys {
		ys[i] = i % 10
	}
	loss := nn.CrossEntropy(m.Forward(tensor.New(xs, n, 1, 28, 28)), tensor.FromInts(ys))
	if got := float64(loss.Item()); math.Abs(got-ref.Loss) > 1e-5 {
		t.Errorf("loss %v, PyTorch %v", got, ref.Loss)
	}
	loss.Backward()
	for i, p := range params {
		g, want := p.Param.Grad().Data(), ref.Params[i].Grad
		for k := range want {
			if d := math.Abs(float64(g[k] - want[k])); d > 1e-6+1e-3*math.Abs(float64(want[k])) {
				t.Errorf("%s: gradient element %d is %g, PyTorch %g", p.Name, k, g[k], want[k])
				break
			}
		}
	}
}
