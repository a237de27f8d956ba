// Package measure holds what the bench programs (bench/mlp, bench/cnn) do
// alike: the training loop they time, medians, CPU time and peak memory of
// the process, and the JSON line they print.
package measure

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

// Median returns the median of xs (the mean of the middle two for an even count).
func Median(xs []float64) float64 {
	s := slices.Sorted(slices.Values(xs))
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// CPUSeconds returns the user plus system CPU time of the process so far.
func CPUSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

// MaxRSSKB returns the peak resident set size of the process in KiB (Linux's unit for ru_maxrss).
func MaxRSSKB() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return -1
	}
	return int64(ru.Maxrss)
}

// Result is the JSON line a bench program prints last (its fields are
// described in bench/README.md); bench/run collects them.
type Result struct {
	Impl       string     `json:"impl"`
	Model      string     `json:"model,omitempty"` // "" is the MLP
	Hidden     int        `json:"hidden"`
	BS         int        `json:"bs"`
	Threads    int        `json:"threads"`
	Seed       uint64     `json:"seed"`
	Workers    int        `json:"workers"`
	EpochTimes []float64  `json:"epoch_times"`
	EpochCPU   []float64  `json:"epoch_cpu"`
	MedianS    float64    `json:"median_s"`
	GFLOPS     float64    `json:"gflops,omitempty"`
	PeakGFLOPS float64    `json:"peak_gflops,omitempty"`
	Accuracy   float64    `json:"accuracy"`
	MaxRSSKB   int64      `json:"maxrss_kb"`
	BLAS       string     `json:"blas"`
	DataCheck  [4]float64 `json:"data_check"`
}

// Train runs s.Epochs passes of lesson 03's loop (forward, cross entropy,
// Backward, Step, ZeroGrad) over dl and appends each epoch's wall and CPU
// seconds to r, under a CPU profile written to s.CPUProfile if it is set.
func (r *Result) Train(s *Settings, dl *data.DataLoader, model nn.Module, opt *nn.SGD) error {
	stop, err := startCPUProfile(s.CPUProfile)
	if err != nil {
		return fmt.Errorf("cpuprofile: %w", err)
	}
	defer stop()
	for range s.Epochs {
		r.Epoch(func() {
			for xb, yb := range dl.All() {
				nn.CrossEntropy(model.Forward(xb), yb).Backward()
				opt.Step()
				opt.ZeroGrad()
			}
		})
	}
	return nil
}

// Epoch runs one epoch and appends its wall and CPU seconds to r.
func (r *Result) Epoch(epoch func()) {
	start, cpu0 := time.Now(), CPUSeconds()
	epoch()
	r.EpochTimes = append(r.EpochTimes, time.Since(start).Seconds())
	r.EpochCPU = append(r.EpochCPU, CPUSeconds()-cpu0)
}

// Print sets the median of the timed epochs [warmup, warmup+timed), the
// peak RSS, the BLAS and the data check (the sums of the four data
// tensors, so bench/run can check that every peer trained on the same
// numbers), and prints r as one JSON line on stdout.
func (r *Result) Print(warmup, timed int, xTrain, yTrain, xValid, yValid *tensor.Tensor) error {
	r.MedianS = Median(r.EpochTimes[warmup : warmup+timed])
	r.MaxRSSKB = MaxRSSKB()
	r.BLAS = tensor.BLASInfo()
	for i, t := range []*tensor.Tensor{xTrain, yTrain, xValid, yValid} {
		r.DataCheck[i] = 0
		for _, v := range t.Data() {
			r.DataCheck[i] += float64(v)
		}
	}
	return json.NewEncoder(os.Stdout).Encode(r)
}

// startCPUProfile writes a CPU profile to path until the returned stop is
// called; with path "" it does nothing.
func startCPUProfile(path string) (stop func(), err error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

// Settings are the flags every bench program takes (bench/README.md; the
// Python peers take the same, mnist_idx.add_run_args).
type Settings struct {
	BS, Epochs, Warmup, Timed int
	LR                        float64
	Seed                      uint64
	Threads, Workers          int
	CPUProfile                string
}

// Flags registers the common flags on the command line with the defaults
// in d, and returns the settings flag.Parse will fill.
func Flags(d Settings) *Settings {
	s := &d
	flag.IntVar(&s.BS, "bs", d.BS, "training batch size")
	flag.IntVar(&s.Epochs, "epochs", d.Epochs, "training epochs in all (accuracy is measured after them)")
	flag.IntVar(&s.Warmup, "warmup", d.Warmup, "leading epochs left out of the median")
	flag.IntVar(&s.Timed, "timed", d.Timed, "epochs after the warm-up whose median is reported")
	flag.Float64Var(&s.LR, "lr", d.LR, "SGD learning rate")
	flag.Uint64Var(&s.Seed, "seed", d.Seed, "seed of the initialisation (seed) and of the shuffling (seed+1)")
	flag.IntVar(&s.Threads, "threads", d.Threads, "cores a large product is split over, at most (0: the library's default, every core)")
	flag.IntVar(&s.Workers, "workers", d.Workers, "DataLoader workers (0: batches gathered in the loop, as PyTorch's default)")
	flag.StringVar(&s.CPUProfile, "cpuprofile", d.CPUProfile, "write a CPU profile of the training epochs to this file")
	return s
}

// Setup checks the parsed settings, applies -threads, and returns MNIST's
// course split and the shuffled training loader of lesson 03's GetDLs.
func (s *Settings) Setup() (xTrain, yTrain, xValid, yValid *tensor.Tensor, train *data.DataLoader, err error) {
	if s.Epochs < s.Warmup+s.Timed || s.Timed < 1 {
		return nil, nil, nil, nil, nil, fmt.Errorf("need -epochs >= -warmup + -timed and -timed >= 1, got %d, %d, %d", s.Epochs, s.Warmup, s.Timed)
	}
	if s.Threads > 0 {
		tensor.SetBLASThreads(s.Threads)
	}
	xTrain, yTrain, xValid, yValid = data.GetData()
	trainDS, validDS := data.NewDataset(xTrain, yTrain), data.NewDataset(xValid, yValid)
	train, _ = data.GetDLs(trainDS, validDS, s.BS, data.WithRNG(tensor.NewRNG(s.Seed+1)), data.WithWorkers(s.Workers))
	return xTrain, yTrain, xValid, yValid, train, nil
}

// Result returns the result line of impl with the settings filled in.
func (s *Settings) Result(impl string) Result {
	return Result{Impl: impl, BS: s.BS, Threads: s.Threads, Seed: s.Seed, Workers: s.Workers}
}
