package nn

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/fastgo/fastgo/pkg/tensor"
)

// FanMode chooses which fan Kaiming initialisation preserves: FanIn keeps the
// variance of activations in the forward pass (PyTorch's default), FanOut that
// of gradients in the backward pass.
type FanMode int

const (
	// FanIn scales by the number of inputs of each unit.
	FanIn FanMode = iota
	// FanOut scales by the number of outputs of each input.
	FanOut
)

// Gain is the gain of a leaky ReLU with negative slope a (lesson 02b):
//
//	gain(a) = √(2 / (1 + a²))
//
// a = 0 is a plain ReLU (√2); PyTorch's Linear uses a = √5, giving √(1/3).
func Gain(a float64) float64 { return math.Sqrt(2 / (1 + a*a)) }

// Fans returns fan_in and fan_out of a weight: for [out in] they are in and
// out; for a convolution weight [out in k...] both are multiplied by the
// receptive field size, as torch.nn.init computes them.
func Fans(w *tensor.Tensor) (fanIn, fanOut int) {
	s := w.Shape()
	if len(s) < 2 {
		panic(tensor.NewShapeError("nn.init", fmt.Sprintf("fan in and fan out can not be computed for a tensor with fewer than 2 dimensions, got shape %v", s), "", s))
	}
	rf := 1
	for _, d := range s[2:] {
		rf *= d
	}
	return s[1] * rf, s[0] * rf
}

func fan(w *tensor.Tensor, mode []FanMode) int {
	in, out := Fans(w)
	if len(mode) > 1 {
		panic(tensor.NewUsageError("nn.init", "Kaiming init takes at most one FanMode, got %d", len(mode)))
	}
	if len(mode) == 1 && mode[0] == FanOut {
		return out
	}
	return in
}

// KaimingNormal fills w in place from N(0, std²) with
//
//	std = gain(a) / √fan
//
// where fan is fan_in (default) or fan_out (mode FanOut): He et al.'s
// initialisation for layers followed by a leaky ReLU of slope a (0 for ReLU).
// It returns w. rng nil means tensor's default generator.
func KaimingNormal(w *tensor.Tensor, a float64, rng *rand.Rand, mode ...FanMode) *tensor.Tensor {
	std := float32(Gain(a) / math.Sqrt(float64(fan(w, mode))))
	r := tensor.Randn(rng, w.Shape()...).Data()
	d := w.Data()
	for i := range d {
		d[i] = r[i] * std
	}
	return w
}

// KaimingUniform fills w in place from U(−bound, bound) with
//
//	bound = gain(a) · √(3 / fan)
//
// which has the same variance as KaimingNormal. With a = √5 this is
// PyTorch's default Linear weight, U(−1/√fan_in, 1/√fan_in). It returns w.
func KaimingUniform(w *tensor.Tensor, a float64, rng *rand.Rand, mode ...FanMode) *tensor.Tensor {
	bound := float32(Gain(a) * math.Sqrt(3/float64(fan(w, mode))))
	r := tensor.Uniform(rng, -bound, bound, w.Shape()...).Data()
	copy(w.Data(), r)
	return w
}
