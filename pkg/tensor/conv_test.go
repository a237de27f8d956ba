package tensor

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"gonum.org/v1/gonum/blas"
)

// convCase is one convolution shape of the gradient-check table.
type convCase struct {
	n, c, h, w, co, kh, kw, s, p int
	bias                         bool
}

func (c convCase) String() string {
	return fmt.Sprintf("x[%d %d %d %d] w[%d %d %d %d] s%d p%d bias=%v", c.n, c.c, c.h, c.w, c.co, c.c, c.kh, c.kw, c.s, c.p, c.bias)
}

var convCases = []convCase{
	{1, 1, 5, 5, 1, 3, 3, 1, 0, true},  // one channel, valid
	{2, 1, 7, 7, 3, 3, 3, 2, 1, true},  // odd size, stride 2, padding
	{2, 3, 6, 5, 4, 3, 3, 1, 1, false}, // many channels, no bias
	{3, 2, 9, 9, 2, 5, 5, 2, 2, true},  // lesson 9's first layer, small
	{1, 4, 5, 5, 3, 2, 2, 2, 0, true},  // even kernel, stride = kernel
	{2, 2, 4, 6, 2, 3, 1, 3, 1, true},  // non-square kernel, stride 3
	{1, 2, 3, 3, 2, 3, 3, 1, 2, true},  // padding as wide as the kernel
	{2, 3, 4, 4, 5, 1, 1, 1, 0, true},  // 1x1 convolution
	{1, 1, 2, 2, 1, 4, 4, 1, 1, false}, // kernel larger than the image
}

func TestGradConv2d(t *testing.T) {
	for i, c := range convCases {
		ins := []*Tensor{randT(uint64(10+i), c.n, c.c, c.h, c.w), randT(uint64(30+i), c.co, c.c, c.kh, c.kw)}
		if c.bias {
			ins = append(ins, randT(uint64(50+i), c.co))
		}
		gradCheck(t, "conv2d "+c.String(), func(in []*Tensor) *Tensor {
			var b *Tensor
			if len(in) == 3 {
				b = in[2]
			}
			return Conv2d(in[0], in[1], b, c.s, c.p)
		}, ins...)
	}
}

// naiveConv2d is the convolution's formula as four nested loops, against
// which the lowering is checked.
func naiveConv2d(x, w, b *Tensor, s, p int) *Tensor {
	n, c, h, wd := x.shape[0], x.shape[1], x.shape[2], x.shape[3]
	co, kh, kw := w.shape[0], w.shape[2], w.shape[3]
	oh, ow := (h+2*p-kh)/s+1, (wd+2*p-kw)/s+1
	out := Zeros(n, co, oh, ow)
	for in := 0; in < n; in++ {
		for o := 0; o < co; o++ {
			for y := 0; y < oh; y++ {
				for xx := 0; xx < ow; xx++ {
					var acc float64
					if b != nil {
						acc = float64(b.data[o])
					}
					for ci := 0; ci < c; ci++ {
						for i := 0; i < kh; i++ {
							for j := 0; j < kw; j++ {
								r, q := y*s+i-p, xx*s+j-p
								if r >= 0 && r < h && q >= 0 && q < wd {
									acc += float64(w.At(o, ci, i, j)) * float64(x.At(in, ci, r, q))
								}
							}
						}
					}
					out.Set(float32(acc), in, o, y, xx)
				}
			}
		}
	}
	return out
}

// naiveConv2dGrads is the adjoint of naiveConv2d's loops: the gradients of
// x and w when the output's gradient is g.
func naiveConv2dGrads(x, w, g *Tensor, s, p int) (dx, dw *Tensor) {
	n, c, h, wd := x.shape[0], x.shape[1], x.shape[2], x.shape[3]
	co, kh, kw := w.shape[0], w.shape[2], w.shape[3]
	oh, ow := g.shape[2], g.shape[3]
	dx, dw = Zeros(x.shape...), Zeros(w.shape...)
	for in := 0; in < n; in++ {
		for o := 0; o < co; o++ {
			for y := 0; y < oh; y++ {
				for xx := 0; xx < ow; xx++ {
					gv := g.At(in, o, y, xx)
					for ci := 0; ci < c; ci++ {
						for i := 0; i < kh; i++ {
							for j := 0; j < kw; j++ {
								r, q := y*s+i-p, xx*s+j-p
								if r >= 0 && r < h && q >= 0 && q < wd {
									dx.Set(dx.At(in, ci, r, q)+gv*w.At(o, ci, i, j), in, ci, r, q)
									dw.Set(dw.At(o, ci, i, j)+gv*x.At(in, ci, r, q), o, ci, i, j)
								}
							}
						}
					}
				}
			}
		}
	}
	return dx, dw
}

func TestConv2dMatchesFormula(t *testing.T) {
	for i, c := range convCases {
		x, w := randT(uint64(70+i), c.n, c.c, c.h, c.w), randT(uint64(90+i), c.co, c.c, c.kh, c.kw)
		var b *Tensor
		if c.bias {
			b = randT(uint64(110+i), c.co)
		}
		assertClose(t, "conv2d "+c.String(), Conv2d(x, w, b, c.s, c.p), naiveConv2d(x, w, b, c.s, c.p), 1e-5)
	}
}

// assertClose fails unless got and want have one shape and values within
// tol (relative to max(1, |want|)).
func assertClose(t *testing.T, name string, got, want *Tensor, tol float64) {
	t.Helper()
	if !got.shape.Equal(want.shape) {
		t.Errorf("%s: shape %v, want %v", name, got.shape, want.shape)
		return
	}
	for i, v := range want.data {
		if d := math.Abs(float64(got.data[i]) - float64(v)); !(d <= tol*max(1, math.Abs(float64(v)))) {
			t.Errorf("%s: element %d is %g, want %g", name, i, got.data[i], v)
			return
		}
	}
}

// FuzzConv2dShapes checks, for any small geometry, that Conv2d either
// panics with a *ShapeError or matches the formula and produces gradients
// of the inputs' shapes.
func FuzzConv2dShapes(f *testing.F) {
	f.Add(uint8(2), uint8(1), uint8(28), uint8(28), uint8(8), uint8(5), uint8(5), uint8(2), uint8(2), true)
	f.Add(uint8(1), uint8(3), uint8(4), uint8(5), uint8(2), uint8(3), uint8(3), uint8(1), uint8(1), false)
	f.Add(uint8(1), uint8(1), uint8(1), uint8(1), uint8(1), uint8(3), uint8(3), uint8(1), uint8(0), true)
	f.Add(uint8(0), uint8(2), uint8(3), uint8(3), uint8(2), uint8(1), uint8(1), uint8(0), uint8(0), true)
	f.Fuzz(func(t *testing.T, n, c, h, w, co, kh, kw, s, p uint8, bias bool) {
		// Sizes up to 12 keep the naive reference fast; stride 0 and
		// oversized kernels are legal inputs that must fail cleanly.
		g := convCase{int(n % 4), int(c%4) + 1, int(h % 13), int(w % 13), int(co%4) + 1, int(kh % 6), int(kw % 6), int(s % 4), int(p % 4), bias}
		x := randT(1, g.n, g.c, g.h, g.w).SetRequiresGrad(true)
		wt := randT(2, g.co, g.c, g.kh, g.kw).SetRequiresGrad(true)
		var b *Tensor
		if bias {
			b = randT(3, g.co).SetRequiresGrad(true)
		}
		var out *Tensor
		func() {
			defer func() {
				if r := recover(); r != nil {
					var se *ShapeError
					if err, ok := r.(error); !ok || !errors.As(err, &se) {
						t.Fatalf("%v: panic %v is not a *ShapeError", g, r)
					}
				}
			}()
			out = Conv2d(x, wt, b, g.s, g.p)
		}()
		if out == nil {
			if g.s >= 1 && g.kh >= 1 && g.kw >= 1 && g.kh <= g.h+2*g.p && g.kw <= g.w+2*g.p {
				t.Fatalf("%v: valid geometry rejected", g)
			}
			return
		}
		assertClose(t, g.String(), out, naiveConv2d(x, wt, b, g.s, g.p), 1e-4)
		gOut := randT(4, out.shape...)
		out.BackwardWith(gOut)
		for _, in := range []*Tensor{x, wt, b} {
			if in != nil && (in.Grad() == nil || !in.Grad().shape.Equal(in.shape)) {
				t.Fatalf("%v: gradient of input %v missing or misshapen", g, in.shape)
			}
		}
		dx, dw := naiveConv2dGrads(x, wt, gOut, g.s, g.p)
		assertClose(t, g.String()+" input gradient", x.Grad(), dx, 1e-4)
		assertClose(t, g.String()+" weight gradient", wt.Grad(), dw, 1e-4)
	})
}

func TestConv2dShapeErrors(t *testing.T) {
	cases := []struct {
		x, w, b []int
		s, p    int
		want    string
	}{
		{[]int{100, 3, 28, 28}, []int{8, 1, 5, 5}, nil, 1, 0, "conv2d: input [100 3 28 28] has 3 channels, weight [8 1 5 5] expects 1"},
		{[]int{3, 28, 28}, []int{8, 3, 5, 5}, nil, 1, 0, "conv2d: input [3 28 28] is not a 4-D batch"},
		{[]int{1, 1, 28, 28}, []int{8, 25}, nil, 1, 0, "conv2d: weight [8 25] is not 4-D"},
		{[]int{1, 1, 28, 28}, []int{8, 1, 5, 5}, []int{4}, 1, 0, "conv2d: bias [4] does not match weight [8 1 5 5]"},
		{[]int{1, 1, 4, 4}, []int{8, 1, 5, 5}, nil, 1, 0, "conv2d: kernel 5x5 does not fit input [1 1 4 4] with padding 0"},
		{[]int{1, 1, 4, 4}, []int{8, 1, 3, 3}, nil, 0, 0, "conv2d: stride 0 must be at least 1"},
	}
	for _, c := range cases {
		var b *Tensor
		if c.b != nil {
			b = Zeros(c.b...)
		}
		err := catchShapeError(func() { Conv2d(Zeros(c.x...), Zeros(c.w...), b, c.s, c.p) })
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Conv2d(%v, %v): error %v, want one containing %q", c.x, c.w, err, c.want)
		}
	}
}

// catchShapeError runs f and returns the *ShapeError it panics with (nil
// if it returns normally; any other panic fails the test by propagating).
func catchShapeError(f func()) (se *ShapeError) {
	defer func() {
		if r := recover(); r != nil {
			err, ok := r.(error)
			if !ok || !errors.As(err, &se) {
				panic(r)
			}
		}
	}()
	f()
	return nil
}

// convRef is a case of testdata/conv_reference.json: reference_test.go's
// refOp and PyTorch's name of the output's backward node.
type convRef struct {
	refOp
	GradFn string `json:"grad_fn"`
}

// TestConvReference replays the outputs and gradients PyTorch computed
// with testdata/make_conv_reference.py.
func TestConvReference(t *testing.T) {
	raw, err := os.ReadFile("testdata/conv_reference.json")
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Cases []convRef `json:"cases"`
	}
	if err := json.Unmarshal(raw, &file); err != nil {
		t.Fatal(err)
	}
	if len(file.Cases) < 30 {
		t.Fatalf("only %d reference cases", len(file.Cases))
	}
	for _, c := range file.Cases {
		ins := make([]*Tensor, len(c.Inputs))
		for i, r := range c.Inputs {
			ins[i] = r.tensor().SetRequiresGrad(true)
		}
		arg := func(k string) int { return int(c.Args[k].(float64)) }
		var out *Tensor
		switch c.Op {
		case "conv2d":
			var b *Tensor
			if len(ins) == 3 {
				b = ins[2]
			}
			out = Conv2d(ins[0], ins[1], b, arg("stride"), arg("padding"))
		case "avg_pool2d":
			out = AvgPool2d(ins[0], arg("kernel"), arg("stride"))
		case "adaptive_avg_pool2d":
			out = AdaptiveAvgPool2d(ins[0], arg("oh"), arg("ow"))
		case "var":
			out = ins[0].Var()
		case "std":
			out = ins[0].Std()
		case "var_dim":
			out = ins[0].VarDim(arg("dim"), c.Args["keepdim"].(bool))
		case "std_dim":
			out = ins[0].StdDim(arg("dim"), c.Args["keepdim"].(bool))
		case "leaky_relu":
			out = ins[0].LeakyRelu(float32(c.Args["slope"].(float64)))
		default:
			t.Fatalf("%s: unknown op %q", c.Name, c.Op)
		}
		assertClose(t, c.Name, out, c.Out.tensor(), 1e-4)
		if got := out.GradFn(); got != c.GradFn {
			t.Errorf("%s: grad_fn=<%s>, PyTorch's is <%s>", c.Name, got, c.GradFn)
		}
		out.BackwardWith(c.GradOut.tensor())
		for i, in := range ins {
			assertClose(t, fmt.Sprintf("%s: gradient of input %d", c.Name, i), in.Grad(), c.Grads[i].tensor(), 1e-4)
		}
	}
}

// TestConv2dAccumulates checks the gradient contract: a second backward
// pass adds to the gradients of all three operands.
func TestConv2dAccumulates(t *testing.T) {
	x, w, b := randT(1, 2, 2, 5, 5).SetRequiresGrad(true), randT(2, 3, 2, 3, 3).SetRequiresGrad(true), randT(3, 3).SetRequiresGrad(true)
	Conv2d(x, w, b, 2, 1).Sum().Backward()
	once := []*Tensor{x.Grad().Clone(), w.Grad().Clone(), b.Grad().Clone()}
	Conv2d(x, w, b, 2, 1).Sum().Backward()
	for i, in := range []*Tensor{x, w, b} {
		assertClose(t, fmt.Sprintf("operand %d", i), in.Grad(), once[i].MulScalar(2), 1e-5)
	}
}

// TestConv2dRetainedGraph runs the backward pass twice through a retained
// graph: the second pass must rebuild the column buffer the first one gave
// back, and add the same gradients again.
func TestConv2dRetainedGraph(t *testing.T) {
	x, w, b := randT(4, 2, 3, 6, 6).SetRequiresGrad(true), randT(5, 4, 3, 3, 3).SetRequiresGrad(true), randT(6, 4).SetRequiresGrad(true)
	loss := Conv2d(x, w, b, 2, 1).Relu().Sum()
	loss.Backward(RetainGraph())
	once := []*Tensor{x.Grad().Clone(), w.Grad().Clone(), b.Grad().Clone()}
	loss.Backward()
	for i, in := range []*Tensor{x, w, b} {
		assertClose(t, fmt.Sprintf("operand %d", i), in.Grad(), once[i].MulScalar(2), 1e-5)
	}
}

// BenchmarkConv2d times forward and backward of each layer of lesson 9's
// CNN at batch 64 and reports the rate of the multiply-adds.
func BenchmarkConv2d(b *testing.B) {
	layers := []struct{ c, hw, co, k, s, p int }{
		{1, 28, 8, 5, 2, 2}, {8, 14, 16, 3, 2, 1}, {16, 7, 32, 3, 2, 1}, {32, 4, 32, 3, 2, 1},
	}
	for _, l := range layers {
		name := fmt.Sprintf("%dx%dx%d_to_%d_k%d", l.c, l.hw, l.hw, l.co, l.k)
		x := randT(1, 64, l.c, l.hw, l.hw)
		if l.c > 1 {
			x.SetRequiresGrad(true) // inner layers send gradients back
		}
		w, bias := randT(2, l.co, l.c, l.k, l.k).SetRequiresGrad(true), randT(3, l.co).SetRequiresGrad(true)
		out := Conv2d(x, w, bias, l.s, l.p)
		g := Ones(out.shape...)
		oh := out.shape[2]
		macs := 64 * l.co * oh * oh * l.c * l.k * l.k
		products := 2.0 // forward and weight gradient
		if l.c > 1 {
			products = 3
		}
		flops := products * 2 * float64(macs)
		b.Run(name, func(b *testing.B) {
			cpu0, best := cpuTime(), time.Hour
			for b.Loop() {
				t0 := time.Now()
				Conv2d(x, w, bias, l.s, l.p).BackwardWith(g)
				best = min(best, time.Since(t0))
			}
			// On a shared machine the best step and the CPU time say more
			// than the mean wall time.
			b.ReportMetric(float64(best.Nanoseconds()), "best-ns")
			b.ReportMetric(flops/best.Seconds()/1e9, "best-GFLOP/s")
			b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/float64(b.N), "cpu-ns/op")
		})
	}
}

// TestConv2dSplitBatch checks the path that splits a large batch over the
// cores against the same images convolved one at a time (which never
// splits): outputs and all three gradients.
func TestConv2dSplitBatch(t *testing.T) {
	const n = convParallelMin/(8*3*3*7*7) + 2 // cols reach convParallelMin
	x := randT(8, n, 8, 14, 14).SetRequiresGrad(true)
	w, b := randT(9, 16, 8, 3, 3).SetRequiresGrad(true), randT(10, 16).SetRequiresGrad(true)
	out := Conv2d(x, w, b, 2, 1)
	gOut := randT(11, out.shape...)
	out.BackwardWith(gOut)
	gx, gw, gb := x.Grad().Clone(), w.Grad().Clone(), b.Grad().Clone()
	w.ZeroGrad()
	b.ZeroGrad()
	for i := range n {
		xi := x.Detach().Row(i).Reshape(1, 8, 14, 14).Clone().SetRequiresGrad(true)
		oi := Conv2d(xi, w, b, 2, 1)
		assertClose(t, fmt.Sprintf("image %d output", i), oi.Reshape(16, 7, 7), out.Detach().Row(i), 1e-5)
		oi.BackwardWith(gOut.Row(i).Reshape(1, 16, 7, 7))
		assertClose(t, fmt.Sprintf("image %d input gradient", i), xi.Grad().Reshape(8, 14, 14), gx.Row(i), 1e-5)
	}
	assertClose(t, "weight gradient", w.Grad(), gw, 1e-4)
	assertClose(t, "bias gradient", b.Grad(), gb, 1e-4)
}

// BenchmarkConvGemmPeak measures what the BLAS reaches on one thread: a
// 512³ product (its peak, for comparison) and the products of lesson 9's
// CNN at batch 64 as Conv2d issues them, best single call of each.
func BenchmarkConvGemmPeak(b *testing.B) {
	SetBLASThreads(1)
	defer SetBLASThreads(runtime.NumCPU())
	N, T := blas.NoTrans, blas.Trans
	type prod struct {
		name    string
		m, n, k int
		tA, tB  blas.Transpose
	}
	prods := []prod{{"peak_512", 512, 512, 512, N, N}}
	for _, l := range []struct{ co, k, np int }{{8, 25, 12544}, {16, 72, 3136}, {32, 144, 1024}, {32, 288, 256}} {
		prods = append(prods,
			prod{fmt.Sprintf("fwd_%dx%dx%d", l.co, l.np, l.k), l.co, l.np, l.k, N, N},
			prod{fmt.Sprintf("dW_%dx%dx%d", l.co, l.k, l.np), l.co, l.k, l.np, N, T},
			prod{fmt.Sprintf("dcols_%dx%dx%d", l.k, l.np, l.co), l.k, l.np, l.co, T, N})
	}
	for _, p := range prods {
		lda, ldb := p.k, p.n
		if p.tA == T {
			lda = p.m
		}
		if p.tB == T {
			ldb = p.k
		}
		a, bb, c := make([]float32, p.m*p.k), make([]float32, p.k*p.n), make([]float32, p.m*p.n)
		b.Run(p.name, func(b *testing.B) {
			best := time.Hour
			for b.Loop() {
				t0 := time.Now()
				sgemm(p.tA, p.tB, p.m, p.n, p.k, 1, a, lda, bb, ldb, 0, c, p.n)
				best = min(best, time.Since(t0))
			}
			b.ReportMetric(2*float64(p.m*p.n*p.k)/best.Seconds()/1e9, "best-GFLOP/s")
		})
	}
}

// TestConv2dConcurrent runs convolutions of two geometries on several
// goroutines at once: they share the cached plans (run with -race).
func TestConv2dConcurrent(t *testing.T) {
	xs := []*Tensor{randT(1, 3, 2, 9, 9), randT(2, 2, 2, 6, 6)}
	w := randT(3, 4, 2, 3, 3)
	want := []*Tensor{naiveConv2d(xs[0], w, nil, 2, 1), naiveConv2d(xs[1], w, nil, 2, 1)}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 20 {
				k := (g + i) % 2
				assertClose(t, fmt.Sprintf("goroutine %d, call %d", g, i), Conv2d(xs[k], w, nil, 2, 1), want[k], 1e-5)
			}
		})
	}
	wg.Wait()
}
