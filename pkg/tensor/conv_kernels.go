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
// products (110 µs); three observations cut it:
//
//   - One table per kernel tap (i, j), over all columns (n, y, x), serves
//     that tap in every channel: row (c, i, j) reads x at c·H·W + src[k].
//     A loop per image and output row spent more time starting than
//     copying on the 2×2 and 4×4 outputs of the last layers.
//   - The padding is in the tables, not in a padded copy of x: a column
//     whose pixel is padding reads a pixel of its image and is then set to
//     zero. Padding x (and cropping the padded gradient in col2im) took
//     13% of the CNN's CPU time; without it the layers' best forward and
//     backward steps went from 430/819/717/440 µs to 390/706/686/421, their
//     means from 4.03 to 3.51 ms in all (BenchmarkConv2d, best of 2000,
//     -cpu 1, a 2-core Zen 3).
//   - Row (c, i, j) with i ≥ s is row (c, i−s, j) moved by one output row
//     (window y+1 of tap i−s is window y of tap i), and with j ≥ s row
//     (c, i, j−s) moved by one column; only the last output row (column) of
//     each image must be read afresh. So only s² taps per channel are
//     gathered (4 of the first layer's 25) and the rest are memmoves.
//
// col2im applies the adjoint of each step in reverse order: a row's
// padding entries are dropped, the fresh entries of a shifted row are
// scattered, the rest added (axpy) into its parent row, and only the s²
// gathered rows are scattered in full.
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
	taps  []convTap // per kernel tap (i, j), i·KW + j
	lastY []int32   // the columns whose y = OH−1
	lastX []int32   // the columns whose x = OW−1
}

// convTap is what im2col reads for one kernel tap (i, j) of every channel:
// the columns (n, y, x) it reads afresh, the input pixel of each, and those
// of them whose pixel x[n, c, y·s+i−p, x·s+j−p] lies in the padding, which
// it sets to zero (their src entry is pixel (0, 0) of the image, so that
// every read stays inside it).
type convTap struct {
	fresh []int32 // nil: every column
	src   []int32 // per fresh column: n·C·H·W + (y·s+i−p)·W + x·s+j−p
	pad   []int32 // the fresh columns that read padding, ascending
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
	if g.n*g.c*g.h*g.w > math.MaxInt32 || g.n*g.oh*g.ow > math.MaxInt32 {
		panic(shapeErr("conv2d", "split the batch", "input of %d×%d×%d×%d values is too large for one call", g.n, g.c, g.h, g.w))
	}
	p := &convPlan{convGeom: g, taps: make([]convTap, g.kh*g.kw)}
	P, NP := g.oh*g.ow, g.n*g.oh*g.ow
	for k := range NP {
		if k%P/g.ow == g.oh-1 {
			p.lastY = append(p.lastY, int32(k))
		}
		if k%g.ow == g.ow-1 {
			p.lastX = append(p.lastX, int32(k))
		}
	}
	for i := range g.kh {
		for j := range g.kw {
			t := &p.taps[i*g.kw+j]
			switch {
			case i >= g.s:
				t.fresh = p.lastY
			case j >= g.s:
				t.fresh = p.lastX
			}
			read := func(k int) {
				n, yy, xx := k/P, k%P/g.ow*g.s+i-g.p, k%g.ow*g.s+j-g.p
				src := n * g.c * g.h * g.w
				if yy >= 0 && yy < g.h && xx >= 0 && xx < g.w {
					src += yy*g.w + xx
				} else {
					t.pad = append(t.pad, int32(k))
				}
				t.src = append(t.src, int32(src))
			}
			if t.fresh == nil {
				for k := range NP {
					read(k)
				}
			} else {
				for _, k := range t.fresh {
					read(int(k))
				}
			}
		}
	}
	return p
}

// span returns the part [i, j) of the ascending list at that lies in [lo, hi).
func span(at []int32, lo, hi int) (i, j int) {
	if len(at) == 0 || int(at[0]) >= lo && int(at[len(at)-1]) < hi { // the whole batch, unsplit
		return 0, len(at)
	}
	i, _ = slices.BinarySearch(at, int32(lo))
	j, _ = slices.BinarySearch(at, int32(hi))
	return i, j
}

// within returns the part of the ascending list at that lies in [lo, hi).
func within(at []int32, lo, hi int) []int32 {
	i, j := span(at, lo, hi)
	return at[i:j]
}

// im2col fills cols [C·KH·KW, N·OH·OW]: row (c,i,j), column (n,y,x) holds
// x[n, c, y·s+i−p, x·s+j−p], or zero where that pixel is padding. Large
// batches are split by images over the cores: each part fills its own
// columns.
func im2col(cols, x []float32, p *convPlan) {
	if len(cols) == 0 {
		return
	}
	if p.h*p.w == 0 { // every pixel is padding
		clear(cols)
		return
	}
	P := p.oh * p.ow
	convItems(p.n, len(cols)/p.n, func(n0, n1 int) {
		p.im2colRange(cols, x, n0*P, n1*P)
	})
}

// im2colRange fills columns [lo, hi) of cols, whole images. A shifted
// row's copy stops short of the range's end, whose entries are all fresh
// ones (the last output row or column of the range's last image).
func (p *convPlan) im2colRange(cols, x []float32, lo, hi int) {
	NP, hw := p.n*p.oh*p.ow, p.h*p.w
	for c := range p.c {
		src := x[c*hw:]
		for i := range p.kh {
			for j := range p.kw {
				r, t := (c*p.kh+i)*p.kw+j, &p.taps[i*p.kw+j]
				row := cols[r*NP:][:NP]
				switch {
				case i >= p.s:
					copy(row[lo:hi-p.ow], cols[(r-p.s*p.kw)*NP:][lo+p.ow:hi])
				case j >= p.s:
					copy(row[lo:hi-1], cols[(r-p.s)*NP:][lo+1:hi])
				}
				if t.fresh == nil {
					gather(row[lo:hi], src, t.src[lo:hi])
				} else {
					a, b := span(t.fresh, lo, hi)
					gatherAt(row, src, t.fresh[a:b], t.src[a:b])
				}
				zeroAt(row, within(t.pad, lo, hi))
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

// scatterAdd adds src[k] onto dst[off[k]].
//
//go:noinline
func scatterAdd(dst, src []float32, off []int32) {
	src = src[:len(off)]
	for k, o := range off {
		dst[o] += src[k]
	}
}

// gatherAt sets row[at[m]] = src[off[m]].
//
//go:noinline
func gatherAt(row, src []float32, at, off []int32) {
	off = off[:len(at)]
	for m, k := range at {
		row[k] = src[off[m]]
	}
}

// zeroAt sets row[k] = 0 for the columns k in at.
func zeroAt(row []float32, at []int32) {
	for _, k := range at {
		row[k] = 0
	}
}

// col2im is im2col's adjoint: it adds every entry of cols onto the input
// pixel im2col read it from (entries that came from padding are dropped).
// It uses cols as scratch. Parts of a split batch touch only their own
// images.
func col2im(dx, cols []float32, p *convPlan) {
	if len(dx) == 0 || len(cols) == 0 {
		return
	}
	P := p.oh * p.ow
	convItems(p.n, len(cols)/p.n, func(n0, n1 int) {
		p.col2imRange(dx, cols, n0*P, n1*P)
	})
}

// col2imRange is col2im for columns [lo, hi), whole images, in reverse
// order of im2col's steps: a row drops its padding entries, scatters its
// fresh ones, and a shifted row adds the rest into its parent row.
func (p *convPlan) col2imRange(dx, cols []float32, lo, hi int) {
	NP, hw := p.n*p.oh*p.ow, p.h*p.w
	for r := p.c*p.kh*p.kw - 1; r >= 0; r-- {
		c, i, j := r/(p.kh*p.kw), r/p.kw%p.kh, r%p.kw
		row, t, dst := cols[r*NP:][:NP], &p.taps[i*p.kw+j], dx[c*hw:]
		zeroAt(row, within(t.pad, lo, hi))
		if t.fresh == nil {
			scatterAdd(dst, row[lo:hi], t.src[lo:hi])
			continue
		}
		a, b := span(t.fresh, lo, hi)
		scatterAt(dst, row, t.fresh[a:b], t.src[a:b])
		if i >= p.s {
			addTo(cols[(r-p.s*p.kw)*NP:][lo+p.ow:hi], row[lo:hi-p.ow])
		} else {
			addTo(cols[(r-p.s)*NP:][lo+1:hi], row[lo:hi-1])
		}
	}
}

// scatterAt adds row[at[m]] onto dst[off[m]] and zeroes row[at[m]], so
// that the rest of row can be added into its parent row whole.
//
//go:noinline
func scatterAt(dst, row []float32, at, off []int32) {
	off = off[:len(at)]
	for m, k := range at {
		dst[off[m]] += row[k]
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
