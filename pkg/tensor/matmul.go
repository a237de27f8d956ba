package tensor

import (
	"fmt"
	"sync"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
)

// Matrix products go through gonum's blas32 interface: pure-Go kernels by
// default, BLIS or OpenBLAS with the blis or openblas build tag (see
// blas_cgo.go).

// sgemm computes C = alpha·op(A)·op(B) + beta·C for row-major matrices, C
// being m×n and the inner dimension k; it tolerates empty sizes, which
// gonum's checks reject through the leading dimensions.
func sgemm(tA, tB blas.Transpose, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	tA, tB = checkGemm(tA, tB, m, n, k, len(a), lda, len(b), ldb, len(c), ldc)
	if m == 0 || n == 0 {
		return
	}
	if k == 0 {
		for i := range m {
			if row := c[i*ldc:][:n]; beta == 0 {
				clear(row)
			} else if beta != 1 {
				mulK.vs(row, row, beta)
			}
		}
		return
	}
	blasSgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// gemm holds the arguments of one sgemm call.
type gemm struct {
	tA, tB  blas.Transpose
	m, n, k int
	alpha   float32
	a       []float32
	lda     int
	b       []float32
	ldb     int
	beta    float32
	c       []float32
	ldc     int
}

// sgemmPair computes the products x and y (nil: none), which must not
// write what the other reads. With a native BLAS and a second core it
// computes them at once, each as one one-thread call (pairSgemm), so the
// results are those of two sgemm calls, bit for bit.
func sgemmPair(x, y *gemm) {
	if x != nil && y != nil {
		x.tA, x.tB = checkGemm(x.tA, x.tB, x.m, x.n, x.k, len(x.a), x.lda, len(x.b), x.ldb, len(x.c), x.ldc)
		y.tA, y.tB = checkGemm(y.tA, y.tB, y.m, y.n, y.k, len(y.a), y.lda, len(y.b), y.ldb, len(y.c), y.ldc)
		if min(x.m, x.n, x.k, y.m, y.n, y.k) > 0 && pairSgemm(x, y) {
			return
		}
	}
	for _, g := range []*gemm{x, y} {
		if g != nil {
			sgemm(g.tA, g.tB, g.m, g.n, g.k, g.alpha, g.a, g.lda, g.b, g.ldb, g.beta, g.c, g.ldc)
		}
	}
}

// checkGemm panics with a ShapeError unless the sizes are non-negative, the
// transpositions known and each non-empty matrix fits its slice with its
// leading dimension, as BLAS's Sgemm requires. The native libraries read
// and write through raw pointers (blas_split.go), so this is the one check
// between a caller's slices and memory. It returns the transpositions with
// ConjTrans as Trans, the same for real matrices.
func checkGemm(tA, tB blas.Transpose, m, n, k, la, lda, lb, ldb, lc, ldc int) (blas.Transpose, blas.Transpose) {
	fail := func(format string, args ...any) { panic(shapeErr("gemm", "", format, args...)) }
	if m < 0 || n < 0 || k < 0 {
		fail("negative size: m = %d, n = %d, k = %d", m, n, k)
	}
	trans := func(name string, t blas.Transpose) blas.Transpose {
		switch t {
		case blas.NoTrans, blas.Trans:
			return t
		case blas.ConjTrans:
			return blas.Trans
		}
		fail("unknown transpose %q for %s", rune(t), name)
		return t
	}
	tA, tB = trans("A", tA), trans("B", tB)
	fits := func(name string, t blas.Transpose, rows, cols, ld, have int) {
		if t == blas.Trans {
			rows, cols = cols, rows
		}
		if rows == 0 || cols == 0 {
			return
		}
		if ld < cols {
			fail("%s is stored %d×%d: its leading dimension %d must be at least %d", name, rows, cols, ld, cols)
		}
		if need := ld*(rows-1) + cols; have < need {
			fail("%s is stored %d×%d with leading dimension %d: it needs %d values, the slice holds %d", name, rows, cols, ld, need, have)
		}
	}
	fits("A", tA, m, k, lda, la)
	fits("B", tB, k, n, ldb, lb)
	fits("C", blas.NoTrans, m, n, ldc, lc)
	return tA, tB
}

// Gemm computes C = alpha·op(A)·op(B) + beta·C on row-major slices with the
// BLAS and the thread split of MatMul and Linear (BLASInfo describes both):
// op(A) is m×k, op(B) is k×n and C is m×n, with the leading dimensions lda,
// ldb and ldc of BLAS's Sgemm. It records no graph. It is the product for
// the slices of a custom op (NewOp), and what bench/mlp -limit times as the
// floor under a training epoch.
func Gemm(tA, tB blas.Transpose, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	sgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// MatMul returns the matrix product of the 2-D tensors t [n k] and o [k m],
// a [n m] tensor.
//
//	out = a·b;  ∂a += g·bᵀ,  ∂b += aᵀ·g
func (t *Tensor) MatMul(o *Tensor) *Tensor {
	checkMatMul(t.shape, o.shape)
	n, k, m := t.shape[0], t.shape[1], o.shape[1]
	out := newTensor(make([]float32, n*m), []int{n, m}, Float32)
	sgemm(blas.NoTrans, blas.NoTrans, n, m, k, 1, t.data, max(k, 1), o.data, max(m, 1), 0, out.data, max(m, 1))
	if !needsGrad(t, o) {
		return out
	}
	return record(out, "MmBackward0", func(g []float32) {
		if t.requiresGrad { // ∂a += g·bᵀ
			sgemm(blas.NoTrans, blas.Trans, n, k, m, 1, g, max(m, 1), o.data, max(m, 1), 1, t.gradAcc(), max(k, 1))
		}
		if o.requiresGrad { // ∂b += aᵀ·g
			sgemm(blas.Trans, blas.NoTrans, k, m, n, 1, t.data, max(k, 1), g, max(m, 1), 1, o.gradAcc(), max(m, 1))
		}
	}, t, o)
}

// checkMatMul panics with a ShapeError unless a and b can be multiplied,
// hinting at the transpose that would make them fit.
func checkMatMul(a, b Shape) {
	if len(a) != 2 || len(b) != 2 {
		panic(shapeErr("matmul", "", "both arguments must be 2-D matrices, got shapes %v and %v", a, b).with(a, b))
	}
	if a[1] == b[0] {
		return
	}
	hint := ""
	switch {
	case a[1] == b[1]:
		hint = fmt.Sprintf("did you forget a transpose? a.MatMul(b.T()) multiplies %v by %v (a weight stored [out in], as nn.Linear's, needs .T())", a, Shape{b[1], b[0]})
	case a[0] == b[0]:
		hint = fmt.Sprintf("did you forget a transpose? a.T().MatMul(b) multiplies %v by %v", Shape{a[1], a[0]}, b)
	}
	panic(shapeErr("matmul", hint, "mat1 and mat2 shapes cannot be multiplied (%s and %s)", dims(a), dims(b)).with(a, b))
}

// Linear returns x·wᵀ + b, the affine layer of PyTorch's nn.Linear, in one
// BLAS call: x is [n in], w is [out in], b is [out] or nil; the result is
// [n out]. Gradients are computed only for inputs that need them (the batch
// x usually does not).
//
//	out = x·wᵀ + b;  ∂x += g·w,  ∂w += gᵀ·x,  ∂b += Σ_rows g
func Linear(x, w, b *Tensor) *Tensor {
	checkLinear(x.shape, w.shape, b)
	n, in, nout := x.shape[0], x.shape[1], w.shape[0]
	out := newTensor(make([]float32, n*nout), []int{n, nout}, Float32)
	beta := float32(0)
	if b != nil {
		for r := 0; r < n; r++ {
			copy(out.data[r*nout:(r+1)*nout], b.data)
		}
		beta = 1
	}
	ldo, ldi := max(nout, 1), max(in, 1)
	sgemm(blas.NoTrans, blas.Trans, n, nout, in, 1, x.data, ldi, w.data, ldi, beta, out.data, ldo)
	if !needsGrad(x, w, b) {
		return out
	}
	op := "AddmmBackward0"
	if b == nil {
		op = "MmBackward0"
	}
	return record(out, op, func(g []float32) {
		if w.requiresGrad { // ∂w += gᵀ·x
			sgemm(blas.Trans, blas.NoTrans, nout, in, n, 1, g, ldo, x.data, ldi, 1, w.gradAcc(), ldi)
		}
		if x.requiresGrad { // ∂x += g·w
			sgemm(blas.NoTrans, blas.NoTrans, n, in, nout, 1, g, ldo, w.data, ldi, 1, x.gradAcc(), ldi)
		}
		if b != nil && b.requiresGrad { // ∂b += Σ_rows g
			sumRows(b.gradAcc(), g, n, nout)
		}
	}, x, w, b)
}

// checkLinear panics with a ShapeError unless x [n in], w [out in] and b
// [out] (or nil) fit, with a hint for the common mistakes: an image batch
// not flattened, a layer whose in_features differs from the previous
// layer's output.
func checkLinear(x, w Shape, b *Tensor) {
	if len(w) != 2 {
		panic(shapeErr("linear", "", "weight must be 2-D [out_features in_features], got %v", w).with(x, w))
	}
	in := w[1]
	if len(x) != 2 {
		hint := ""
		switch {
		case len(x) > 2 && x[1:].Numel() == in:
			hint = fmt.Sprintf("flatten the batch first: x.Reshape(%d, -1) gives [%d %d]", x[0], x[0], in)
		case len(x) == 1 && x[0] == in:
			hint = fmt.Sprintf("a single sample? x.Reshape(1, -1) gives [1 %d]", in)
		}
		panic(shapeErr("linear", hint, "input must be 2-D [batch in_features], got %v for a weight %v (in_features=%d)", x, w, in).with(x, w))
	}
	if x[1] != in {
		hint := fmt.Sprintf("the layer expects in_features=%d but each input row has %d values: does the previous layer's out_features match?", in, x[1])
		if w[0] == x[1] {
			hint += fmt.Sprintf(" (or was the weight %v built as [in out]? Linear's is [out in], as PyTorch's)", w)
		}
		panic(shapeErr("linear", hint, "mat1 and mat2 shapes cannot be multiplied (%s and %dx%d)", dims(x), in, w[0]).with(x, w))
	}
	if b != nil && (len(b.shape) != 1 || b.shape[0] != w[0]) {
		panic(shapeErr("linear", "", "bias of shape %v does not match weight %v (want [%d])", b.shape, w, w[0]).with(x, w, b.shape))
	}
}

// sumRows computes dst += Σᵢ rowᵢ(g) for g holding n rows of m, as one
// BLAS matrix-vector product gᵀ·1 (the bias gradient).
func sumRows(dst, g []float32, n, m int) {
	if n == 0 || m == 0 {
		return
	}
	blas32.Implementation().Sgemv(blas.Trans, n, m, 1, g, m, onesOf(n), 1, 1, dst, 1)
}

// ones is a shared read-only vector of ones, grown as needed.
var ones struct {
	sync.Mutex
	v []float32
}

func onesOf(n int) []float32 {
	ones.Lock()
	defer ones.Unlock()
	if len(ones.v) < n {
		v := make([]float32, max(n, 2*len(ones.v)))
		for i := range v {
			v[i] = 1
		}
		ones.v = v // a new slice: callers holding the old one keep valid ones
	}
	return ones.v[:n]
}

// transpose writes the transpose of the r×c matrix src into dst (c×r),
// in tiles so both sides stay in cache.
func transpose(dst, src []float32, r, c int) {
	const tile = 32
	for i0 := 0; i0 < r; i0 += tile {
		for j0 := 0; j0 < c; j0 += tile {
			for i := i0; i < min(i0+tile, r); i++ {
				for j := j0; j < min(j0+tile, c); j++ {
					dst[j*r+i] = src[i*c+j]
				}
			}
		}
	}
}

// T returns the transpose of a 2-D tensor (a copy).
//
//	out = aᵀ;  ∂a += gᵀ
func (t *Tensor) T() *Tensor {
	if len(t.shape) != 2 {
		panic(shapeErr("t", "", "t() expects a 2-D tensor, got shape %v", t.shape).with(t.shape))
	}
	r, c := t.shape[0], t.shape[1]
	out := newTensor(make([]float32, r*c), []int{c, r}, t.dtype)
	transpose(out.data, t.data, r, c)
	if !needsGrad(t) {
		return out
	}
	return record(out, "TBackward0", func(g []float32) {
		gT := getBuf(len(g))
		transpose(gT, g, c, r)
		addTo(t.gradAcc(), gT)
		putBuf(gT)
	}, t)
}
