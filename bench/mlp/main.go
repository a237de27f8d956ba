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
	"runtime"
	"sync"
	"time"

	"github.com/fastgo/fastgo/bench/internal/measure"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"

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
// call the BLAS that pkg/tensor uses (gonum's blas32 interface, bound to
// the native library by the build tag), splitting the large ones over the
// cores as pkg/tensor does (sgemmSplit). This is the floor under an epoch
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
			sgemmSplit(N, T, b, hidden, 784, x, 784, w1, 784, out1, hidden)  // layer 1 forward
			sgemmSplit(N, T, b, 10, hidden, h, hidden, w2, hidden, out2, 10) // layer 2 forward
			sgemmSplit(T, N, 10, hidden, b, g2, 10, h, hidden, gw2, hidden)  // layer 2 weight gradient
			sgemmSplit(N, N, b, hidden, 10, g2, 10, w2, hidden, gh, hidden)  // layer 2 input gradient
			sgemmSplit(T, N, hidden, 784, b, g1, hidden, x, 784, gw1, 784)   // layer 1 weight gradient
		}
		wall = append(wall, time.Since(start).Seconds())
		cpu = append(cpu, measure.CPUSeconds()-cpu0)
	}
	return wall, cpu
}

// sgemmSplit is C = op(A)·op(B) through blas32, split as pkg/tensor splits
// a product (its gemmThreads): with at least 8M multiply-adds and both
// sides of C at least 32, the longer side of C is cut into one block per
// CPU (aligned to 48), each block computed on its own goroutine.
func sgemmSplit(tA, tB blas.Transpose, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	impl := blas32.Implementation()
	p := 1
	if m*n*k >= 8<<20 && min(m, n) >= 32 {
		p = runtime.NumCPU()
	}
	side := max(m, n)
	chunk := ((side+p-1)/p + 47) / 48 * 48
	if p < 2 || chunk >= side {
		impl.Sgemm(tA, tB, m, n, k, 1, a, lda, b, ldb, 0, c, ldc)
		return
	}
	block := func(lo, hi int) {
		if m >= n {
			off := lo * lda
			if tA == blas.Trans {
				off = lo
			}
			impl.Sgemm(tA, tB, hi-lo, n, k, 1, a[off:], lda, b, ldb, 0, c[lo*ldc:], ldc)
			return
		}
		off := lo
		if tB == blas.Trans {
			off = lo * ldb
		}
		impl.Sgemm(tA, tB, m, hi-lo, k, 1, a, lda, b[off:], ldb, 0, c[lo:], ldc)
	}
	var wg sync.WaitGroup
	for lo := chunk; lo < side; lo += chunk {
		wg.Add(1)
		go func(lo, hi int) {
			defer wg.Done()
			block(lo, hi)
		}(lo, min(lo+chunk, side))
	}
	block(0, chunk)
	wg.Wait()
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "bench/mlp: "+format+"\n", args...)
	os.Exit(2)
}
