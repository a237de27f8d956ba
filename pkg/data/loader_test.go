package data

import (
	"fmt"
	"math"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/fastgo/fastgo/pkg/nn"
	"github.com/fastgo/fastgo/pkg/tensor"
)

// loaderConfigs are the ways a user builds a loader: the default (the
// *Dataset gathered into pooled storage), an explicit collate, and
// prefetching workers with either.
func loaderConfigs(ds *Dataset, bs int) map[string]*DataLoader {
	s := func() *Sampler { return NewSampler(ds.Len(), bs, false, nil) }
	return map[string]*DataLoader{
		"default":           NewDataLoader(ds, s(), nil),
		"collate":           NewDataLoader(ds, s(), Collate),
		"workers=1":         {Dataset: ds, Sampler: s(), Workers: 1},
		"workers=3":         {Dataset: ds, Sampler: s(), Workers: 3},
		"workers=2+collate": {Dataset: ds, Sampler: s(), Collate: Collate, Workers: 2},
	}
}

// mnistLike returns n samples of m random pixels with labels 0..9.
func mnistLike(n, m int, seed uint64) *Dataset {
	rng := tensor.NewRNG(seed)
	x := tensor.Rand(rng, n, m)
	labels := make([]int, n)
	for i := range labels {
		labels[i] = rng.IntN(10)
	}
	return NewDataset(x, tensor.FromInts(labels, n))
}

// grads returns copies of the gradients of params.
func grads(params []*tensor.Tensor) [][]float32 {
	out := make([][]float32, len(params))
	for i, p := range params {
		out[i] = slices.Clone(p.Grad().Data())
	}
	return out
}

func zeroGrads(params []*tensor.Tensor) {
	for _, p := range params {
		p.ZeroGrad()
	}
}

// maxDiff is the largest |a-b| over all gradients, relative to the largest |b|.
func maxDiff(a, b [][]float32) float64 {
	var d, scale float64
	for i := range a {
		for j := range a[i] {
			d = max(d, math.Abs(float64(a[i][j]-b[i][j])))
			scale = max(scale, math.Abs(float64(b[i][j])))
		}
	}
	return d / max(scale, 1e-12)
}

// Gradient accumulation, the lecturer's answer to "why zero the gradients":
// summing the losses of k batches and calling Backward once gives the same
// gradients as k Backward calls, and as one Backward over the k batches
// concatenated (a mean over k·bs samples, so scaled by k). The sum keeps k
// graphs alive, each reading its batch, while the loader makes the next
// batches: a loader that overwrote a batch in place corrupted the first
// graphs, silently.
func TestGradientAccumulation(t *testing.T) {
	const n, m, bs, k = 96, 20, 8, 3
	ds := mnistLike(n, m, 1)
	for name, dl := range loaderConfigs(ds, bs) {
		t.Run(name, func(t *testing.T) {
			model := nn.NewSequential(nn.NewLinear(m, 16, tensor.NewRNG(2)), nn.ReLU{}, nn.NewLinear(16, 10, tensor.NewRNG(3)))
			params := model.Parameters()

			// k losses summed, one Backward after the k-th batch.
			var sum *tensor.Tensor
			seen := 0
			for xb, yb := range dl.All() {
				l := nn.CrossEntropy(model.Forward(xb), yb)
				if sum == nil {
					sum = l
				} else {
					sum = sum.Add(l)
				}
				if seen++; seen == k {
					break
				}
			}
			sum.Backward()
			summed := grads(params)
			zeroGrads(params)

			// k Backward calls, accumulating.
			seen = 0
			for xb, yb := range dl.All() {
				nn.CrossEntropy(model.Forward(xb), yb).Backward()
				if seen++; seen == k {
					break
				}
			}
			separate := grads(params)
			zeroGrads(params)

			// One Backward over the concatenated batch, scaled by k.
			x, y := ds.Slice(0, k*bs)
			nn.CrossEntropy(model.Forward(x), y).MulScalar(k).Backward()
			whole := grads(params)

			if d := maxDiff(summed, whole); d > 1e-4 {
				t.Errorf("sum of %d losses, one Backward: gradients differ from the concatenated batch by %.3g (relative)", k, d)
			}
			if d := maxDiff(separate, whole); d > 1e-4 {
				t.Errorf("%d Backward calls: gradients differ from the concatenated batch by %.3g (relative)", k, d)
			}
		})
	}
}

// A batch kept past the next iteration, past the pass and past garbage
// collections still holds its values: so does a view of it whose batch was
// dropped (the view keeps the storage).
func TestBatchesStayValid(t *testing.T) {
	const n, m, bs = 200, 784, 16
	ds := NewDataset(tensor.Rand(tensor.NewRNG(4), n, m), tensor.Arange(n)) // label i: a batch's labels are its indices
	for name, dl := range loaderConfigs(ds, bs) {
		t.Run(name, func(t *testing.T) {
			dl.Sampler.Shuffle, dl.Sampler.RNG = true, tensor.NewRNG(5)
			ref := NewSampler(n, bs, true, tensor.NewRNG(5))
			for pass := range 3 {
				want := slices.Collect(ref.All())
				ref.All()(func([]int) bool { return true }) // the extra pass below draws a permutation too
				var kept, rows []*tensor.Tensor
				var labels [][]int
				for xb, yb := range dl.All() {
					kept = append(kept, xb)
					rows = append(rows, xb.Row(1).Reshape(28, 28)) // a view; xb itself is not kept below
					labels = append(labels, yb.Ints())
				}
				rows = rows[:len(rows)-1] // the short last batch has no row 1 checked below
				kept = kept[:len(kept)/2] // drop half the batches: their storage may be recycled...
				for range 3 {
					runtime.GC() // ...once a collection has proved nobody holds it
				}
				for range dl.All() { // another pass, gathering into whatever was recycled
				}
				for i, idx := range want[:len(kept)] {
					wx, _ := ds.Index(idx)
					if !slices.Equal(kept[i].Data(), wx.Data()) {
						t.Fatalf("pass %d: batch %d changed after it was yielded", pass, i)
					}
				}
				for i, r := range rows {
					if !slices.Equal(r.Data(), ds.X.Row(want[i][1]).Data()) {
						t.Fatalf("pass %d: a view of batch %d changed once its batch was dropped", pass, i)
					}
					if !slices.Equal(labels[i], want[i]) {
						t.Fatalf("pass %d: batch %d has labels %v, want %v", pass, i, labels[i], want[i])
					}
				}
			}
		})
	}
}

// The default loader recycles only what the garbage collector proved
// unreachable: a long pass whose batches are all dropped allocates far less
// than one new storage per batch, yet every batch is right.
func TestDefaultLoaderRecyclesDroppedBatches(t *testing.T) {
	const n, m, bs = 1280, 784, 64
	ds := NewDataset(tensor.Rand(tensor.NewRNG(6), n, m), tensor.Arange(n))
	dl := NewDataLoader(ds, NewSampler(n, bs, false, nil), nil)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range 3 {
		for xb, yb := range dl.All() {
			if first := yb.Ints()[0]; xb.Data()[0] != ds.X.Data()[first*m] {
				t.Fatalf("batch starting at sample %d holds wrong pixels", first)
			}
			runtime.GC() // what a long training loop does from time to time
		}
	}
	runtime.ReadMemStats(&after)
	batchBytes := uint64(bs * m * 4)
	if got, batches := after.TotalAlloc-before.TotalAlloc, uint64(3*dl.Len()); got > batches*batchBytes/4 {
		t.Errorf("%d batches allocated %d bytes: more than a quarter of one storage per batch (%d bytes each)", batches, got, batchBytes)
	}
}

// pkg/tensor imports no package of this module: nothing outside it can change
// what a tensor op does (the data package used to install a hook there). Its
// own internal packages (its assembly loops) are part of it: Go lets no
// other package import them.
func TestTensorImportsNoPackageOfOurs(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}", "github.com/fastgo/fastgo/pkg/tensor").Output()
	if err != nil {
		t.Skipf("go list: %v", err)
	}
	for _, p := range strings.Fields(string(out)) {
		own := p == "github.com/fastgo/fastgo/pkg/tensor" || strings.HasPrefix(p, "github.com/fastgo/fastgo/pkg/tensor/internal/")
		if strings.HasPrefix(p, "github.com/fastgo/fastgo/") && !own {
			t.Errorf("pkg/tensor depends on %s", p)
		}
	}
}

func ExampleDataLoader() {
	x := tensor.Arange(12).Reshape(6, 2)
	ds := NewDataset(x, tensor.Arange(6))
	dl := NewDataLoader(ds, NewSampler(ds.Len(), 4, false, nil), nil)
	for xb, yb := range dl.All() {
		fmt.Println(xb.Shape(), yb)
	}
	// Output:
	// [4 2] tensor([0, 1, 2, 3])
	// [2 2] tensor([4, 5])
}
