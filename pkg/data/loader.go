package data

import (
	"iter"
	"slices"
	"sync"

	"github.com/fastgo/fastgo/pkg/tensor"
)

// DataLoader yields the batches (x, y) of Dataset in the order of Sampler,
// collated by Collate (nil means the package's Collate). It is PyTorch's
// DataLoader: notebook 03 builds the same loop by hand (dataset, sampler,
// collate) before it uses this one.
//
// Every batch is new tensors: a batch stays valid as long as anyone holds it,
// past the next iteration and past the pass, exactly like a PyTorch batch.
// Summing the losses of several batches before one Backward (gradient
// accumulation) is therefore correct with every configuration.
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

	pool batchPool // storage of the batches nobody holds any more (batchpool.go)
}

// NewDataLoader returns a loader over ds with the given sampler and collate
// function (nil means Collate), preparing batches in the loop's goroutine.
func NewDataLoader(ds Items, sampler *Sampler, collate CollateFunc) *DataLoader {
	return &DataLoader{Dataset: ds, Sampler: sampler, Collate: collate}
}

// Len returns the number of batches in one pass.
func (dl *DataLoader) Len() int { return dl.Sampler.Len() }

// All returns one pass over the batches: for xb, yb := range dl.All() { ... }.
// Breaking out of the loop early (or a panic in its body) stops every
// goroutine the pass started; a panic while making a batch in a worker is
// raised again in the loop's goroutine.
func (dl *DataLoader) All() iter.Seq2[*tensor.Tensor, *tensor.Tensor] {
	if dl.Workers > 0 {
		return prefetch(dl.Sampler, dl.Workers, dl.batch)
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

// batch makes the batch of the samples at idx: a *Dataset's rows are copied
// into recycled storage, another Batcher is asked for the whole batch, and
// any other dataset goes through Get and the collate function.
func (dl *DataLoader) batch(idx []int) (x, y *tensor.Tensor) {
	if dl.Collate == nil {
		switch ds := dl.Dataset.(type) {
		case *Dataset:
			return dl.gather(ds, idx)
		case Batcher:
			return ds.Index(idx)
		}
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

// gather is ds.Index(idx) with the inputs copied into storage from the
// loader's pool: the same values, dtype and shape.
func (dl *DataLoader) gather(ds *Dataset, idx []int) (x, y *tensor.Tensor) {
	if ds.X.DType() != tensor.Float32 || ds.X.RequiresGrad() || ds.X.Dim() == 0 {
		return ds.Index(idx)
	}
	n := ds.X.Len()
	src := ds.X.Data()
	rs := len(src) / max(n, 1)
	buf := dl.pool.get(len(idx) * rs)
	for k, i := range idx {
		if i < 0 || i >= n {
			panic(tensor.NewIndexError("data.DataLoader", i, 0, ds.X.Shape()))
		}
		copy(buf[k*rs:(k+1)*rs], src[i*rs:(i+1)*rs])
	}
	shape := append([]int{len(idx)}, ds.X.Shape()[1:]...)
	return tensor.New(buf, shape...), ds.Y.IndexSelect(tensor.FromInts(idx, len(idx)))
}

// prepared is a batch made by a worker, or the panic that stopped it.
type prepared struct {
	x, y     *tensor.Tensor
	panicked bool
	reason   any
}

// prepare calls makeBatch, turning a panic into a value, so that the loop's
// goroutine can raise it again instead of the program crashing in a worker.
func prepare(makeBatch func(idx []int) (x, y *tensor.Tensor), idx []int) (p prepared) {
	defer func() {
		if r := recover(); r != nil {
			p = prepared{panicked: true, reason: r}
		}
	}()
	p.x, p.y = makeBatch(idx)
	return p
}

// prefetch yields makeBatch(idx) for every batch of indices of one pass of
// sampler, in order, while workers goroutines prepare the following batches.
//
// The pass is drawn in the caller's goroutine, so its random generator is
// used exactly as without workers. A feeder goroutine hands the batches to
// the workers in order and queues, for each, the one-slot channel its result
// will arrive on; the loop reads the queue in order, so results come back in
// sampler order however the workers interleave. The queue's capacity bounds
// how far ahead the workers run.
func prefetch(sampler *Sampler, workers int, makeBatch func(idx []int) (x, y *tensor.Tensor)) iter.Seq2[*tensor.Tensor, *tensor.Tensor] {
	return func(yield func(x, y *tensor.Tensor) bool) {
		batches := slices.Collect(sampler.All())
		type job struct {
			idx []int
			out chan prepared
		}
		jobs := make(chan job)
		queue := make(chan chan prepared, 2*workers)
		done := make(chan struct{})
		var wg sync.WaitGroup
		// However the loop ends (finished, break, panic in its body), no
		// goroutine outlives the pass.
		defer func() {
			close(done)
			wg.Wait()
		}()

		wg.Go(func() { // the feeder
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
		for range workers {
			wg.Go(func() {
				for j := range jobs {
					j.out <- prepare(makeBatch, j.idx) // one-slot buffer: never blocks
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
