// Package measure holds what the bench programs (bench/mlp, bench/cnn) do
// alike: the training loop they time, medians, CPU time and peak memory of
// the process, and the JSON line they print.
package measure

import (
	"encoding/json"
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

// Train runs epochs passes of lesson 03's loop (forward, cross entropy,
// Backward, Step, ZeroGrad) over dl and appends each epoch's wall and CPU
// seconds to r.
func (r *Result) Train(epochs int, dl *data.DataLoader, model nn.Module, opt *nn.SGD) {
	for range epochs {
		r.Epoch(func() {
			for xb, yb := range dl.All() {
				nn.CrossEntropy(model.Forward(xb), yb).Backward()
				opt.Step()
				opt.ZeroGrad()
			}
		})
	}
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

// StartCPUProfile writes a CPU profile to path until the returned stop is
// called; with path "" it does nothing.
func StartCPUProfile(path string) (stop func(), err error) {
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
