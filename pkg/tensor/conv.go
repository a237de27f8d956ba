package tensor

import "gonum.org/v1/gonum/blas"

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
//	Y = W·cols                        Y [CO, N·OH·OW]
//	out = Y permuted to [N CO OH OW], plus b
//
// The backward pass, with G = g permuted to [CO, N·OH·OW], is two more
// products and the inverse of the gather:
//
//	∂W += G·colsᵀ,  ∂b += Σ_columns G,  ∂x += col2im(Wᵀ·G)
//
// where col2im adds every entry of a column back onto the pixel im2col
// copied it from. One product per layer and step, rather than one per
// image, keeps the BLAS calls few and large enough to run near its peak
// (conv_kernels.go has the measurements).
func Conv2d(x, w, b *Tensor, stride, padding int) *Tensor {
	g := convGeometry(x, w, b, stride, padding)
	K, NP := g.c*g.kh*g.kw, g.n*g.oh*g.ow
	cols := getBuf(K * NP) // scratch, or kept by the backward closure below
	im2col(cols, x.data, &g)
	y := getBuf(g.co * NP)
	sgemm(blas.NoTrans, blas.NoTrans, g.co, NP, K, 1, w.data, max(K, 1), cols, max(NP, 1), 0, y, max(NP, 1))
	out := newTensor(make([]float32, g.n*g.co*g.oh*g.ow), []int{g.n, g.co, g.oh, g.ow}, Float32)
	var bias []float32
	if b != nil {
		bias = b.data
	}
	toNCHW(out.data, y, bias, &g)
	putBuf(y)
	if !needsGrad(x, w, b) {
		putBuf(cols)
		return out
	}
	return record(out, "ConvolutionBackward0", func(gr []float32) {
		G := getBuf(g.co * NP)
		fromNCHW(G, gr, &g)
		if b != nil && b.requiresGrad {
			db := b.gradAcc()
			for o := range db {
				db[o] += sum(G[o*NP : (o+1)*NP])
			}
		}
		if w.requiresGrad {
			sgemm(blas.NoTrans, blas.Trans, g.co, K, NP, 1, G, max(NP, 1), cols, max(NP, 1), 1, w.gradAcc(), max(K, 1))
		}
		if x.requiresGrad {
			dcols := getBuf(K * NP)
			sgemm(blas.Trans, blas.NoTrans, K, NP, g.co, 1, w.data, max(K, 1), G, max(NP, 1), 0, dcols, max(NP, 1))
			col2im(x.gradAcc(), dcols, &g)
			putBuf(dcols)
		}
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
	fail := func(format string, args ...any) {
		panic(shapeErr("conv2d", shapes, format, args...))
	}
	if len(x.shape) != 4 {
		fail("input %v is not a 4-D batch [N C H W] (for one image, Reshape(1, C, H, W))", x.shape)
	}
	if len(w.shape) != 4 {
		fail("weight %v is not 4-D [out_channels in_channels KH KW]", w.shape)
	}
	if stride < 1 || padding < 0 {
		fail("stride %d must be at least 1 and padding %d at least 0", stride, padding)
	}
	g := convGeom{n: x.shape[0], c: x.shape[1], h: x.shape[2], w: x.shape[3],
		co: w.shape[0], kh: w.shape[2], kw: w.shape[3], s: stride, p: padding}
	if w.shape[1] != g.c {
		fail("input %v has %d channels, weight %v expects %d", x.shape, g.c, w.shape, w.shape[1])
	}
	if b != nil && (len(b.shape) != 1 || b.shape[0] != g.co) {
		fail("bias %v does not match weight %v (want [%d])", b.shape, w.shape, g.co)
	}
	if g.kh < 1 || g.kw < 1 || g.kh > g.h+2*padding || g.kw > g.w+2*padding {
		fail("kernel %dx%d does not fit input %v with padding %d (padded size %dx%d)",
			g.kh, g.kw, x.shape, padding, g.h+2*padding, g.w+2*padding)
	}
	g.oh = (g.h+2*padding-g.kh)/stride + 1
	g.ow = (g.w+2*padding-g.kw)/stride + 1
	return g
}

// validCols returns the output columns [lo, hi) whose input column
// x·s + j − p for kernel column j lies inside the image (the rest read
// padding).
func (g *convGeom) validCols(j int) (lo, hi int) {
	if d := g.p - j; d > 0 {
		lo = min(g.ow, (d+g.s-1)/g.s)
	}
	if last := g.w - 1 + g.p - j; last >= 0 {
		hi = min(g.ow, last/g.s+1)
	}
	return lo, max(lo, hi)
}

// im2col fills cols [C·KH·KW, N·OH·OW]: row (c,i,j), column (n,y,x) holds
// xpad[n, c, y·s+i, x·s+j]. Each row is written in runs of OW that read
// one image row, so the loop is a copy for stride 1.
func im2col(cols, x []float32, g *convGeom) {
	hw, NP := g.h*g.w, g.n*g.oh*g.ow
	for c := 0; c < g.c; c++ {
		for i := 0; i < g.kh; i++ {
			for j := 0; j < g.kw; j++ {
				row := cols[((c*g.kh+i)*g.kw+j)*NP:][:NP]
				lo, hi := g.validCols(j)
				for n := 0; n < g.n; n++ {
					img := x[(n*g.c+c)*hw:][:hw]
					for y := 0; y < g.oh; y++ {
						dst := row[(n*g.oh+y)*g.ow:][:g.ow]
						ih := y*g.s + i - g.p
						if ih < 0 || ih >= g.h {
							clear(dst)
							continue
						}
						src := img[ih*g.w:][:g.w]
						clear(dst[:lo])
						clear(dst[hi:])
						if lo == hi {
							continue
						}
						iw := lo*g.s + j - g.p
						if g.s == 1 {
							copy(dst[lo:hi], src[iw:])
							continue
						}
						for x := lo; x < hi; x++ {
							dst[x] = src[iw]
							iw += g.s
						}
					}
				}
			}
		}
	}
}

// col2im is im2col's adjoint: it adds every entry of cols onto the input
// pixel im2col read it from (entries that came from padding are dropped).
func col2im(dx, cols []float32, g *convGeom) {
	hw, NP := g.h*g.w, g.n*g.oh*g.ow
	for c := 0; c < g.c; c++ {
		for i := 0; i < g.kh; i++ {
			for j := 0; j < g.kw; j++ {
				row := cols[((c*g.kh+i)*g.kw+j)*NP:][:NP]
				lo, hi := g.validCols(j)
				for n := 0; n < g.n; n++ {
					img := dx[(n*g.c+c)*hw:][:hw]
					for y := 0; y < g.oh; y++ {
						ih := y*g.s + i - g.p
						if ih < 0 || ih >= g.h {
							continue
						}
						src := row[(n*g.oh+y)*g.ow:][:g.ow]
						dst := img[ih*g.w:][:g.w]
						iw := lo*g.s + j - g.p
						for x := lo; x < hi; x++ {
							dst[iw] += src[x]
							iw += g.s
						}
					}
				}
			}
		}
	}
}

// toNCHW writes Y [CO, N·P] (P = OH·OW) into out [N CO P], adding bias[o]
// (nil: none).
func toNCHW(out, y, bias []float32, g *convGeom) {
	P := g.oh * g.ow
	NP := g.n * P
	for n := 0; n < g.n; n++ {
		for o := 0; o < g.co; o++ {
			dst := out[(n*g.co+o)*P:][:P]
			src := y[o*NP+n*P:][:P]
			if bias == nil {
				copy(dst, src)
				continue
			}
			bo := bias[o]
			for k, v := range src {
				dst[k] = v + bo
			}
		}
	}
}

// fromNCHW is toNCHW's inverse without bias: G [CO, N·P] from g [N CO P].
func fromNCHW(G, gr []float32, g *convGeom) {
	P := g.oh * g.ow
	NP := g.n * P
	for n := 0; n < g.n; n++ {
		for o := 0; o < g.co; o++ {
			copy(G[o*NP+n*P:][:P], gr[(n*g.co+o)*P:][:P])
		}
	}
}
