package data

import (
	"fmt"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fastgo/fastgo/pkg/tensor"
)

// rowDataset returns n samples whose input row i is [i, i+0.5, i+0.25] and whose
// target is i, so a batch shows which samples it holds.
func rowDataset(n int) *Dataset {
	x := make([]float32, 0, 3*n)
	y := make([]int, n)
	for i := range n {
		x = append(x, float32(i), float32(i)+0.5, float32(i)+0.25)
		y[i] = i
	}
	return NewDataset(tensor.New(x, n, 3), tensor.FromInts(y, n))
}

// batchRec is a batch copied out of its tensors.
type batchRec struct {
	xShape, yShape []int
	x              []float32
	y              []int
}

func record(dl *DataLoader) []batchRec {
	var out []batchRec
	for xb, yb := range dl.All() {
		out = append(out, batchRec{slices.Clone(xb.Shape()), slices.Clone(yb.Shape()),
			slices.Clone(xb.Data()), yb.Ints()})
	}
	return out
}

func TestDatasetLenGetSliceIndex(t *testing.T) {
	ds := rowDataset(10)
	if ds.Len() != 10 {
		t.Fatalf("Len = %d, want 10", ds.Len())
	}
	s := ds.Get(7)
	if !slices.Equal(s.X.Data(), []float32{7, 7.5, 7.25}) || s.Y.Item() != 7 {
		t.Fatalf("Get(7) = %v, %v", s.X, s.Y)
	}
	x, y := ds.Slice(8, 12) // clipped like a Python slice
	if !slices.Equal(x.Shape(), []int{2, 3}) || !slices.Equal(y.Ints(), []int{8, 9}) {
		t.Fatalf("Slice(8, 12) = %v %v", x.Shape(), y)
	}
	x, y = ds.Index([]int{4, 1})
	if !slices.Equal(x.Data(), []float32{4, 4.5, 4.25, 1, 1.5, 1.25}) || !slices.Equal(y.Ints(), []int{4, 1}) {
		t.Fatalf("Index([4 1]) = %v %v", x, y)
	}
}

func TestNewDatasetRowMismatchPanics(t *testing.T) {
	defer func() {
		r := recover()
		if r == nil || !strings.Contains(fmt.Sprint(r), "[4 3]") {
			t.Fatalf("want a panic naming the shapes, got %v", r)
		}
	}()
	NewDataset(tensor.Zeros(4, 3), tensor.FromInts([]int{1, 2, 3}, 3))
}

func TestCollateStacks(t *testing.T) {
	ds := rowDataset(5)
	x, y := Collate([]Sample{ds.Get(3), ds.Get(0)})
	if !slices.Equal(x.Shape(), []int{2, 3}) || !slices.Equal(y.Shape(), []int{2}) {
		t.Fatalf("shapes %v %v, want [2 3] [2]", x.Shape(), y.Shape())
	}
	if !slices.Equal(x.Data(), []float32{3, 3.5, 3.25, 0, 0.5, 0.25}) || !slices.Equal(y.Ints(), []int{3, 0}) {
		t.Fatalf("collated %v %v", x, y)
	}
	if y.DType() != tensor.Int {
		t.Fatalf("targets lost their Int dtype: %v", y.DType())
	}
}

func TestDataLoaderFollowsSampler(t *testing.T) {
	ds := rowDataset(10)
	dl := NewDataLoader(ds, NewSampler(10, 4, true, tensor.NewRNG(5)), nil)
	want := pass(NewSampler(10, 4, true, tensor.NewRNG(5)))
	got := record(dl)
	if len(got) != len(want) || dl.Len() != 3 {
		t.Fatalf("got %d batches (Len %d), want %d", len(got), dl.Len(), len(want))
	}
	for i, b := range got {
		if !slices.Equal(b.y, want[i]) {
			t.Fatalf("batch %d targets %v, want sampler's %v", i, b.y, want[i])
		}
		if !slices.Equal(b.xShape, []int{len(want[i]), 3}) {
			t.Fatalf("batch %d x shape %v", i, b.xShape)
		}
		for j, idx := range want[i] {
			if b.x[3*j] != float32(idx) {
				t.Fatalf("batch %d row %d holds sample %v, want %d", i, j, b.x[3*j], idx)
			}
		}
	}
}

func TestDataLoaderCustomCollate(t *testing.T) {
	ds := rowDataset(6)
	calls := 0
	double := func(b []Sample) (x, y *tensor.Tensor) {
		calls++
		x, y = Collate(b)
		return x.MulScalar(2), y
	}
	dl := NewDataLoader(ds, NewSampler(6, 4, false, nil), double)
	got := record(dl)
	if calls != 2 || got[1].x[0] != 8 {
		t.Fatalf("custom collate: %d calls, first value of batch 1 = %v, want 2 calls and 8", calls, got[1].x[0])
	}
}

func TestPrefetchGivesSameBatchesAsPlain(t *testing.T) {
	ds := rowDataset(1003)
	for _, workers := range []int{1, 2, 4, 8} {
		plain := &DataLoader{Dataset: ds, Sampler: NewSampler(ds.Len(), 16, true, tensor.NewRNG(9))}
		pre := &DataLoader{Dataset: ds, Sampler: NewSampler(ds.Len(), 16, true, tensor.NewRNG(9)), Workers: workers}
		for p := range 3 { // several passes: the generators must stay in step
			a, b := record(plain), record(pre)
			if len(a) != len(b) {
				t.Fatalf("workers=%d pass %d: %d vs %d batches", workers, p, len(a), len(b))
			}
			for i := range a {
				if !slices.Equal(a[i].x, b[i].x) || !slices.Equal(a[i].y, b[i].y) ||
					!slices.Equal(a[i].xShape, b[i].xShape) || !slices.Equal(a[i].yShape, b[i].yShape) {
					t.Fatalf("workers=%d pass %d: batch %d differs: %v vs %v", workers, p, i, a[i].y, b[i].y)
				}
			}
		}
	}
}

// settledGoroutines waits until the number of goroutines is at most want (the
// runtime may take a moment to retire exited ones) and returns it.
func settledGoroutines(want int) int {
	n := runtime.NumGoroutine()
	for deadline := time.Now().Add(2 * time.Second); n > want && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
		n = runtime.NumGoroutine()
	}
	return n
}

func TestPrefetchLeaksNoGoroutine(t *testing.T) {
	ds := rowDataset(2000)
	before := runtime.NumGoroutine()
	dl := &DataLoader{Dataset: ds, Sampler: NewSampler(ds.Len(), 8, true, tensor.NewRNG(1)), Workers: 4}

	for range 20 { // break after the first batch, while workers are busy ahead
		for range dl.All() {
			break
		}
	}
	n := 0
	for range dl.All() { // a slow loop body: workers block on the full queue
		if n++; n == 5 {
			time.Sleep(20 * time.Millisecond)
			break
		}
	}
	func() { // a panic in the loop body
		defer func() { _ = recover() }()
		for range dl.All() {
			panic("loop body failed")
		}
	}()
	for range dl.All() { // a full pass
	}
	if after := settledGoroutines(before); after > before {
		buf := make([]byte, 1<<16)
		t.Fatalf("%d goroutines before, %d after:\n%s", before, after, buf[:runtime.Stack(buf, true)])
	}
}

func TestPrefetchReraisesCollatePanic(t *testing.T) {
	before := runtime.NumGoroutine()
	ds := rowDataset(100)
	bad := func(b []Sample) (x, y *tensor.Tensor) {
		if b[0].Y.Item() >= 50 {
			panic("collate: bad sample")
		}
		return Collate(b)
	}
	dl := &DataLoader{Dataset: ds, Sampler: NewSampler(100, 10, false, nil), Collate: bad, Workers: 3}
	seen := 0
	func() {
		defer func() {
			if r := recover(); r != "collate: bad sample" {
				t.Errorf("recovered %v, want the collate panic", r)
			}
		}()
		for range dl.All() {
			seen++
		}
	}()
	if seen != 5 {
		t.Errorf("saw %d good batches before the panic, want 5", seen)
	}
	if after := settledGoroutines(before); after > before {
		t.Fatalf("%d goroutines before, %d after the panic", before, after)
	}
}

func TestGetDLs(t *testing.T) {
	train, valid := GetDLs(rowDataset(100), rowDataset(30), 8, WithRNG(tensor.NewRNG(4)), WithWorkers(2))
	if train.Sampler.BS != 8 || valid.Sampler.BS != 16 {
		t.Fatalf("batch sizes %d/%d, want 8/16", train.Sampler.BS, valid.Sampler.BS)
	}
	if !train.Sampler.Shuffle || valid.Sampler.Shuffle {
		t.Fatalf("shuffle train=%v valid=%v, want true/false", train.Sampler.Shuffle, valid.Sampler.Shuffle)
	}
	if train.Workers != 2 || valid.Workers != 2 {
		t.Fatalf("workers %d/%d, want 2", train.Workers, valid.Workers)
	}
	v := record(valid)
	if len(v) != 2 || !slices.Equal(v[1].y, []int{16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29}) {
		t.Fatalf("validation batches %v", v)
	}
}

// wrapped hides Dataset's Index method, forcing the Get-and-Collate path.
type wrapped struct{ ds *Dataset }

func (w wrapped) Len() int         { return w.ds.Len() }
func (w wrapped) Get(i int) Sample { return w.ds.Get(i) }

func TestBatcherFastPathMatchesCollate(t *testing.T) {
	ds := rowDataset(103)
	fast := &DataLoader{Dataset: ds, Sampler: NewSampler(103, 10, true, tensor.NewRNG(12))}
	slow := &DataLoader{Dataset: wrapped{ds}, Sampler: NewSampler(103, 10, true, tensor.NewRNG(12))}
	a, b := record(fast), record(slow)
	if len(a) != len(b) {
		t.Fatalf("%d vs %d batches", len(a), len(b))
	}
	for i := range a {
		if !slices.Equal(a[i].x, b[i].x) || !slices.Equal(a[i].y, b[i].y) ||
			!slices.Equal(a[i].xShape, b[i].xShape) || !slices.Equal(a[i].yShape, b[i].yShape) {
			t.Fatalf("batch %d: Index gave %v %v, Get+Collate %v %v", i, a[i].xShape, a[i].y, b[i].xShape, b[i].y)
		}
	}
	xb, yb := fast.batch([]int{3, 1})
	if yb.DType() != tensor.Int || xb.DType() != tensor.Float32 {
		t.Fatalf("fast path dtypes %v %v", xb.DType(), yb.DType())
	}
}

// BenchmarkDataLoaderPass measures one pass over 10,000 MNIST-sized rows in
// batches of 64: with the Index fast path, through Get and Collate, and with
// two prefetching workers.
func BenchmarkDataLoaderPass(b *testing.B) {
	const n, m = 10000, 784
	ds := NewDataset(tensor.Zeros(n, m), tensor.Arange(n))
	for _, bc := range []struct {
		name string
		dl   *DataLoader
	}{
		{"index", &DataLoader{Dataset: ds, Sampler: NewSampler(n, 64, true, tensor.NewRNG(1))}},
		{"collate", &DataLoader{Dataset: ds, Sampler: NewSampler(n, 64, true, tensor.NewRNG(1)), Collate: Collate}},
		{"workers2", &DataLoader{Dataset: ds, Sampler: NewSampler(n, 64, true, tensor.NewRNG(1)), Workers: 2}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				for range bc.dl.All() {
				}
			}
		})
	}
}
