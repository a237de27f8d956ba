// Command cnn trains lesson 06's small CNN on MNIST with this repository's
// library (the model of notebook 02a with a linear head: four Conv2d layers
// of stride 2 with ReLUs, AdaptiveAvgPool2d(1), Flatten, Linear 32→10; cross
// entropy; SGD; a shuffled DataLoader from GetDLs), times every epoch and
// prints one JSON line for bench/run, with the fields bench/mlp prints:
//
//	{"impl":"ours", "model":"cnn", "epoch_times":[...], "median_s":..., "accuracy":..., "gflops":..., ...}
//
// Of -epochs training epochs, the first -warmup are not timed for the
// median; the median is taken over the next -timed epochs. Validation
// accuracy is measured once, on all 10,000 validation images, after every
// epoch has run. gflops is the rate of the convolutions' and the linear
// layer's multiply-adds (forward and backward) over the median epoch, and
// peak_gflops the BLAS's own rate on a large square product, measured after
// training, so that the gap to the limit is visible.
// bench/torch_cnn.py is PyTorch's side.
package main

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"time"

	"github.com/fastgo/fastgo/bench/internal/measure"

	"github.com/fastgo/fastgo/pkg/nn"
	"github.com/fastgo/fastgo/pkg/tensor"
)

// cnn is lesson 06's get_cnn_model: the batch [n 784] viewed as images
// (mnist_resize), four convolutions, pooling, flatten, the linear head.
func cnn(r *rand.Rand) *nn.Sequential {
	return nn.NewSequential(
		nn.Lambda(func(x *tensor.Tensor) *tensor.Tensor { return x.Reshape(-1, 1, 28, 28) }),
		nn.NewConv2d(1, 8, 5, r, nn.Stride(2), nn.Padding(2)), nn.ReLU{},
		nn.NewConv2d(8, 16, 3, r, nn.Stride(2), nn.Padding(1)), nn.ReLU{},
		nn.NewConv2d(16, 32, 3, r, nn.Stride(2), nn.Padding(1)), nn.ReLU{},
		nn.NewConv2d(32, 32, 3, r, nn.Stride(2), nn.Padding(1)), nn.ReLU{},
		nn.NewAdaptiveAvgPool2d(1), nn.Flatten{}, nn.NewLinear(32, 10, r))
}

// flopsPerImage counts 2 flops per multiply-add of one image's forward and
// backward pass: each convolution's forward product, its weight gradient
// and (except the first, whose input is the data) its input gradient.
func flopsPerImage() float64 {
	layers := []struct{ c, co, k, out int }{{1, 8, 5, 14}, {8, 16, 3, 7}, {16, 32, 3, 4}, {32, 32, 3, 2}}
	var macs float64
	for i, l := range layers {
		m := float64(l.co * l.out * l.out * l.c * l.k * l.k)
		macs += 2 * m
		if i > 0 {
			macs += m
		}
	}
	macs += 3 * 32 * 10
	return 2 * macs
}

func main() {
	set := measure.Flags(measure.Settings{BS: 64, Epochs: 3, Warmup: 1, Timed: 2, LR: 0.4, Seed: 1})
	flag.Parse()
	xTrain, yTrain, xValid, yValid, trainDL, err := set.Setup()
	if err != nil {
		fail("%v", err)
	}

	model := cnn(tensor.NewRNG(set.Seed))
	opt := nn.NewSGD(model.Parameters(), set.LR)

	res := set.Result("ours")
	res.Model = "cnn"
	if err := res.Train(set, trainDL, model, opt); err != nil {
		fail("%v", err)
	}

	// In chunks: one im2col matrix of all 10,000 images would take 200 MB.
	tensor.NoGrad(func() {
		const chunk = 500
		for i := 0; i < xValid.Len(); i += chunk {
			xb, yb := xValid.Slice(i, i+chunk), yValid.Slice(i, i+chunk)
			res.Accuracy += float64(nn.Accuracy(model.Forward(xb), yb)) * float64(xb.Len())
		}
		res.Accuracy /= float64(xValid.Len())
	})
	res.GFLOPS = flopsPerImage() * float64(xTrain.Len()) / measure.Median(res.EpochTimes[set.Warmup:set.Warmup+set.Timed]) / 1e9
	res.PeakGFLOPS = peakGFLOPS()
	if err := res.Print(set.Warmup, set.Timed, xTrain, yTrain, xValid, yValid); err != nil {
		fail("writing the result: %v", err)
	}
}

// peakGFLOPS is the BLAS's measured rate on a large square product
// (1024³, through MatMul with the library's defaults: split over every
// core, as training runs), median of 7: the ceiling for the convolutions'
// products, whose shapes (8 to 32 output channels) are far from square.
func peakGFLOPS() float64 {
	const n = 1024
	rng := tensor.NewRNG(7)
	a, b := tensor.Rand(rng, n, n), tensor.Rand(rng, n, n)
	a.MatMul(b) // warm-up
	var ts []float64
	for range 7 {
		start := time.Now()
		a.MatMul(b)
		ts = append(ts, time.Since(start).Seconds())
	}
	return 2 * n * n * n / measure.Median(ts) / 1e9
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "bench/cnn: "+format+"\n", args...)
	os.Exit(2)
}
