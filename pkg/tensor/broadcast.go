package tensor

// Broadcasting follows NumPy and PyTorch: shapes are aligned at their last
// dimension; each pair of sizes must be equal or one of them 1, and the
// result takes the larger. An operand's relation to the result decides the
// loop used, so the common cases run as whole-slice kernels:
//
//	full:   same number of elements as the result ([n m] with [n m])
//	inner:  repeats along leading dims ([n m] with [m] or [1 m])
//	outer:  constant along trailing dims ([n m] with [n 1], or a scalar)
//	general: anything else ([n 1] with [1 m]), through an index map

type bkind uint8

const (
	bFull bkind = iota
	bInner
	bOuter
	bGeneral
)

// BroadcastShapes returns the shape that a and b broadcast to, or a
// *ShapeError naming both shapes and the first dimension that differs.
func BroadcastShapes(a, b Shape) (Shape, error) {
	n := max(len(a), len(b))
	out := make(Shape, n)
	for i := 0; i < n; i++ {
		da, db := 1, 1
		if j := len(a) - n + i; j >= 0 {
			da = a[j]
		}
		if j := len(b) - n + i; j >= 0 {
			db = b[j]
		}
		switch {
		case da == db:
			out[i] = da
		case da == 1:
			out[i] = db
		case db == 1:
			out[i] = da
		default:
			return nil, shapeErr("broadcast", "", "the size of tensor a (%d) must match the size of tensor b (%d) at non-singleton dimension %d (shapes %v and %v)",
				da, db, i, a, b).with(a, b)
		}
	}
	return out, nil
}

// operand describes how one input maps onto the broadcast result.
type operand struct {
	kind bkind
	n    int     // the operand's number of elements
	idx  []int32 // bGeneral: result position -> operand offset
}

// bplan is the loop plan of a broadcasting binary op.
type bplan struct {
	out  Shape
	n    int
	a, b operand
}

func planBroadcast(op string, a, b Shape) *bplan {
	out, err := BroadcastShapes(a, b)
	if err != nil {
		se := err.(*ShapeError)
		se.Op = op
		panic(se)
	}
	p := &bplan{out: out, n: out.Numel()}
	p.a = classify(a, out)
	p.b = classify(b, out)
	return p
}

// classify finds the cheapest loop for an operand of shape in broadcast to
// out.
func classify(in, out Shape) operand {
	n := in.Numel()
	o := operand{n: n}
	total := out.Numel()
	switch {
	case n == total:
		o.kind = bFull
		return o
	case n == 1:
		o.kind = bOuter
		return o
	}
	pad := len(out) - len(in)
	dim := func(i int) int { // in's size aligned to out's dimension i
		if i < pad {
			return 1
		}
		return in[i-pad]
	}
	// inner: 1s, then exactly out's trailing sizes.
	s := 0
	for s < len(out) && dim(s) == 1 {
		s++
	}
	inner := true
	for i := s; i < len(out); i++ {
		if dim(i) != out[i] {
			inner = false
			break
		}
	}
	if inner {
		o.kind = bInner
		return o
	}
	// outer: exactly out's leading sizes, then 1s.
	e := len(out)
	for e > 0 && dim(e-1) == 1 {
		e--
	}
	outer := true
	for i := 0; i < e; i++ {
		if dim(i) != out[i] {
			outer = false
			break
		}
	}
	if outer {
		o.kind = bOuter
		return o
	}
	o.kind = bGeneral
	o.idx = make([]int32, total)
	strides := make([]int, len(out))
	st := 1
	for i := len(out) - 1; i >= 0; i-- {
		if dim(i) != 1 {
			strides[i] = st
		}
		st *= dim(i)
	}
	pos := make([]int, len(out))
	off := 0
	for j := range o.idx {
		o.idx[j] = int32(off)
		for i := len(out) - 1; i >= 0; i-- {
			pos[i]++
			off += strides[i]
			if pos[i] < out[i] {
				break
			}
			off -= strides[i] * pos[i]
			pos[i] = 0
		}
	}
	return o
}

// expand writes x, an operand of kind o, broadcast to n elements into dst.
func expand(dst, x []float32, o operand) {
	switch o.kind {
	case bFull:
		copy(dst, x)
	case bInner:
		for off := 0; off < len(dst); off += o.n {
			copy(dst[off:off+o.n], x)
		}
	case bOuter:
		blk := len(dst) / o.n
		for i, v := range x {
			d := dst[i*blk : (i+1)*blk]
			for j := range d {
				d[j] = v
			}
		}
	default:
		for j, k := range o.idx {
			dst[j] = x[k]
		}
	}
}

// apply computes out = a ∘ b under plan p with the kernel k.
func (p *bplan) apply(k kernel, out, a, b []float32) {
	n := p.n
	switch {
	case p.a.kind == bFull && p.b.kind == bFull:
		k.vv(out, a, b)
	case p.a.kind == bFull && p.b.kind == bInner:
		m := p.b.n
		for off := 0; off < n; off += m {
			k.vv(out[off:off+m], a[off:off+m], b)
		}
	case p.a.kind == bFull && p.b.kind == bOuter:
		blk := n / p.b.n
		for i, s := range b {
			k.vs(out[i*blk:(i+1)*blk], a[i*blk:(i+1)*blk], s)
		}
	case p.b.kind == bFull && p.a.kind == bInner:
		m := p.a.n
		for off := 0; off < n; off += m {
			k.vv(out[off:off+m], a, b[off:off+m])
		}
	case p.b.kind == bFull && p.a.kind == bOuter:
		blk := n / p.a.n
		for i, s := range a {
			k.sv(out[i*blk:(i+1)*blk], s, b[i*blk:(i+1)*blk])
		}
	default:
		ea, eb := a, b
		if p.a.kind != bFull {
			ea = getBuf(n)
			expand(ea, a, p.a)
			defer putBuf(ea)
		}
		if p.b.kind != bFull {
			eb = getBuf(n)
			expand(eb, b, p.b)
			defer putBuf(eb)
		}
		k.vv(out, ea, eb)
	}
}

// sumTo adds alpha·src, a gradient of the broadcast result's shape, summed
// back down to the operand's shape, into dst: the reverse of broadcasting
// (PyTorch's sum_to_size). Each operand kind has its own loop; the same-
// shape case is one vectorised axpy.
func sumTo(dst []float32, alpha float32, src []float32, o operand) {
	switch o.kind {
	case bFull:
		axpy(dst, alpha, src)
	case bInner:
		for off := 0; off < len(src); off += o.n {
			axpy(dst, alpha, src[off:off+o.n])
		}
	case bOuter:
		blk := len(src) / o.n
		for i := range dst {
			dst[i] += alpha * sum(src[i*blk:(i+1)*blk])
		}
	default:
		for j, k := range o.idx {
			dst[k] += alpha * src[j]
		}
	}
}

// gradSumTo adds alpha·g, summed back to x's shape (operand o of the
// broadcast), into x's gradient; nothing if x needs no gradient. Every
// broadcasting op's backward ends here.
func gradSumTo(x *Tensor, o operand, alpha float32, g []float32) {
	if x.requiresGrad {
		sumTo(x.gradAcc(), alpha, g, o)
	}
}

// gradSumToOf is gradSumTo of k(g, y), y being the other operand (of kind
// oy) broadcast to the result: the backward of Mul and Div, where ∂a = g·b
// or g/b. The product is formed in a pooled scratch buffer that nothing
// else sees.
func (p *bplan) gradSumToOf(x *Tensor, o operand, alpha float32, k kernel, g, y []float32, oy operand) {
	if !x.requiresGrad {
		return
	}
	tmp := getBuf(p.n)
	gp := bplan{out: p.out, n: p.n, a: operand{kind: bFull, n: p.n}, b: oy}
	gp.apply(k, tmp, g, y)
	sumTo(x.gradAcc(), alpha, tmp, o)
	putBuf(tmp)
}
