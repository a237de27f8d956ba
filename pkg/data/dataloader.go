package data

import (
	"fmt"
	"iter"
	"math/rand/v2"
	"slices"
	"sync"

	"github.com/fastgo/fastgo/pkg/tensor"
)

// Sample is one item of a dataset: an input X (one row, e.g. 784 pixels) and
// its target Y (a 0-d tensor, e.g. the label 5).
type Sample struct {
	X, Y *tensor.Tensor
}

// Items is what a DataLoader needs of a dataset: how many samples there are and
// the sample at an index. It plays the role of Python's __len__ and
// __getitem__: any type with these two methods is a dataset.
type Items interface {
	Len() int
	Get(i int) Sample
}

// Dataset pairs inputs X with targets Y row by row: sample i is (X[i], Y[i]).
type Dataset struct {
	X, Y *tensor.Tensor
}

// NewDataset returns the dataset of x and y. It panics if they do not have the
// same number of rows (size of dimension 0).
func NewDataset(x, y *tensor.Tensor) *Dataset {
	if x.Len() != y.Len() {
		panic(fmt.Sprintf("data: NewDataset: x has %d rows (shape %v) but y has %d (shape %v)",
			x.Len(), x.Shape(), y.Len(), y.Shape()))
	}
	return &Dataset{X: x, Y: y}
}

// Len returns the number of samples.
func (ds *Dataset) Len() int { return ds.X.Len() }

// Get returns sample i: row i of X and element i of Y (Python's ds[i]).
func (ds *Dataset) Get(i int) Sample { return Sample{X: ds.X.Row(i), Y: ds.Y.Row(i)} }

// Slice returns rows [start, end) of X and Y (Python's ds[start:end]);
// end is clipped to Len, as a Python slice is.
func (ds *Dataset) Slice(start, end int) (x, y *tensor.Tensor) {
	end = min(end, ds.Len())
	return ds.X.Slice(start, end), ds.Y.Slice(start, end)
}

// Index returns the rows of X and Y at the given indices, in that order
// (Python's ds[idxs] with a tensor of indices).
func (ds *Dataset) Index(idx []int) (x, y *tensor.Tensor) {
	t := tensor.FromInts(idx, len(idx))
	return ds.X.IndexSelect(t), ds.Y.IndexSelect(t)
}

// Sampler yields the indices 0..N-1 in batches of BS; the last batch is
// shorter when BS does not divide N. With Shuffle, every pass (every range
// over All) draws a new permutation from RNG (nil means tensor's default
// generator, seeded by tensor.Seed).
type Sampler struct {
	N, BS   int
	Shuffle bool
	RNG     *rand.Rand
}

// NewSampler returns a sampler over n items in batches of bs. It panics if bs
// is not positive or n is negative.
func NewSampler(n, bs int, shuffle bool, rng *rand.Rand) *Sampler {
	if bs <= 0 || n < 0 {
		panic(fmt.Sprintf("data: NewSampler: need n >= 0 and bs > 0, got n=%d bs=%d", n, bs))
	}
	return &Sampler{N: n, BS: bs, Shuffle: shuffle, RNG: rng}
}

// Len returns the number of batches in one pass: ⌈N/BS⌉.
func (s *Sampler) Len() int { return (s.N + s.BS - 1) / s.BS }

// All returns one pass over the batches of indices. Each range over it starts
// a new pass (a new permutation when shuffling). The slices yielded share one
// backing array per pass: copy one to keep it past the pass.
func (s *Sampler) All() iter.Seq[[]int] {
	return func(yield func([]int) bool) {
		var idx []int
		if s.Shuffle {
			idx = tensor.RandPerm(s.RNG, s.N).Ints()
		} else {
			idx = tensor.Arange(s.N).Ints()
		}
		for i := 0; i < s.N; i += s.BS {
			if !yield(idx[i:min(i+s.BS, s.N):min(i+s.BS, s.N)]) {
				return
			}
		}
	}
}

// CollateFunc turns a batch of samples into the batch tensors (x, y).
type CollateFunc func(batch []Sample) (x, y *tensor.Tensor)

// Collate stacks the samples' inputs into x (shape [len(batch), ...X's shape])
// and their targets into y (shape [len(batch), ...Y's shape]). It panics on an
// empty batch.
func Collate(batch []Sample) (x, y *tensor.Tensor) {
	if len(batch) == 0 {
		panic("data: Collate: empty batch")
	}
	xs := make([]*tensor.Tensor, len(batch))
	ys := make([]*tensor.Tensor, len(batch))
	for i, s := range batch {
		xs[i], ys[i] = s.X, s.Y
	}
	return tensor.Stack(xs), tensor.Stack(ys)
}

// DataLoader yields the batches (x, y) of Dataset in the order of Sampler,
// collated by Collate (nil means the package's Collate).
//
// With Workers > 0 it works like PyTorch's DataLoader with num_workers:
// Workers goroutines gather and collate the next batches while the loop body
// (the training step) runs; the batches and their order are the same as with
// Workers == 0. A DataLoader is not safe for concurrent passes.
type DataLoader struct {
	Dataset Items
	Sampler *Sampler
	Collate CollateFunc
	Workers int
}

// NewDataLoader returns a loader over ds with the given sampler and collate
// function (nil means Collate), preparing batches in the loop's goroutine.
func NewDataLoader(ds Items, sampler *Sampler, collate CollateFunc) *DataLoader {
	return &DataLoader{Dataset: ds, Sampler: sampler, Collate: collate}
}

// Len returns the number of batches in one pass.
func (dl *DataLoader) Len() int { return dl.Sampler.Len() }

// All returns one pass over the batches: `for xb, yb := range dl.All()`.
// Breaking out of the loop early stops every goroutine the pass started.
func (dl *DataLoader) All() iter.Seq2[*tensor.Tensor, *tensor.Tensor] {
	if dl.Workers > 0 {
		return dl.prefetched()
	}
	return func(yield func(x, y *tensor.Tensor) bool) {
		for idx := range dl.Sampler.All() {
			if !yield(dl.batch(idx)) {
				return
			}
		}
	}
}

// Batcher is implemented by datasets that gather a whole batch in one call,
// as Dataset.Index does (PyTorch's __getitems__). With the default collate a
// DataLoader uses it instead of Get and Collate: the same batch, without a
// tensor per sample.
type Batcher interface {
	Index(idx []int) (x, y *tensor.Tensor)
}

// batch gathers the samples at idx and collates them.
func (dl *DataLoader) batch(idx []int) (x, y *tensor.Tensor) {
	if b, ok := dl.Dataset.(Batcher); ok && dl.Collate == nil {
		return b.Index(idx)
	}
	items := make([]Sample, len(idx))
	for j, i := range idx {
		items[j] = dl.Dataset.Get(i)
	}
	collate := dl.Collate
	if collate == nil {
		collate = Collate
	}
	return collate(items)
}

// prepared is a batch made by a worker, or the panic that stopped it.
type prepared struct {
	x, y     *tensor.Tensor
	panicked bool
	reason   any
}

// safeBatch is batch with a panic turned into a value, so that the loop's
// goroutine can re-raise it instead of the program crashing in a worker.
func (dl *DataLoader) safeBatch(idx []int) (p prepared) {
	defer func() {
		if r := recover(); r != nil {
			p = prepared{panicked: true, reason: r}
		}
	}()
	p.x, p.y = dl.batch(idx)
	return p
}

// prefetched is All with Workers goroutines preparing batches ahead.
//
// The sampler's pass is drawn in the caller's goroutine (so its random
// generator is never used concurrently). A feeder goroutine hands the batches
// out in order; each comes with its own one-slot result channel, which the
// feeder also queues, so the loop receives results in sampler order however the
// workers interleave. The queue's capacity bounds how far ahead they run.
func (dl *DataLoader) prefetched() iter.Seq2[*tensor.Tensor, *tensor.Tensor] {
	return func(yield func(x, y *tensor.Tensor) bool) {
		batches := slices.Collect(dl.Sampler.All())
		type job struct {
			idx []int
			out chan prepared
		}
		jobs := make(chan job)
		queue := make(chan chan prepared, 2*dl.Workers)
		done := make(chan struct{})
		var wg sync.WaitGroup
		// Runs however the loop ends (finished, break, panic in its body):
		// no goroutine outlives the pass.
		defer func() {
			close(done)
			wg.Wait()
		}()

		wg.Go(func() {
			defer close(queue)
			defer close(jobs)
			for _, idx := range batches {
				out := make(chan prepared, 1)
				select {
				case queue <- out:
				case <-done:
					return
				}
				select {
				case jobs <- job{idx, out}:
				case <-done:
					return
				}
			}
		})
		for range dl.Workers {
			wg.Go(func() {
				for j := range jobs {
					j.out <- dl.safeBatch(j.idx) // one-slot buffer: never blocks
				}
			})
		}

		for out := range queue {
			p := <-out
			if p.panicked {
				panic(p.reason)
			}
			if !yield(p.x, p.y) {
				return
			}
		}
	}
}

// LoaderOption configures the loaders made by GetDLs.
type LoaderOption func(*loaderOptions)

type loaderOptions struct {
	rng     *rand.Rand
	workers int
}

// WithRNG makes the training loader shuffle with rng (default: tensor's
// default generator).
func WithRNG(rng *rand.Rand) LoaderOption {
	return func(o *loaderOptions) { o.rng = rng }
}

// WithWorkers makes both loaders prepare batches on n goroutines.
func WithWorkers(n int) LoaderOption {
	return func(o *loaderOptions) { o.workers = n }
}

// GetDLs returns the training loader (batches of bs, shuffled on every pass)
// and the validation loader (batches of 2*bs in order: validation keeps no
// activations for a backward pass, so twice the batch fits in the same memory).
func GetDLs(trainDS, validDS Items, bs int, opts ...LoaderOption) (train, valid *DataLoader) {
	var o loaderOptions
	for _, opt := range opts {
		opt(&o)
	}
	train = &DataLoader{Dataset: trainDS, Sampler: NewSampler(trainDS.Len(), bs, true, o.rng), Workers: o.workers}
	valid = &DataLoader{Dataset: validDS, Sampler: NewSampler(validDS.Len(), 2*bs, false, nil), Workers: o.workers}
	return train, valid
}
