package tensor

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
)

// Matmul at the lesson's sizes (784-50-10, batch 64), through our ops and
// through gonum's Sgemm directly on the same buffers: the difference is our
// overhead.

type mmCase struct {
	name    string
	m, k, n int
}

var lessonMM = []mmCase{
	{"64x784x50", 64, 784, 50}, // layer 1 forward
	{"64x50x10", 64, 50, 10},   // layer 2 forward
	{"50x64x784", 50, 64, 784}, // layer 1 weight gradient gᵀ·x
	{"64x10x50", 64, 10, 50},   // layer 2 input gradient g·w
	{"512x784x1000", 512, 784, 1000},
}

func BenchmarkMatMul(b *testing.B) {
	for _, c := range lessonMM {
		x, w := randT(1, c.m, c.k), randT(2, c.k, c.n)
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(0)
			for b.Loop() {
				x.MatMul(w)
			}
			b.ReportMetric(2*float64(c.m*c.k*c.n)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}

func BenchmarkSgemmDirect(b *testing.B) {
	impl := blas32.Implementation()
	for _, c := range lessonMM {
		x, w := randT(1, c.m, c.k), randT(2, c.k, c.n)
		out := make([]float32, c.m*c.n)
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				impl.Sgemm(blas.NoTrans, blas.NoTrans, c.m, c.n, c.k, 1, x.data, c.k, w.data, c.n, 0, out, c.n)
			}
			b.ReportMetric(2*float64(c.m*c.k*c.n)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}

// BenchmarkOpOverhead measures the cost of recording one op on tiny
// tensors: forward with graph, and forward plus backward.
func BenchmarkOpOverhead(b *testing.B) {
	x := randT(1, 4).SetRequiresGrad(true)
	y := randT(2, 4).SetRequiresGrad(true)
	b.Run("add-forward", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			x.Add(y)
		}
	})
	b.Run("mul-forward-backward", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			x.Mul(y).Sum().Backward()
		}
	})
	b.Run("add-nograd", func(b *testing.B) {
		b.ReportAllocs()
		NoGrad(func() {
			for b.Loop() {
				x.Add(y)
			}
		})
	})
}

// crossEntropy is a fused softmax + NLL written on NewOp, as pkg/nn does,
// so this package's benchmark needs no other package.
func crossEntropy(logits, target *Tensor) *Tensor {
	n, c := logits.shape[0], logits.shape[1]
	x := logits.data
	probs := getBuf(n * c)
	var loss float64
	for i := 0; i < n; i++ {
		row := x[i*c : (i+1)*c]
		m := row[0]
		for _, v := range row {
			m = max(m, v)
		}
		var s float32
		p := probs[i*c : (i+1)*c]
		for j, v := range row {
			e := float32(math.Exp(float64(v - m)))
			p[j] = e
			s += e
		}
		for j := range p {
			p[j] /= s
		}
		loss += float64(m) + math.Log(float64(s)) - float64(row[int(target.data[i])])
	}
	out := Scalar(float32(loss / float64(n)))
	return NewOp(out, func(g *Tensor) {
		scale := g.data[0] / float32(n)
		for i := 0; i < n; i++ {
			probs[i*c+int(target.data[i])] -= 1
		}
		mulK.vs(probs, probs, scale)
		logits.AccumulateGrad(probs)
		putBuf(probs)
	}, logits)
}

// mlp is the lesson's model: Linear, ReLU, Linear.
type mlp struct{ w1, b1, w2, b2 *Tensor }

func newMLP(rng *rand.Rand, in, nh, out int) *mlp {
	return &mlp{
		w1: Uniform(rng, -0.03, 0.03, nh, in).SetRequiresGrad(true), b1: Zeros(nh).SetRequiresGrad(true),
		w2: Uniform(rng, -0.1, 0.1, out, nh).SetRequiresGrad(true), b2: Zeros(out).SetRequiresGrad(true),
	}
}

func (m *mlp) params() []*Tensor { return []*Tensor{m.w1, m.b1, m.w2, m.b2} }

// step runs one training step of the lesson's loop on rows idx of (x, y).
func (m *mlp) step(x, y, idx *Tensor, lr float32) float32 {
	xb, yb := x.IndexSelect(idx), y.IndexSelect(idx)
	h := Linear(xb, m.w1, m.b1).Relu()
	loss := crossEntropy(Linear(h, m.w2, m.b2), yb)
	loss.Backward()
	NoGrad(func() {
		for _, p := range m.params() {
			axpy(p.data, -lr, p.Grad().data)
			p.ZeroGrad()
		}
	})
	return loss.Item()
}

func benchMLP(b *testing.B, nh, bs int) {
	const n, in, c = 4096, 784, 10
	rng := NewRNG(1)
	x := Rand(rng, n, in)
	labels := make([]int, n)
	for i := range labels {
		labels[i] = rng.IntN(c)
	}
	y := FromInts(labels)
	m := newMLP(rng, in, nh, c)
	perm := RandPerm(rng, n)
	batches := make([]*Tensor, n/bs)
	for i := range batches {
		batches[i] = perm.Slice(i*bs, (i+1)*bs)
	}
	m.step(x, y, batches[0], 0.5) // warm the buffer pool
	b.ReportAllocs()
	b.ResetTimer()
	i := 0
	for b.Loop() {
		m.step(x, y, batches[i%len(batches)], 0.5)
		i++
	}
	steps := 50000 / bs
	if 50000%bs != 0 {
		steps++
	}
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N)*float64(steps), "s/epoch")
}

// BenchmarkMLPStep is one steady-state step of the lesson's loop (batch
// gather, forward, cross entropy, backward, SGD update); s/epoch scales it
// to 50,000 images.
func BenchmarkMLPStep(b *testing.B) {
	b.Run("784-50-10-bs64", func(b *testing.B) { benchMLP(b, 50, 64) })
	b.Run("784-1000-10-bs512", func(b *testing.B) { benchMLP(b, 1000, 512) })
}
