package tensor

import (
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
	if m == 0 || n == 0 {
		return
	}
	if k == 0 {
		if beta == 0 {
			clear(c[:m*n])
		} else if beta != 1 {
			mulK.vs(c[:m*n], c[:m*n], beta)
		}
		return
	}
	blasSgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// betaFor returns the Sgemm beta that adds into a gradient buffer (1) or
// overwrites a stale one (0).
func betaFor(ok bool) float32 {
	if ok {
		return 1
	}
	return 0
}

// MatMul returns the matrix product of the 2-D tensors t [n k] and o [k m],
// a [n m] tensor.
//
//	out = a·b;  ∂a = g·bᵀ,  ∂b = aᵀ·g
func (t *Tensor) MatMul(o *Tensor) *Tensor {
	if len(t.shape) != 2 || len(o.shape) != 2 || t.shape[1] != o.shape[0] {
		panicf("matmul: shapes %v and %v cannot be multiplied", t.shape, o.shape)
	}
	n, k, m := t.shape[0], t.shape[1], o.shape[1]
	out := newTensor(make([]float32, n*m), []int{n, m}, Float32)
	sgemm(blas.NoTrans, blas.NoTrans, n, m, k, 1, t.data, max(k, 1), o.data, max(m, 1), 0, out.data, max(m, 1))
	if !needs2(t, o) {
		return out
	}
	return record2(out, func(g []float32) {
		if t.requiresGrad {
			ga, ok := t.gradBuf()
			sgemm(blas.NoTrans, blas.Trans, n, k, m, 1, g, max(m, 1), o.data, max(m, 1), betaFor(ok), ga, max(k, 1))
		}
		if o.requiresGrad {
			gb, ok := o.gradBuf()
			sgemm(blas.Trans, blas.NoTrans, k, m, n, 1, t.data, max(k, 1), g, max(m, 1), betaFor(ok), gb, max(m, 1))
		}
	}, t, o)
}

// Linear returns x·wᵀ + b, the affine layer of PyTorch's nn.Linear, in one
// BLAS call: x is [n in], w is [out in], b is [out] or nil; the result is
// [n out]. Gradients are computed only for inputs that need them (the batch
// x usually does not).
//
//	out = x·wᵀ + b;  ∂x = g·w,  ∂w = gᵀ·x,  ∂b = Σ_rows g
func Linear(x, w, b *Tensor) *Tensor {
	if len(x.shape) != 2 || len(w.shape) != 2 || x.shape[1] != w.shape[1] {
		panicf("linear: input %v and weight %v do not match (want x [n in], w [out in])", x.shape, w.shape)
	}
	n, in, nout := x.shape[0], x.shape[1], w.shape[0]
	if b != nil && (len(b.shape) != 1 || b.shape[0] != nout) {
		panicf("linear: bias %v does not match weight %v (want [%d])", b.shape, w.shape, nout)
	}
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
	need := x.requiresGrad || w.requiresGrad || (b != nil && b.requiresGrad)
	if !need || !GradEnabled() {
		return out
	}
	back := func(g []float32) {
		if w.requiresGrad {
			gw, ok := w.gradBuf()
			sgemm(blas.Trans, blas.NoTrans, nout, in, n, 1, g, ldo, x.data, ldi, betaFor(ok), gw, ldi)
		}
		if x.requiresGrad {
			gx, ok := x.gradBuf()
			sgemm(blas.NoTrans, blas.NoTrans, n, in, nout, 1, g, ldo, w.data, ldi, betaFor(ok), gx, ldi)
		}
		if b != nil && b.requiresGrad {
			gb, ok := b.gradBuf()
			sumRows(gb, g, n, nout, betaFor(ok))
		}
	}
	if b == nil {
		return record2(out, back, x, w)
	}
	return recordN(out, back, []*Tensor{x, w, b})
}

// sumRows computes dst = beta·dst + Σᵢ rowᵢ(g) for g holding n rows of m,
// as one BLAS matrix-vector product gᵀ·1 (the bias gradient).
func sumRows(dst, g []float32, n, m int, beta float32) {
	if n == 0 || m == 0 {
		if beta == 0 {
			clear(dst)
		}
		return
	}
	blas32.Implementation().Sgemv(blas.Trans, n, m, 1, g, m, onesOf(n), 1, beta, dst, 1)
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
//	out = aᵀ;  ∂a = gᵀ
func (t *Tensor) T() *Tensor {
	if len(t.shape) != 2 {
		panicf("t: tensor of shape %v is not 2-D", t.shape)
	}
	r, c := t.shape[0], t.shape[1]
	out := newTensor(make([]float32, r*c), []int{c, r}, t.dtype)
	transpose(out.data, t.data, r, c)
	if !needs1(t) {
		return out
	}
	return record1(out, func(g []float32) {
		ga, ok := t.gradBuf()
		if !ok {
			transpose(ga, g, c, r)
			return
		}
		tmp := getBuf(len(g))
		transpose(tmp, g, c, r)
		addTo(ga, tmp)
		putBuf(tmp)
	}, t)
}
