package nn_test

import (
	"testing"

	"github.com/fastgo/fastgo/pkg/nn"
	"github.com/fastgo/fastgo/pkg/tensor"
)

// lessonBatch builds the lesson's MLP (784-50-10) and a batch of 64 random
// "images" with labels.
func lessonBatch(b *testing.B) (*nn.Sequential, *tensor.Tensor, *tensor.Tensor) {
	b.Helper()
	rng := tensor.NewRNG(0)
	model := nn.NewSequential(nn.NewLinear(784, 50, rng), nn.ReLU{}, nn.NewLinear(50, 10, rng))
	x := tensor.Rand(rng, 64, 784)
	labels := make([]int, 64)
	for i := range labels {
		labels[i] = rng.IntN(10)
	}
	return model, x, tensor.FromInts(labels, 64)
}

// BenchmarkMLPForwardBackward is one forward and backward pass of the lesson
// MLP on a batch of 64, with cross entropy, gradients zeroed each time.
func BenchmarkMLPForwardBackward(b *testing.B) {
	model, x, y := lessonBatch(b)
	params := nn.Parameters(model)
	b.ReportAllocs()
	for b.Loop() {
		for _, p := range params {
			p.ZeroGrad()
		}
		nn.CrossEntropy(model.Forward(x), y).Backward()
	}
}

// BenchmarkTrainStep is a whole training step of the lesson loop: forward,
// loss, backward, SGD step (lr 0.5) and zeroing the gradients.
func BenchmarkTrainStep(b *testing.B) { benchTrainStep(b, 0.5) }

// BenchmarkTrainStepMomentum is BenchmarkTrainStep with momentum, Nesterov
// and weight decay, the most work SGD.Step does.
func BenchmarkTrainStepMomentum(b *testing.B) {
	benchTrainStep(b, 0.1, nn.Momentum(0.9), nn.Nesterov(), nn.WeightDecay(1e-4))
}

// benchTrainStep times the lesson's training step with SGD(lr, opts...).
func benchTrainStep(b *testing.B, lr float64, opts ...nn.SGDOption) {
	model, x, y := lessonBatch(b)
	opt := nn.NewSGD(nn.Parameters(model), lr, opts...)
	b.ReportAllocs()
	for b.Loop() {
		nn.CrossEntropy(model.Forward(x), y).Backward()
		opt.Step()
		opt.ZeroGrad()
	}
}

// BenchmarkCrossEntropy is the fused loss alone, forward and backward, on
// [64 10] logits.
func BenchmarkCrossEntropy(b *testing.B) { benchLoss(b, nn.CrossEntropy) }

// BenchmarkNLLLogSoftmax is the unfused pair, to compare with CrossEntropy.
func BenchmarkNLLLogSoftmax(b *testing.B) {
	benchLoss(b, func(x, y *tensor.Tensor) *tensor.Tensor { return nn.NLL(nn.LogSoftmax(x), y) })
}

// benchLoss times loss(x, y) forward and backward on [64 10] logits.
func benchLoss(b *testing.B, loss func(x, y *tensor.Tensor) *tensor.Tensor) {
	rng := tensor.NewRNG(0)
	x := tensor.Randn(rng, 64, 10).SetRequiresGrad(true)
	_, _, y := lessonBatch(b)
	b.ReportAllocs()
	for b.Loop() {
		x.ZeroGrad()
		loss(x, y).Backward()
	}
}

// BenchmarkParameters is the reflection walk itself, to show it costs
// microseconds: fine once per model, wrong once per step.
func BenchmarkParameters(b *testing.B) {
	model, _, _ := lessonBatch(b)
	b.ReportAllocs()
	for b.Loop() {
		nn.Parameters(model)
	}
}
