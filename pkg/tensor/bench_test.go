package tensor

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
)

// Matrix products at the lesson's sizes (784-50-10 with batch 64, and
// 784-1000-10 with batch 512), through this package and through gonum's
// Sgemm called directly on the same buffers: the difference is our
// overhead (allocating the result, the graph record).

type mmCase struct {
	name    string
	n, k, m int // [n k] · [k m]
}

var lessonMM = []mmCase{
	{"64x784x50", 64, 784, 50}, // layer 1 of the small model
	{"64x50x10", 64, 50, 10},   // layer 2
	{"512x784x1000", 512, 784, 1000},
	{"512x1000x10", 512, 1000, 10},
}

// reportCPU adds CPU time per op and GFLOP/s of wall time to a benchmark.
func reportCPU(b *testing.B, cpu0 time.Duration, flops float64) {
	b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/float64(b.N), "cpu-ns/op")
	if flops > 0 {
		b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	}
}

// BenchmarkMatMul compares MatMul (forward, no graph) with a direct Sgemm.
func BenchmarkMatMul(b *testing.B) {
	impl := blas32.Implementation()
	for _, c := range lessonMM {
		x, w := randT(1, c.n, c.k), randT(2, c.k, c.m)
		out := make([]float32, c.n*c.m)
		flops := 2 * float64(c.n*c.k*c.m)
		b.Run(c.name+"/tensor", func(b *testing.B) {
			cpu0 := cpuTime()
			for b.Loop() {
				x.MatMul(w)
			}
			reportCPU(b, cpu0, flops)
		})
		b.Run(c.name+"/sgemm", func(b *testing.B) {
			cpu0 := cpuTime()
			for b.Loop() {
				impl.Sgemm(blas.NoTrans, blas.NoTrans, c.n, c.m, c.k, 1, x.data, c.k, w.data, c.m, 0, out, c.m)
			}
			reportCPU(b, cpu0, flops)
		})
	}
}

// BenchmarkLinearStep compares one Linear layer's forward and backward
// (out = x·wᵀ + b; ∂w = gᵀ·x, ∂x = g·w, ∂b = Σg) through autograd with the
// same three Sgemm calls and bias loops done by hand on the same buffers.
func BenchmarkLinearStep(b *testing.B) {
	impl := blas32.Implementation()
	for _, c := range lessonMM {
		n, in, nout := c.n, c.k, c.m
		flops := 3 * 2 * float64(n*in*nout)
		x := randT(1, n, in).SetRequiresGrad(true)
		w := randT(2, nout, in).SetRequiresGrad(true)
		bias := randT(3, nout).SetRequiresGrad(true)
		g := randT(4, n, nout)
		b.Run(c.name+"/tensor", func(b *testing.B) {
			b.ReportAllocs()
			cpu0 := cpuTime()
			for b.Loop() {
				Linear(x, w, bias).BackwardWith(g)
				x.ZeroGrad()
				w.ZeroGrad()
				bias.ZeroGrad()
			}
			reportCPU(b, cpu0, flops)
		})
		out, gx, gw, gb := make([]float32, n*nout), make([]float32, n*in), make([]float32, nout*in), make([]float32, nout)
		b.Run(c.name+"/sgemm", func(b *testing.B) {
			cpu0 := cpuTime()
			for b.Loop() {
				for r := 0; r < n; r++ {
					copy(out[r*nout:(r+1)*nout], bias.data)
				}
				impl.Sgemm(blas.NoTrans, blas.Trans, n, nout, in, 1, x.data, in, w.data, in, 1, out, nout)
				impl.Sgemm(blas.Trans, blas.NoTrans, nout, in, n, 1, g.data, nout, x.data, in, 0, gw, in)
				impl.Sgemm(blas.NoTrans, blas.NoTrans, n, in, nout, 1, g.data, nout, w.data, in, 0, gx, in)
				copy(gb, g.data[:nout])
				for r := 1; r < n; r++ {
					addTo(gb, g.data[r*nout:(r+1)*nout])
				}
			}
			reportCPU(b, cpu0, flops)
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
	return NewOp(out, "NllLossBackward0", func(g *Tensor) {
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
			// p -= lr·grad, through BLAS as pkg/nn's SGD does it.
			blas32.Implementation().Saxpy(len(p.data), -lr, p.Grad().data, 1, p.data, 1)
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
	cpu0 := cpuTime()
	var best time.Duration
	for b.Loop() {
		t0 := time.Now()
		m.step(x, y, batches[i%len(batches)], 0.5)
		if d := time.Since(t0); best == 0 || d < best {
			best = d
		}
		i++
	}
	cpu := (cpuTime() - cpu0).Seconds() / float64(b.N)
	steps := 50000 / bs
	if 50000%bs != 0 {
		steps++
	}
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N)*float64(steps), "s/epoch")
	b.ReportMetric(cpu*1e9, "cpu-ns/op")
	b.ReportMetric(cpu*float64(steps), "cpu-s/epoch")
	// The fastest single step, times the steps of an epoch: what an epoch
	// takes when nothing else competes for the cores.
	b.ReportMetric(best.Seconds()*float64(steps), "best-s/epoch")
}

// BenchmarkMLPStep is one steady-state step of the lesson's loop (batch
// gather, forward, cross entropy, backward, SGD update); the s/epoch
// metrics scale it to 50,000 images (782 steps of 64, 98 of 512).
func BenchmarkMLPStep(b *testing.B) {
	b.Run("784-50-10-bs64", func(b *testing.B) { benchMLP(b, 50, 64) })
	b.Run("784-1000-10-bs512", func(b *testing.B) { benchMLP(b, 1000, 512) })

}

// BenchmarkMatMulPaired alternates MatMul and a direct Sgemm call of the
// same size and reports the ratio of their best times (ours/direct), which
// stays meaningful when other jobs share the machine.
func BenchmarkMatMulPaired(b *testing.B) {
	impl := blas32.Implementation()
	for _, c := range lessonMM {
		x, w := randT(1, c.n, c.k), randT(2, c.k, c.m)
		out := make([]float32, c.n*c.m)
		b.Run(c.name, func(b *testing.B) {
			var bestOurs, bestDirect time.Duration
			for b.Loop() {
				t0 := time.Now()
				x.MatMul(w)
				t1 := time.Now()
				impl.Sgemm(blas.NoTrans, blas.NoTrans, c.n, c.m, c.k, 1, x.data, c.k, w.data, c.m, 0, out, c.m)
				t2 := time.Now()
				if d := t1.Sub(t0); bestOurs == 0 || d < bestOurs {
					bestOurs = d
				}
				if d := t2.Sub(t1); bestDirect == 0 || d < bestDirect {
					bestDirect = d
				}
			}
			b.ReportMetric(float64(bestOurs.Nanoseconds()), "best-ns/matmul")
			b.ReportMetric(float64(bestDirect.Nanoseconds()), "best-ns/sgemm")
			b.ReportMetric(float64(bestOurs)/float64(bestDirect), "ratio")
		})
	}
}
