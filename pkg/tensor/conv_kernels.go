package tensor

import (
	"math"
	"slices"
	"sync"
)

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
//
// Batches whose columns hold at least convParallelMin values are split by
// images over the cores (convItems).

// convParallelMin is the number of values (of cols, or of the output for
// the permutes) from which the loops here split a batch over the cores.
// Starting a goroutine on the other core costs 30-150 µs on this machine,
// more than half of these loops at lesson 9's batch 64 (its largest cols
// holds 313,600 values): with parallelMin's 131,072 the epoch took 3.62 s,
// serial 2.97 s; at batch 128 both took the same, at batch 256 the split
// one 3.65-4.10 s against 5.02-5.18 (3 epochs each, this machine).
const convParallelMin = 1 << 19

// convItems is parallelItems for the loops around Conv2d's products.
func convItems(n, size int, body func(lo, hi int)) {
	if n*size < convParallelMin {
		body(0, n)
		return
	}
	parallelItems(n, size, body)
}

// convPlan is a convolution's geometry with the index tables im2col and
// col2im share.
type convPlan struct {
	convGeom
	off   []int32 // per column (n, y, x): n·C·Hp·Wp + y·s·Wp + x·s
	lastY []int32 // the columns whose y = OH−1
	lastX []int32 // the columns whose x = OW−1
	in    []int32 // per pixel of an H×W plane, its index in the padded plane
}

// plans keeps the plans of the geometries seen last: a training loop
// convolves the same shapes every step, and building the tables took
// 25 µs for lesson 9's first layer at batch 64, 4% of its forward and
// backward pass (this machine, -cpu 1). A plan is never changed after it
// is built, so callers on any goroutine may share it.
var plans = struct {
	sync.Mutex
	m map[convGeom]*convPlan
}{m: map[convGeom]*convPlan{}}

const maxPlans = 32 // geometries kept; beyond that the cache starts afresh

// planFor returns the plan of g, built on first use.
func planFor(g convGeom) *convPlan {
	plans.Lock()
	defer plans.Unlock()
	p := plans.m[g]
	if p == nil {
		p = newConvPlan(g)
		if len(plans.m) >= maxPlans {
			clear(plans.m)
		}
		plans.m[g] = p
	}
	return p
}

func newConvPlan(g convGeom) *convPlan {
	p := &convPlan{convGeom: g, in: g.interior()}
	wp, plane := g.w+2*g.p, (g.h+2*g.p)*(g.w+2*g.p)
	if g.n*g.c*plane > math.MaxInt32 {
		panic(shapeErr("conv2d", "split the batch", "padded input of %d×%d×%d×%d values is too large for one call", g.n, g.c, g.h+2*g.p, wp))
	}
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

// interior returns, for each pixel of an H×W plane, its index in the
// padded (H+2p)×(W+2p) plane: one table moves whole planes in and out of
// their padding (a loop per image row cost more than its 2-28 values).
func (g *convGeom) interior() []int32 {
	wp := g.w + 2*g.p
	idx := make([]int32, 0, g.h*g.w)
	for r := 0; r < g.h; r++ {
		for c := 0; c < g.w; c++ {
			idx = append(idx, int32((r+g.p)*wp+g.p+c))
		}
	}
	return idx
}

// padPlanes writes planes [pl0, pl1) of x into xp with p zero pixels
// around each, [.. H+2p W+2p].
func padPlanes(xp, x []float32, p *convPlan, pl0, pl1 int) {
	hw, plane := p.h*p.w, (p.h+2*p.p)*(p.w+2*p.p)
	clear(xp[pl0*plane : pl1*plane])
	for pl := pl0; pl < pl1; pl++ {
		scatter(xp[pl*plane:][:plane], x[pl*hw:][:hw], p.in)
	}
}

// within returns the part of the ascending list at that lies in [lo, hi).
func within(at []int32, lo, hi int) []int32 {
	i, _ := slices.BinarySearch(at, int32(lo))
	j, _ := slices.BinarySearch(at, int32(hi))
	return at[i:j]
}

// im2col fills cols [C·KH·KW, N·OH·OW]: row (c,i,j), column (n,y,x) holds
// xpad[n, c, y·s+i, x·s+j]. Large batches are split by images over the
// cores: each part pads its own images and fills its own columns.
func im2col(cols, x []float32, p *convPlan) {
	if len(p.off) == 0 {
		return
	}
	xp := x
	if p.p > 0 {
		xp = getBuf(p.n * p.c * (p.h + 2*p.p) * (p.w + 2*p.p))
	}
	P := p.oh * p.ow
	convItems(p.n, len(cols)/p.n, func(n0, n1 int) {
		if p.p > 0 {
			padPlanes(xp, x, p, n0*p.c, n1*p.c)
		}
		p.im2colRange(cols, xp, n0*P, n1*P)
	})
	if p.p > 0 {
		putBuf(xp)
	}
}

// im2colRange fills columns [lo, hi) of cols, whole images. A shifted
// row's copy stops short of the range's end, whose entries are all fresh
// ones (the last output row or column of the range's last image).
func (p *convPlan) im2colRange(cols, xp []float32, lo, hi int) {
	NP := len(p.off)
	plane, wp := (p.h+2*p.p)*(p.w+2*p.p), p.w+2*p.p
	off := p.off[lo:hi]
	lastY, lastX := within(p.lastY, lo, hi), within(p.lastX, lo, hi)
	for c := 0; c < p.c; c++ {
		for i := 0; i < p.kh; i++ {
			for j := 0; j < p.kw; j++ {
				r := (c*p.kh+i)*p.kw + j
				row := cols[r*NP:][:NP]
				src := xp[c*plane+i*wp+j:]
				switch {
				case i >= p.s:
					copy(row[lo:hi-p.ow], cols[(r-p.s*p.kw)*NP:][lo+p.ow:hi])
					gatherAt(row, src, p.off, lastY)
				case j >= p.s:
					copy(row[lo:hi-1], cols[(r-p.s)*NP:][lo+1:hi])
					gatherAt(row, src, p.off, lastX)
				default:
					gather(row[lo:hi], src, off)
				}
			}
		}
	}
}

// The loops over an index table, here and scatterAt, each its own
// function: inlined into im2colRange, col2imRange or col2im's closure,
// which keep many values live, the compiler kept the loop counter on the
// stack, and im2col of lesson 9's second layer took 179 µs instead of 129,
// its first 122 instead of 93; gatherAt and scatterAt on their own took
// im2col of the last layer from 60 to 53 µs, col2im from 149 to 130 (batch
// 64, best of 1000, this machine, -cpu 1).

// gather sets dst[k] = src[off[k]].
//
//go:noinline
func gather(dst, src []float32, off []int32) {
	dst = dst[:len(off)]
	for k, o := range off {
		dst[k] = src[o]
	}
}

// gatherAdd adds src[off[k]] onto dst[k].
//
//go:noinline
func gatherAdd(dst, src []float32, off []int32) {
	dst = dst[:len(off)]
	for k, o := range off {
		dst[k] += src[o]
	}
}

// scatter sets dst[off[k]] = src[k].
//
//go:noinline
func scatter(dst, src []float32, off []int32) {
	src = src[:len(off)]
	for k, o := range off {
		dst[o] = src[k]
	}
}

// scatterAdd adds src[k] onto dst[off[k]].
//
//go:noinline
func scatterAdd(dst, src []float32, off []int32) {
	src = src[:len(off)]
	for k, o := range off {
		dst[o] += src[k]
	}
}

// gatherAt sets row[k] = src[off[k]] for the columns k in at.
//
//go:noinline
func gatherAt(row, src []float32, off, at []int32) {
	for _, k := range at {
		row[k] = src[off[k]]
	}
}

// col2im is im2col's adjoint: it adds every entry of cols onto the input
// pixel im2col read it from (entries that came from padding are dropped).
// It uses cols as scratch. Within one row the windows' offsets differ, so
// a scatter never adds twice to one address; parts of a split batch touch
// only their own images.
func col2im(dx, cols []float32, p *convPlan) {
	if len(p.off) == 0 {
		return
	}
	plane, hw := (p.h+2*p.p)*(p.w+2*p.p), p.h*p.w
	dp := dx // without padding, add straight into dx
	if p.p > 0 {
		dp = getBuf(p.n * p.c * plane)
	}
	P := p.oh * p.ow
	convItems(p.n, len(cols)/p.n, func(n0, n1 int) {
		if p.p > 0 {
			clear(dp[n0*p.c*plane : n1*p.c*plane])
		}
		p.col2imRange(dp, cols, n0*P, n1*P)
		if p.p == 0 {
			return
		}
		for pl := n0 * p.c; pl < n1*p.c; pl++ {
			gatherAdd(dx[pl*hw:][:hw], dp[pl*plane:][:plane], p.in)
		}
	})
	if p.p > 0 {
		putBuf(dp)
	}
}

// col2imRange is col2im for columns [lo, hi), whole images, in reverse
// order of im2col's steps: a shifted row scatters its fresh entries and
// adds the rest into its parent row.
func (p *convPlan) col2imRange(dp, cols []float32, lo, hi int) {
	NP := len(p.off)
	plane, wp := (p.h+2*p.p)*(p.w+2*p.p), p.w+2*p.p
	off := p.off[lo:hi]
	lastY, lastX := within(p.lastY, lo, hi), within(p.lastX, lo, hi)
	for r := p.c*p.kh*p.kw - 1; r >= 0; r-- {
		c, i, j := r/(p.kh*p.kw), r/p.kw%p.kh, r%p.kw
		row := cols[r*NP:][:NP]
		dst := dp[c*plane+i*wp+j:]
		switch {
		case i >= p.s:
			scatterAt(dst, row, p.off, lastY)
			addTo(cols[(r-p.s*p.kw)*NP:][lo+p.ow:hi], row[lo:hi-p.ow])
		case j >= p.s:
			scatterAt(dst, row, p.off, lastX)
			addTo(cols[(r-p.s)*NP:][lo+1:hi], row[lo:hi-1])
		default:
			scatterAdd(dst, row[lo:hi], off)
		}
	}
}

// scatterAt adds row[k] onto dst[off[k]] for the columns k in at and zeroes
// row[k], so that the rest of row can be added into its parent row whole.
//
//go:noinline
func scatterAt(dst, row []float32, off, at []int32) {
	for _, k := range at {
		dst[off[k]] += row[k]
		row[k] = 0
	}
}

// addTransposed adds the transpose of a [m n] onto dst [n m]. Conv2d's
// weight gradient is the [K CO] product cols·Gᵀ added this way: OpenBLAS
// computed it in 114 µs against 166 for the [CO K] product G·colsᵀ on
// lesson 9's first layer at batch 64, 33 against 44 on its last (best of
// 1000, one thread, this machine); BLIS and gonum took as long or less.
func addTransposed(dst, a []float32, m, n int) {
	for i := range m {
		for j, v := range a[i*n:][:n] {
			dst[j*m+i] += v
		}
	}
}

// fillRows sets every value of row o of y [len(v), n] to v[o], doubling a
// copied prefix. Conv2d's product then adds onto the bias (beta = 1)
// instead of toNCHW adding it value by value: lesson 9's layers at batch
// 64 took 96, 89, 96 and 43 µs for product and permute instead of 123,
// 111, 106 and 54 (best of 1000, -cpu 1, this machine).
func fillRows(y, v []float32, n int) {
	for o, vo := range v {
		row := y[o*n:][:n]
		if n > 0 {
			row[0] = vo
		}
		for k := 1; k < n; k *= 2 {
			copy(row[k:], row[:k])
		}
	}
}

// toNCHW writes Y [CO, N·P] (P = OH·OW) into out [N CO P].
func toNCHW(out, y []float32, g *convGeom) {
	P := g.oh * g.ow
	NP := g.n * P
	convItems(g.n, g.co*P, func(n0, n1 int) {
		for n := n0; n < n1; n++ {
			for o := 0; o < g.co; o++ {
				copy(out[(n*g.co+o)*P:][:P], y[o*NP+n*P:][:P])
			}
		}
	})
}

// fromNCHW is toNCHW's inverse: G [CO, N·P] from g [N CO P].
func fromNCHW(G, gr []float32, g *convGeom) {
	P := g.oh * g.ow
	NP := g.n * P
	convItems(g.n, g.co*P, func(n0, n1 int) {
		for n := n0; n < n1; n++ {
			for o := 0; o < g.co; o++ {
				copy(G[o*NP+n*P:][:P], gr[(n*g.co+o)*P:][:P])
			}
		}
	})
}
