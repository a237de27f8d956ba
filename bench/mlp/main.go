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

	"github.com/fastgo/fastgo/pkg/data"
	"github.com/fastgo/fastgo/pkg/nn"
	"github.com/fastgo/fastgo/pkg/tensor"
)

func main() {
	hidden := flag.Int("hidden", 50, "hidden layer width")
	bs := flag.Int("bs", 64, "training batch size")
	epochs := flag.Int("epochs", 5, "training epochs in all (accuracy is measured after them)")
	warmup := flag.Int("warmup", 1, "leading epochs left out of the median")
	timed := flag.Int("timed", 3, "epochs after the warm-up whose median is reported")
	lr := flag.Float64("lr", 0.5, "SGD learning rate")
	seed := flag.Uint64("seed", 1, "seed of the initialisation (seed) and of the shuffling (seed+1)")
	threads := flag.Int("threads", 0, "cores a large product is split over, at most (0: the library's default, every core)")
	workers := flag.Int("workers", 0, "DataLoader workers (0: batches gathered in the loop, as PyTorch's default)")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the training epochs to this file")
	limit := flag.Bool("limit", false, "time only the matrix products of each epoch (the model's limit), not training")
	flag.Parse()
	if *epochs < *warmup+*timed || *timed < 1 {
		fail("need -epochs >= -warmup + -timed and -timed >= 1, got %d, %d, %d", *epochs, *warmup, *timed)
	}
	if *threads > 0 {
		tensor.SetBLASThreads(*threads)
	}

	xTrain, yTrain, xValid, yValid := data.GetData()
	trainDS, validDS := data.NewDataset(xTrain, yTrain), data.NewDataset(xValid, yValid)
	trainDL, _ := data.GetDLs(trainDS, validDS, *bs, data.WithRNG(tensor.NewRNG(*seed+1)), data.WithWorkers(*workers))

	rng := tensor.NewRNG(*seed)
	model := nn.NewSequential(nn.NewLinear(784, *hidden, rng), nn.ReLU{}, nn.NewLinear(*hidden, 10, rng))
	opt := nn.NewSGD(model.Parameters(), *lr)

	res := measure.Result{Impl: "ours", Hidden: *hidden, BS: *bs, Threads: *threads, Seed: *seed, Workers: *workers}
	if *limit {
		res.Impl = "limit"
		res.EpochTimes, res.EpochCPU = productsOnly(*hidden, *bs, *epochs, trainDS.Len())
	} else {
		stop, err := measure.StartCPUProfile(*cpuprofile)
		if err != nil {
			fail("cpuprofile: %v", err)
		}
		res.Train(*epochs, trainDL, model, opt)
		stop()
		tensor.NoGrad(func() {
			res.Accuracy = float64(nn.Accuracy(model.Forward(xValid), yValid))
		})
	}
	if err := res.Print(*warmup, *timed, xTrain, yTrain, xValid, yValid); err != nil {
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
