package tensor

import (
	"math"
)

// Reductions over all elements or one dimension. A tensor seen along
// dimension d is [outer, n, inner]: n values to reduce, inner apart.

// split normalises dim (negative counts from the end) and returns the
// outer, reduced and inner sizes.
func (t *Tensor) split(op string, dim int) (d, outer, n, inner int) {
	nd, given := len(t.shape), dim
	if dim < 0 {
		dim += nd
	}
	if dim < 0 || dim >= nd {
		panic(shapeErr(op, "", "dimension out of range (expected to be in range of [%d, %d], but got %d) for a tensor of shape %v",
			-nd, nd-1, given, t.shape).with(t.shape))
	}
	outer, inner = 1, 1
	for i := 0; i < dim; i++ {
		outer *= t.shape[i]
	}
	for i := dim + 1; i < nd; i++ {
		inner *= t.shape[i]
	}
	return dim, outer, t.shape[dim], inner
}

// reducedShape is t's shape without dimension d (or with it set to 1).
func (t *Tensor) reducedShape(d int, keepdim bool) []int {
	s := make([]int, 0, len(t.shape))
	for i, v := range t.shape {
		switch {
		case i != d:
			s = append(s, v)
		case keepdim:
			s = append(s, 1)
		}
	}
	return s
}

// Sum returns the sum of all elements as a scalar (Int stays Int).
//
//	out = Σᵢ aᵢ;  ∂aᵢ += g
func (t *Tensor) Sum() *Tensor {
	out := newTensor([]float32{sum(t.data)}, nil, t.dtype)
	if !needsGrad(t) {
		return out
	}
	return record(out, "SumBackward0", func(g []float32) {
		dst := t.gradAcc()
		addK.vs(dst, dst, g[0])
	}, t)
}

// Mean returns the mean of all elements as a Float32 scalar.
//
//	out = Σᵢ aᵢ / N;  ∂aᵢ += g/N
func (t *Tensor) Mean() *Tensor {
	n := float32(len(t.data))
	out := Scalar(sum(t.data) / n)
	if !needsGrad(t) {
		return out
	}
	return record(out, "MeanBackward0", func(g []float32) {
		dst := t.gradAcc()
		addK.vs(dst, dst, g[0]/n)
	}, t)
}

// Max returns the largest element as a scalar. The gradient goes to the
// first largest element.
//
//	out = maxᵢ aᵢ;  ∂a_k += g for k = argmax
func (t *Tensor) Max() *Tensor {
	if len(t.data) == 0 {
		panic(shapeErr("max", "", "reduction over an empty tensor (shape %v) has no identity; give a dimension", t.shape).with(t.shape))
	}
	k := 0
	for i, v := range t.data {
		if v > t.data[k] || (v != v && t.data[k] == t.data[k]) {
			k = i
		}
	}
	out := newTensor([]float32{t.data[k]}, nil, t.dtype)
	if !needsGrad(t) {
		return out
	}
	return record(out, "MaxBackward1", func(g []float32) {
		dst := t.gradAcc()
		dst[k] += g[0]
	}, t)
}

// Min returns the smallest element as a scalar (not differentiable).
func (t *Tensor) Min() *Tensor {
	if len(t.data) == 0 {
		panic(shapeErr("min", "", "reduction over an empty tensor (shape %v) has no identity; give a dimension", t.shape).with(t.shape))
	}
	m := t.data[0]
	for _, v := range t.data {
		m = min(m, v)
	}
	return newTensor([]float32{m}, nil, t.dtype)
}

// SumDim sums over dimension dim (negative counts from the end), keeping it
// as size 1 if keepdim.
//
//	out[o,i] = Σⱼ a[o,j,i];  ∂a[o,j,i] += g[o,i]
func (t *Tensor) SumDim(dim int, keepdim bool) *Tensor {
	return t.sumDim("sum", dim, keepdim, 1, t.dtype)
}

// MeanDim averages over dimension dim.
//
//	out[o,i] = Σⱼ a[o,j,i] / n;  ∂a[o,j,i] += g[o,i]/n
func (t *Tensor) MeanDim(dim int, keepdim bool) *Tensor {
	_, _, n, _ := t.split("mean", dim)
	return t.sumDim("mean", dim, keepdim, 1/float32(n), Float32)
}

func (t *Tensor) sumDim(op string, dim int, keepdim bool, scale float32, dt DType) *Tensor {
	name := "SumBackward1"
	if op == "mean" {
		name = "MeanBackward1"
	}
	d, outer, n, inner := t.split(op, dim)
	out := newTensor(make([]float32, outer*inner), t.reducedShape(d, keepdim), dt)
	x := t.data
	for o := 0; o < outer; o++ {
		dst := out.data[o*inner : (o+1)*inner]
		if inner == 1 {
			dst[0] = sum(x[o*n:(o+1)*n]) * scale
			continue
		}
		for j := 0; j < n; j++ {
			addTo(dst, x[(o*n+j)*inner:(o*n+j+1)*inner])
		}
		if scale != 1 {
			mulK.vs(dst, dst, scale)
		}
	}
	if !needsGrad(t) {
		return out
	}
	return record(out, name, func(g []float32) {
		ga := t.gradAcc()
		for o := 0; o < outer; o++ {
			src := g[o*inner : (o+1)*inner]
			for j := 0; j < n; j++ {
				axpy(ga[(o*n+j)*inner:(o*n+j+1)*inner], scale, src)
			}
		}
	}, t)
}

// argmaxDim returns, for each [o,i], the index j of the first largest
// a[o,j,i] (NaN counts as largest, as in PyTorch).
func (t *Tensor) argmaxDim(outer, n, inner int) []int32 {
	idx := make([]int32, outer*inner)
	x := t.data
	for o := 0; o < outer; o++ {
		for i := 0; i < inner; i++ {
			base := o*n*inner + i
			best, bv := 0, x[base]
			for j := 1; j < n && bv == bv; j++ {
				if v := x[base+j*inner]; v > bv || v != v {
					best, bv = j, v
				}
			}
			idx[o*inner+i] = int32(best)
		}
	}
	return idx
}

// MaxDim returns the largest values along dimension dim. The gradient goes
// to the first largest element of each slice.
//
//	out[o,i] = maxⱼ a[o,j,i];  ∂a[o,j*,i] += g[o,i]
func (t *Tensor) MaxDim(dim int, keepdim bool) *Tensor {
	d, outer, n, inner := t.split("max", dim)
	if n == 0 {
		panic(shapeErr("max", "", "cannot reduce over dimension %d of shape %v, which has size 0", d, t.shape).with(t.shape))
	}
	idx := t.argmaxDim(outer, n, inner)
	out := newTensor(make([]float32, outer*inner), t.reducedShape(d, keepdim), t.dtype)
	for k, j := range idx {
		o, i := k/inner, k%inner
		out.data[k] = t.data[(o*n+int(j))*inner+i]
	}
	if !needsGrad(t) {
		return out
	}
	return record(out, "MaxBackward0", func(g []float32) {
		ga := t.gradAcc()
		for k, j := range idx {
			o, i := k/inner, k%inner
			ga[(o*n+int(j))*inner+i] += g[k]
		}
	}, t)
}

// ArgMax returns the Int indices of the largest values along dim (the first
// one on ties); not differentiable.
func (t *Tensor) ArgMax(dim int) *Tensor {
	d, outer, n, inner := t.split("argmax", dim)
	if n == 0 {
		panic(shapeErr("argmax", "", "cannot reduce over dimension %d of shape %v, which has size 0", d, t.shape).with(t.shape))
	}
	idx := t.argmaxDim(outer, n, inner)
	out := newTensor(make([]float32, len(idx)), t.reducedShape(d, false), Int)
	for k, j := range idx {
		out.data[k] = float32(j)
	}
	return out
}

// LogSumExp returns log Σ exp over dimension dim, computed stably by
// subtracting the maximum first (the trick of lesson 03).
//
//	out = m + ln Σⱼ exp(aⱼ - m),  m = maxⱼ aⱼ;  ∂aⱼ += g·exp(aⱼ - out) (softmax)
func (t *Tensor) LogSumExp(dim int, keepdim bool) *Tensor {
	d, outer, n, inner := t.split("logsumexp", dim)
	out := newTensor(make([]float32, outer*inner), t.reducedShape(d, keepdim), Float32)
	x := t.data
	for o := 0; o < outer; o++ {
		for i := 0; i < inner; i++ {
			base := o*n*inner + i
			m := float32(math.Inf(-1))
			for j := 0; j < n; j++ {
				m = max(m, x[base+j*inner])
			}
			if math.IsInf(float64(m), 0) {
				out.data[o*inner+i] = m
				continue
			}
			var s float64
			for j := 0; j < n; j++ {
				s += math.Exp(float64(x[base+j*inner] - m))
			}
			out.data[o*inner+i] = m + float32(math.Log(s))
		}
	}
	if !needsGrad(t) {
		return out
	}
	return record(out, "LogsumexpBackward0", func(g []float32) {
		ga := t.gradAcc()
		for o := 0; o < outer; o++ {
			for i := 0; i < inner; i++ {
				base := o*n*inner + i
				lse, gi := out.data[o*inner+i], g[o*inner+i]
				for j := 0; j < n; j++ {
					ga[base+j*inner] += gi * float32(math.Exp(float64(x[base+j*inner]-lse)))
				}
			}
		}
	}, t)
}
