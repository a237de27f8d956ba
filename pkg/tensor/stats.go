package tensor

import "math"

// Variance and standard deviation, unbiased by default as in PyTorch
// (t.var(), t.std(): the sum of squared deviations divided by n − 1, Bessel's
// correction). A single value gives NaN, as PyTorch's does.

// Var returns the unbiased variance of all elements as a scalar.
//
//	out = Σᵢ (aᵢ − μ)² / (N − 1);  ∂aᵢ += g · 2(aᵢ − μ)/(N − 1)
func (t *Tensor) Var() *Tensor { return t.moments("VarBackward0", nil, false) }

// Std returns the unbiased standard deviation of all elements as a scalar.
//
//	out = σ = √Var;  ∂aᵢ += g · (aᵢ − μ)/((N − 1)·σ)
func (t *Tensor) Std() *Tensor { return t.moments("StdBackward0", nil, true) }

// VarDim returns the unbiased variance along dimension dim (negative counts
// from the end), keeping it as size 1 if keepdim, like t.var(dim, keepdim).
func (t *Tensor) VarDim(dim int, keepdim bool) *Tensor {
	return t.moments("VarBackward0", &dimArg{dim, keepdim}, false)
}

// StdDim returns the unbiased standard deviation along dimension dim, like
// t.std(dim, keepdim).
func (t *Tensor) StdDim(dim int, keepdim bool) *Tensor {
	return t.moments("StdBackward0", &dimArg{dim, keepdim}, true)
}

type dimArg struct {
	dim     int
	keepdim bool
}

// moments computes the variance (or its root, if std) of t seen as
// [outer, n, inner] along dim, or over all elements if d is nil. The
// deviations are summed in float64 after subtracting the mean (two passes),
// which stays accurate when the mean is large against the spread.
func (t *Tensor) moments(op string, d *dimArg, std bool) *Tensor {
	outer, n, inner := 1, len(t.data), 1
	var shape []int
	if d != nil {
		var dd int
		dd, outer, n, inner = t.split("var", d.dim)
		shape = t.reducedShape(dd, d.keepdim)
	}
	out := newTensor(make([]float32, outer*inner), shape, Float32)
	mean := make([]float32, outer*inner)
	x := t.data
	div := float64(n - 1)
	for o := 0; o < outer; o++ {
		for i := 0; i < inner; i++ {
			base := o*n*inner + i
			var s float64
			for j := 0; j < n; j++ {
				s += float64(x[base+j*inner])
			}
			mu := s / float64(n)
			var ss float64
			for j := 0; j < n; j++ {
				dv := float64(x[base+j*inner]) - mu
				ss += dv * dv
			}
			v := ss / div
			if std {
				v = math.Sqrt(v)
			}
			mean[o*inner+i] = float32(mu)
			out.data[o*inner+i] = float32(v)
		}
	}
	if !needsGrad(t) {
		return out
	}
	return record(out, op, func(g []float32) {
		ga := t.gradAcc()
		for o := 0; o < outer; o++ {
			for i := 0; i < inner; i++ {
				k := o*inner + i
				scale := g[k] * 2 / float32(div)
				if std {
					scale = g[k] / (float32(div) * out.data[k])
				}
				base, mu := o*n*inner+i, mean[k]
				for j := 0; j < n; j++ {
					ga[base+j*inner] += scale * (x[base+j*inner] - mu)
				}
			}
		}
	}, t)
}
