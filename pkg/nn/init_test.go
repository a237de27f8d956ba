package nn_test

import (
	"errors"
	"math"
	"testing"

	"github.com/fastgo/fastgo/pkg/nn"
	"github.com/fastgo/fastgo/pkg/tensor"
)

func stats(d []float32) (mean, std, maxAbs float64) {
	for _, v := range d {
		mean += float64(v)
		maxAbs = max(maxAbs, math.Abs(float64(v)))
	}
	mean /= float64(len(d))
	for _, v := range d {
		std += (float64(v) - mean) * (float64(v) - mean)
	}
	return mean, math.Sqrt(std / float64(len(d))), maxAbs
}

func TestGain(t *testing.T) {
	for _, c := range []struct{ a, want float64 }{
		{0, math.Sqrt2}, {1, 1}, {math.Sqrt(5), math.Sqrt(1.0 / 3)}, {0.01, math.Sqrt(2 / 1.0001)},
	} {
		if got := nn.Gain(c.a); !near(got, c.want, 1e-12, 0) {
			t.Errorf("Gain(%v) = %v, want %v", c.a, got, c.want)
		}
	}
}

func TestLinearInitWithinPyTorchBounds(t *testing.T) {
	const in, out = 784, 50
	l := nn.NewLinear(in, out, tensor.NewRNG(42))
	bound := 1 / math.Sqrt(in)
	for name, p := range map[string]*tensor.Tensor{"Weight": l.Weight, "Bias": l.Bias} {
		if !p.RequiresGrad() {
			t.Errorf("%s does not require grad", name)
		}
		mean, std, maxAbs := stats(p.Data())
		if maxAbs > bound {
			t.Errorf("%s: |value| up to %v, beyond PyTorch's bound 1/√%d = %v", name, maxAbs, in, bound)
		}
		// Filling the interval, not a narrower one: U(−b, b) has std b/√3.
		if name == "Weight" {
			if maxAbs < 0.99*bound || !near(std, bound/math.Sqrt(3), 0, 0.02) || math.Abs(mean) > 0.01*bound {
				t.Errorf("Weight: mean %v std %v max %v, want U(±%v): std %v", mean, std, maxAbs, bound, bound/math.Sqrt(3))
			}
		} else if maxAbs < 0.5*bound {
			t.Errorf("Bias: max |b| %v, far inside the bound %v", maxAbs, bound)
		}
	}
	// A seeded generator gives the same layer again; another seed does not.
	same, other := nn.NewLinear(in, out, tensor.NewRNG(42)), nn.NewLinear(in, out, tensor.NewRNG(43))
	if same.Weight.Data()[7] != l.Weight.Data()[7] || same.Bias.Data()[3] != l.Bias.Data()[3] {
		t.Error("NewLinear with the same seed gave different weights")
	}
	if other.Weight.Data()[7] == l.Weight.Data()[7] {
		t.Error("NewLinear with another seed gave the same weights")
	}
}

func TestKaimingNormalStd(t *testing.T) {
	rng := tensor.NewRNG(1)
	w := nn.KaimingNormal(tensor.Zeros(1000, 1000), 0, rng)
	want := math.Sqrt(2.0 / 1000)
	if mean, std, _ := stats(w.Data()); !near(std, want, 0, 0.05) || math.Abs(mean) > 0.01*want {
		t.Errorf("KaimingNormal 1000×1000: mean %v std %v, want 0 and %v (±5%%)", mean, std, want)
	}
	// fan_out mode and a leaky slope: [200 1000] has fan_out 200.
	w = nn.KaimingNormal(tensor.Zeros(200, 1000), 0.1, rng, nn.FanOut)
	want = nn.Gain(0.1) / math.Sqrt(200)
	if _, std, _ := stats(w.Data()); !near(std, want, 0, 0.05) {
		t.Errorf("KaimingNormal fan_out: std %v, want %v", std, want)
	}
}

func TestKaimingUniform(t *testing.T) {
	w := nn.KaimingUniform(tensor.Zeros(300, 500), 0, tensor.NewRNG(2))
	bound := math.Sqrt2 * math.Sqrt(3.0/500)
	_, std, maxAbs := stats(w.Data())
	if maxAbs > bound || maxAbs < 0.99*bound {
		t.Errorf("KaimingUniform: max |w| %v, want just under %v", maxAbs, bound)
	}
	if want := math.Sqrt(2.0 / 500); !near(std, want, 0, 0.05) {
		t.Errorf("KaimingUniform: std %v, want √(2/fan_in) = %v like KaimingNormal", std, want)
	}
	in, out := nn.Fans(tensor.Zeros(8, 3, 5, 5)) // a conv weight, as lesson 02a
	if in != 75 || out != 200 {
		t.Errorf("Fans([8 3 5 5]) = %d, %d; want 75, 200", in, out)
	}
	expectPanic(t, "1-D weight", func() { nn.KaimingNormal(tensor.Zeros(5), 0, nil) }, "[5]", "2 dimensions")
}

// Misused init functions panic with typed values.
func TestInitErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		f    func()
		want any
	}{
		{"fans of a vector", func() { nn.Fans(tensor.Zeros(5)) }, new(*tensor.ShapeError)},
		{"two fan modes", func() { nn.KaimingNormal(tensor.Zeros(3, 4), 0, tensor.NewRNG(1), nn.FanIn, nn.FanOut) }, new(*tensor.UsageError)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				err, _ := recover().(error)
				if err == nil || !errors.As(err, tc.want) {
					t.Errorf("panic %v, want %T", err, tc.want)
				}
			}()
			tc.f()
		})
	}
}
