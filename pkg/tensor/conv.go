package tensor

import (
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
)

// Conv2d returns the 2-D convolution of the NCHW batch x [N C H W] with the
// weight w [CO C KH KW] plus the bias b [CO] (nil: no bias), with the given
// stride and zero padding on every side: PyTorch's F.conv2d(x, w, b, stride,
// padding), which like every deep-learning library computes a
// cross-correlation (the kernel is not flipped). The result is
// [N CO OH OW] with OH = (H + 2·padding − KH)/stride + 1, OW likewise.
//
//	out[n,o,y,x] = b[o] + Σ_{c,i,j} w[o,c,i,j] · xpad[n, c, y·s+i, x·s+j]
//
// Lowering (im2col): every patch the kernel sees becomes one column of
// cols [C·KH·KW, N·OH·OW], so the whole batch is one matrix product with
// the weight viewed as the matrix W [CO, C·KH·KW]:
//
//	Y = W·cols + b (b[o] along row o)  Y [CO, N·OH·OW]
//	out = Y permuted to [N CO OH OW]
//
// The backward pass, with G = g permuted to [CO, N·OH·OW], is two more
// products and the inverse of the gather:
//
//	∂W += G·colsᵀ,  ∂b += Σ_columns G,  ∂x += col2im(Wᵀ·G)
//
// where col2im adds every entry of a column back onto the pixel im2col
// copied it from. One product per layer and step, rather than one per
// image, keeps the BLAS calls few and large enough to run near its peak
// (conv_kernels.go has the measurements). The column buffers are scratch
// that never leaves this function: cols goes back to the pool after the
// backward pass, Wᵀ·G's as soon as col2im has read it.
func Conv2d(x, w, b *Tensor, stride, padding int) *Tensor {
	p := planFor(convGeometry(x, w, b, stride, padding))
	K, NP, CO := p.c*p.kh*p.kw, p.n*p.oh*p.ow, p.co
	cols := getBuf(K * NP)
	im2col(cols, x.data, p)
	y, beta := getBuf(CO*NP), float32(0)
	if b != nil { // the product adds onto the bias, see fillRows
		fillRows(y, b.data, NP)
		beta = 1
	}
	sgemm(blas.NoTrans, blas.NoTrans, CO, NP, K, 1, w.data, max(K, 1), cols, max(NP, 1), beta, y, max(NP, 1))
	out := newTensor(make([]float32, p.n*CO*p.oh*p.ow), []int{p.n, CO, p.oh, p.ow}, Float32)
	toNCHW(out.data, y, &p.convGeom)
	putBuf(y)
	if !needsGrad(x, w, b) {
		putBuf(cols)
		return out
	}
	return record(out, "ConvolutionBackward0", func(gr []float32) {
		G := getBuf(CO * NP)
		fromNCHW(G, gr, &p.convGeom)
		if b != nil && b.requiresGrad {
			blas32.Implementation().Sgemv(blas.NoTrans, CO, NP, 1, G, max(NP, 1), onesOf(NP), 1, 1, b.gradAcc(), 1) // ∂b += G·1
		}
		if cols == nil { // a second pass through a retained graph
			cols = getBuf(K * NP)
			im2col(cols, x.data, p)
		}
		// The weight's and the input's products are independent: sgemmPair
		// computes them at once on two cores where it can. On lesson 9's CNN
		// (batch 64, a 2-core Zen 3) that took the best backward-and-forward
		// step of its last three layers from 705/688/420 µs to 583/563/367
		// and the epoch's median from 3.10 s to 2.98 (8 interleaved runs
		// each, the same accuracy to the last digit), for 30% more CPU time.
		var dW, dX *gemm
		var dWt, dCols []float32
		if w.requiresGrad { // ∂W as (cols·Gᵀ)ᵀ, see addTransposed
			dWt = getBuf(K * CO)
			dW = &gemm{blas.NoTrans, blas.Trans, K, CO, NP, 1, cols, max(NP, 1), G, max(NP, 1), 0, dWt, max(CO, 1)}
		}
		if x.requiresGrad { // Wᵀ·G, whose entries col2im adds back onto the pixels
			dCols = getBuf(K * NP)
			dX = &gemm{blas.Trans, blas.NoTrans, K, NP, CO, 1, w.data, max(K, 1), G, max(NP, 1), 0, dCols, max(NP, 1)}
		}
		sgemmPair(dX, dW)
		if dW != nil {
			addTransposed(w.gradAcc(), dWt, K, CO)
			putBuf(dWt)
		}
		if dX != nil {
			col2im(x.gradAcc(), dCols, p)
			putBuf(dCols)
		}
		putBuf(cols)
		cols = nil
		putBuf(G)
	}, x, w, b)
}

// convGeom holds the sizes of one convolution: input [n c h w], weight
// [co c kh kw], stride s, padding p, output [n co oh ow].
type convGeom struct {
	n, c, h, w, co, kh, kw, s, p, oh, ow int
}

// convGeometry checks the operands of Conv2d and returns their sizes.
func convGeometry(x, w, b *Tensor, stride, padding int) convGeom {
	shapes := []Shape{x.shape, w.shape}
	if b != nil {
		shapes = append(shapes, b.shape)
	}
	fail := func(hint, format string, args ...any) {
		panic(shapeErr("conv2d", hint, format, args...).with(shapes...))
	}
	if len(x.shape) != 4 {
		fail("for one image use Reshape(1, C, H, W); for flat rows of MNIST, Reshape(-1, 1, 28, 28)",
			"input %v is not a 4-D batch [N C H W]", x.shape)
	}
	if len(w.shape) != 4 {
		fail("", "weight %v is not 4-D [out_channels in_channels KH KW]", w.shape)
	}
	if stride < 1 || padding < 0 {
		fail("", "stride %d must be at least 1 and padding %d at least 0", stride, padding)
	}
	g := convGeom{n: x.shape[0], c: x.shape[1], h: x.shape[2], w: x.shape[3],
		co: w.shape[0], kh: w.shape[2], kw: w.shape[3], s: stride, p: padding}
	if w.shape[1] != g.c {
		fail("", "input %v has %d channels, weight %v expects %d", x.shape, g.c, w.shape, w.shape[1])
	}
	if b != nil && (len(b.shape) != 1 || b.shape[0] != g.co) {
		fail("", "bias %v does not match weight %v (want [%d])", b.shape, w.shape, g.co)
	}
	if g.kh < 1 || g.kw < 1 || g.kh > g.h+2*padding || g.kw > g.w+2*padding {
		fail("", "kernel %dx%d does not fit input %v with padding %d (padded size %dx%d)",
			g.kh, g.kw, x.shape, padding, g.h+2*padding, g.w+2*padding)
	}
	g.oh = (g.h+2*padding-g.kh)/stride + 1
	g.ow = (g.w+2*padding-g.kw)/stride + 1
	return g
}
