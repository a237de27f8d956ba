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
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"runtime/pprof"
	"slices"
	"syscall"
	"time"

	"github.com/fastgo/fastgo/pkg/data"
	"github.com/fastgo/fastgo/pkg/nn"
	"github.com/fastgo/fastgo/pkg/tensor"
)

// result is the JSON line printed at the end; torch_loop.py prints the same
// fields.
type result struct {
	Impl       string     `json:"impl"`
	Hidden     int        `json:"hidden"`
	BS         int        `json:"bs"`
	Threads    int        `json:"threads"`
	Seed       uint64     `json:"seed"`
	Workers    int        `json:"workers"`
	EpochTimes []float64  `json:"epoch_times"`
	EpochCPU   []float64  `json:"epoch_cpu"`
	MedianS    float64    `json:"median_s"`
	Accuracy   float64    `json:"accuracy"`
	MaxRSSKB   int64      `json:"maxrss_kb"`
	BLAS       string     `json:"blas"`
	DataCheck  [4]float64 `json:"data_check"`
}

func main() {
	hidden := flag.Int("hidden", 50, "hidden layer width")
	bs := flag.Int("bs", 64, "training batch size")
	epochs := flag.Int("epochs", 5, "training epochs in all (accuracy is measured after them)")
	warmup := flag.Int("warmup", 1, "leading epochs left out of the median")
	timed := flag.Int("timed", 3, "epochs after the warm-up whose median is reported")
	lr := flag.Float64("lr", 0.5, "SGD learning rate")
	seed := flag.Uint64("seed", 1, "seed of the initialisation (seed) and of the shuffling (seed+1)")
	threads := flag.Int("threads", 0, "OpenBLAS threads at most (0: the library's default, all cores for large products)")
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

	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			fail("cpuprofile: %v", err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			fail("cpuprofile %s: %v", *cpuprofile, err)
		}
		defer f.Close()
	}
	res := result{Impl: "ours", Hidden: *hidden, BS: *bs, Threads: *threads, Seed: *seed, Workers: *workers}
	if *limit {
		res.Impl = "limit"
		res.EpochTimes, res.EpochCPU = productsOnly(*hidden, *bs, *epochs, trainDS.Len())
		res.MedianS = median(res.EpochTimes[*warmup : *warmup+*timed])
		res.MaxRSSKB = maxRSSKB()
		res.BLAS = tensor.BLASInfo()
		res.DataCheck = dataCheck(xTrain, yTrain, xValid, yValid)
		if err := json.NewEncoder(os.Stdout).Encode(res); err != nil {
			fail("writing the result: %v", err)
		}
		return
	}
	for range *epochs {
		start, cpu0 := time.Now(), cpuSeconds()
		for xb, yb := range trainDL.All() {
			nn.CrossEntropy(model.Forward(xb), yb).Backward()
			opt.Step()
			opt.ZeroGrad()
		}
		res.EpochTimes = append(res.EpochTimes, time.Since(start).Seconds())
		res.EpochCPU = append(res.EpochCPU, cpuSeconds()-cpu0)
	}
	if *cpuprofile != "" {
		pprof.StopCPUProfile()
	}

	tensor.NoGrad(func() {
		res.Accuracy = float64(nn.Accuracy(model.Forward(xValid), yValid))
	})
	res.MedianS = median(res.EpochTimes[*warmup : *warmup+*timed])
	res.MaxRSSKB = maxRSSKB()
	res.BLAS = tensor.BLASInfo()
	res.DataCheck = dataCheck(xTrain, yTrain, xValid, yValid)
	if err := json.NewEncoder(os.Stdout).Encode(res); err != nil {
		fail("writing the result: %v", err)
	}
}

// dataCheck returns the sums of the data, so bench/run can check that every
// peer trained on the same numbers.
func dataCheck(ts ...*tensor.Tensor) (sums [4]float64) {
	for i, t := range ts {
		for _, v := range t.Data() {
			sums[i] += float64(v)
		}
	}
	return sums
}

// productsOnly times, for each of epochs epochs, the matrix products one
// training epoch of the 784-hidden-10 model makes over n images in batches
// of bs, and nothing else: per step the two layers' forward products, the
// second layer's weight and input gradients, and the first layer's weight
// gradient (its input needs none). They go through tensor.MatMul on
// tensors without gradients, so the same BLAS, thread split and result
// allocation as in training; a weight gradient gᵀ·x is computed as a
// product of the same shape with gᵀ stored beforehand. This is the floor
// under an epoch that any loop over the same library could reach.
func productsOnly(hidden, bs, epochs, n int) (wall, cpu []float64) {
	rng := tensor.NewRNG(1)
	steps := []int{}
	for i := 0; i < n; i += bs {
		steps = append(steps, min(bs, n-i))
	}
	type step struct{ x, h, g2, g2t, g1t *tensor.Tensor }
	shapes := map[int]step{}
	for _, b := range steps {
		if _, ok := shapes[b]; !ok {
			shapes[b] = step{
				x: tensor.Rand(rng, b, 784), h: tensor.Rand(rng, b, hidden),
				g2: tensor.Rand(rng, b, 10), g2t: tensor.Rand(rng, 10, b), g1t: tensor.Rand(rng, hidden, b),
			}
		}
	}
	w1t, w2t, w2 := tensor.Rand(rng, 784, hidden), tensor.Rand(rng, hidden, 10), tensor.Rand(rng, 10, hidden)
	for range epochs {
		start, cpu0 := time.Now(), cpuSeconds()
		for _, b := range steps {
			s := shapes[b]
			s.x.MatMul(w1t)   // layer 1 forward: [b 784]·[784 hidden]
			s.h.MatMul(w2t)   // layer 2 forward: [b hidden]·[hidden 10]
			s.g2t.MatMul(s.h) // layer 2 weight gradient: [10 b]·[b hidden]
			s.g2.MatMul(w2)   // layer 2 input gradient: [b 10]·[10 hidden]
			s.g1t.MatMul(s.x) // layer 1 weight gradient: [hidden b]·[b 784]
		}
		wall = append(wall, time.Since(start).Seconds())
		cpu = append(cpu, cpuSeconds()-cpu0)
	}
	return wall, cpu
}

// median returns the median of xs (the mean of the middle two for an even count).
func median(xs []float64) float64 {
	s := slices.Sorted(slices.Values(xs))
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// cpuSeconds returns the user plus system CPU time of the process so far.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

// maxRSSKB returns the peak resident set size of the process in KiB (Linux's unit for ru_maxrss).
func maxRSSKB() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return -1
	}
	return int64(ru.Maxrss)
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "bench/mlp: "+format+"\n", args...)
	os.Exit(2)
}
