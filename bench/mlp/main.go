// Command mlp trains the lessons' MLP on MNIST with this repository's
// library, exactly as notebook 03's final loop does (nn.Sequential of
// Linear, ReLU, Linear; cross entropy; SGD; a shuffled DataLoader from
// GetDLs), times every epoch and prints one JSON line for bench/run:
//
//	{"impl":"ours", "epoch_times":[...], "median_s":..., "accuracy":..., "maxrss_kb":..., "blas":"..."}
//
// Of -epochs training epochs, the first -warmup are not timed for the
// median; the median is taken over the next -timed epochs. Validation
// accuracy is measured once, on all 10,000 validation images, after every
// epoch has run. Build it with -tags blis or -tags openblas for a native
// BLAS, as bench/run does (scripts/blas-tag chooses).
package main

import (
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/fastgo/fastgo/bench/internal/measure"

	"gonum.org/v1/gonum/blas"

	"github.com/fastgo/fastgo/pkg/nn"
	"github.com/fastgo/fastgo/pkg/tensor"
)

func main() {
	hidden := flag.Int("hidden", 50, "hidden layer width")
	limit := flag.Bool("limit", false, "time only the matrix products of each epoch (the model's limit), not training")
	set := measure.Flags(measure.Settings{BS: 64, Epochs: 5, Warmup: 1, Timed: 3, LR: 0.5, Seed: 1})
	flag.Parse()
	xTrain, yTrain, xValid, yValid, trainDL, err := set.Setup()
	if err != nil {
		fail("%v", err)
	}

	rng := tensor.NewRNG(set.Seed)
	model := nn.NewSequential(nn.NewLinear(784, *hidden, rng), nn.ReLU{}, nn.NewLinear(*hidden, 10, rng))
	opt := nn.NewSGD(model.Parameters(), set.LR)

	res := set.Result("ours")
	res.Hidden = *hidden
	if *limit {
		res.Impl = "limit"
		res.EpochTimes, res.EpochCPU = productsOnly(*hidden, set.BS, set.Epochs, xTrain.Len())
	} else {
		if err := res.Train(set, trainDL, model, opt); err != nil {
			fail("%v", err)
		}
		tensor.NoGrad(func() {
			res.Accuracy = float64(nn.Accuracy(model.Forward(xValid), yValid))
		})
	}
	if err := res.Print(set.Warmup, set.Timed, xTrain, yTrain, xValid, yValid); err != nil {
		fail("writing the result: %v", err)
	}
}

// productsOnly times, for each of epochs epochs, the matrix products one
// training epoch of the 784-hidden-10 model makes over n images in batches
// of bs, and nothing else: per step the two layers' forward products
// x·wᵀ, the second layer's weight and input gradients gᵀ·h and g·w, and
// the first layer's weight gradient gᵀ·x (its input needs none), with the
// transpositions pkg/tensor's Linear uses, on buffers allocated once. They
// go through tensor.Gemm, the product behind pkg/tensor's MatMul and Linear
// with its BLAS and its split over the cores. This is the floor under an epoch
// that any loop over the same library could reach.
func productsOnly(hidden, bs, epochs, n int) (wall, cpu []float64) {
	rng := tensor.NewRNG(1)
	buf := func(size int) []float32 { return tensor.Rand(rng, size).Data() }
	x, h, g1, g2 := buf(bs*784), buf(bs*hidden), buf(bs*hidden), buf(bs*10)
	w1, w2 := buf(hidden*784), buf(10*hidden)
	out1, out2, gw1, gw2, gh := buf(bs*hidden), buf(bs*10), buf(hidden*784), buf(10*hidden), buf(bs*hidden)
	N, T := blas.NoTrans, blas.Trans
	for range epochs {
		start, cpu0 := time.Now(), measure.CPUSeconds()
		for i := 0; i < n; i += bs {
			b := min(bs, n-i)
			tensor.Gemm(N, T, b, hidden, 784, 1, x, 784, w1, 784, 0, out1, hidden)  // layer 1 forward
			tensor.Gemm(N, T, b, 10, hidden, 1, h, hidden, w2, hidden, 0, out2, 10) // layer 2 forward
			tensor.Gemm(T, N, 10, hidden, b, 1, g2, 10, h, hidden, 0, gw2, hidden)  // layer 2 weight gradient
			tensor.Gemm(N, N, b, hidden, 10, 1, g2, 10, w2, hidden, 0, gh, hidden)  // layer 2 input gradient
			tensor.Gemm(T, N, hidden, 784, b, 1, g1, hidden, x, 784, 0, gw1, 784)   // layer 1 weight gradient
		}
		wall = append(wall, time.Since(start).Seconds())
		cpu = append(cpu, measure.CPUSeconds()-cpu0)
	}
	return wall, cpu
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "bench/mlp: "+format+"\n", args...)
	os.Exit(2)
}
