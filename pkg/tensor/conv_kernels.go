package tensor

// The loops around Conv2d's matrix products: im2col, its adjoint col2im,
// and the permutations between NCHW and the products' [CO, N·OH·OW].
//
// Measured on lesson 9's CNN at batch 64 (this machine, 2 cores shared
// with other jobs, best of 200): the products run at 85-110 GFLOP/s in the
// [CO, N·OH·OW] orientation against 40-110 in the transposed one (whose
// CO = 8 side starves the kernel), so cols is [C·KH·KW, N·OH·OW]. A plain
// gather of cols cost 200-260 µs for the first layer, more than its
// products (110 µs); two observations cut it:
//
//   - One offset table over all columns (n, y, x) of a row serves every row:
//     row (c, i, j) reads the padded input at c·Hp·Wp + i·Wp + j + off[k]. A
//     loop per image and output row spent more time starting than copying on
//     the 2×2 and 4×4 outputs of the last layers.
//   - Row (c, i, j) with i ≥ s is row (c, i−s, j) moved by one output row
//     (window y+1 of tap i−s is window y of tap i), and with j ≥ s row
//     (c, i, j−s) moved by one column; only the last output row (column) of
//     each image must be read afresh. So only s² taps per channel are
//     gathered (4 of the first layer's 25) and the rest are memmoves.
//
// col2im applies the adjoint of each step in reverse order: the fresh
// entries of a shifted row are scattered, the rest added (axpy) into its
// parent row, and only the s² gathered rows are scattered in full.

// convPlan is a convolution's geometry with the index tables im2col and
// col2im share.
type convPlan struct {
	convGeom
	off   []int32 // per column (n, y, x): n·C·Hp·Wp + y·s·Wp + x·s
	lastY []int32 // the columns whose y = OH−1
	lastX []int32 // the columns whose x = OW−1
}

func newConvPlan(g convGeom) *convPlan {
	p := &convPlan{convGeom: g}
	wp, plane := g.w+2*g.p, (g.h+2*g.p)*(g.w+2*g.p)
	p.off = make([]int32, 0, g.n*g.oh*g.ow)
	for n := 0; n < g.n; n++ {
		for y := 0; y < g.oh; y++ {
			for x := 0; x < g.ow; x++ {
				k := int32(len(p.off))
				if y == g.oh-1 {
					p.lastY = append(p.lastY, k)
				}
				if x == g.ow-1 {
					p.lastX = append(p.lastX, k)
				}
				p.off = append(p.off, int32(n*g.c*plane+y*g.s*wp+x*g.s))
			}
		}
	}
	return p
}

// padded returns x with p zero pixels around every image plane,
// [N C H+2p W+2p], in a buffer from the pool (x itself if p = 0; free
// tells which). Plain loops, not copy and clear: the rows are 2 to 28
// values long, shorter than a call's set-up.
func padded(x []float32, g *convGeom) (xp []float32, free bool) {
	if g.p == 0 {
		return x, false
	}
	hp, wp := g.h+2*g.p, g.w+2*g.p
	xp = getBuf(g.n * g.c * hp * wp)
	for pl := 0; pl < g.n*g.c; pl++ {
		dst, src := xp[pl*hp*wp:][:hp*wp], x[pl*g.h*g.w:][:g.h*g.w]
		clear(dst[:g.p*wp])
		for r := 0; r < g.h; r++ {
			d, s := dst[(r+g.p)*wp:][:wp], src[r*g.w:][:g.w]
			for k := range g.p {
				d[k], d[wp-1-k] = 0, 0
			}
			d = d[g.p:][:len(s)]
			for k, v := range s {
				d[k] = v
			}
		}
		clear(dst[(g.h+g.p)*wp:])
	}
	return xp, true
}

// im2col fills cols [C·KH·KW, N·OH·OW]: row (c,i,j), column (n,y,x) holds
// xpad[n, c, y·s+i, x·s+j].
func im2col(cols, x []float32, p *convPlan) {
	if len(p.off) == 0 {
		return
	}
	xp, free := padded(x, &p.convGeom)
	NP := len(p.off)
	plane, wp := (p.h+2*p.p)*(p.w+2*p.p), p.w+2*p.p
	for c := 0; c < p.c; c++ {
		for i := 0; i < p.kh; i++ {
			for j := 0; j < p.kw; j++ {
				r := (c*p.kh+i)*p.kw + j
				row := cols[r*NP:][:NP]
				src := xp[c*plane+i*wp+j:]
				switch {
				case i >= p.s:
					copy(row, cols[(r-p.s*p.kw)*NP:][p.ow:NP])
					gatherAt(row, src, p.off, p.lastY)
				case j >= p.s:
					copy(row, cols[(r-p.s)*NP:][1:NP])
					gatherAt(row, src, p.off, p.lastX)
				default:
					for k, o := range p.off {
						row[k] = src[o]
					}
				}
			}
		}
	}
	if free {
		putBuf(xp)
	}
}

// gatherAt sets row[k] = src[off[k]] for the columns k in at.
func gatherAt(row, src []float32, off, at []int32) {
	for _, k := range at {
		row[k] = src[off[k]]
	}
}

// col2im is im2col's adjoint: it adds every entry of cols onto the input
// pixel im2col read it from (entries that came from padding are dropped).
// It uses cols as scratch. Within one row the windows' offsets differ, so
// a scatter never adds twice to one address.
func col2im(dx, cols []float32, p *convPlan) {
	NP := len(p.off)
	if NP == 0 {
		return
	}
	hp, wp := p.h+2*p.p, p.w+2*p.p
	dp := dx // without padding, add straight into dx
	if p.p > 0 {
		dp = getBuf(p.n * p.c * hp * wp)
		clear(dp)
	}
	for r := p.c*p.kh*p.kw - 1; r >= 0; r-- {
		c, i, j := r/(p.kh*p.kw), r/p.kw%p.kh, r%p.kw
		row := cols[r*NP:][:NP]
		dst := dp[c*hp*wp+i*wp+j:]
		switch {
		case i >= p.s:
			scatterAt(dst, row, p.off, p.lastY)
			addTo(cols[(r-p.s*p.kw)*NP:][p.ow:NP], row[:NP-p.ow])
		case j >= p.s:
			scatterAt(dst, row, p.off, p.lastX)
			addTo(cols[(r-p.s)*NP:][1:NP], row[:NP-1])
		default:
			for k, o := range p.off {
				dst[o] += row[k]
			}
		}
	}
	if p.p > 0 {
		for pl := 0; pl < p.n*p.c; pl++ {
			for r := 0; r < p.h; r++ {
				d, s := dx[(pl*p.h+r)*p.w:][:p.w], dp[(pl*hp+r+p.p)*wp+p.p:][:p.w]
				for k, v := range s {
					d[k] += v
				}
			}
		}
		putBuf(dp)
	}
}

// scatterAt adds row[k] onto dst[off[k]] for the columns k in at and zeroes
// row[k], so that the rest of row can be added into its parent row whole.
func scatterAt(dst, row []float32, off, at []int32) {
	for _, k := range at {
		dst[off[k]] += row[k]
		row[k] = 0
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
