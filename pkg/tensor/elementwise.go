package tensor

import (
	"math"

	"github.com/fastgo/fastgo/pkg/tensor/internal/vec"
)

// Elementwise operations. Each forward sits beside its backward closure;
// the closure receives g = ∂L/∂out and adds ∂L/∂input into the inputs'
// gradients.

// binaryOut plans a broadcasting op and allocates its result.
func binaryOut(op string, a, b *Tensor, dt DType) (*Tensor, bplan) {
	var p bplan
	if a.shape.Equal(b.shape) {
		p = bplan{out: a.shape, n: len(a.data), a: operand{kind: bFull, n: len(a.data)}, b: operand{kind: bFull, n: len(b.data)}}
	} else {
		p = *planBroadcast(op, a.shape, b.shape)
	}
	return newTensor(make([]float32, p.n), p.out, dt), p
}

func intIfBoth(a, b *Tensor) DType {
	if a.dtype == Int && b.dtype == Int {
		return Int
	}
	return Float32
}

// Add returns t + o with broadcasting.
//
//	out = a + b;  ∂a += g,  ∂b += g  (each summed back to its shape)
func (t *Tensor) Add(o *Tensor) *Tensor {
	out, p := binaryOut("add", t, o, intIfBoth(t, o))
	p.apply(addK, out.data, t.data, o.data)
	if !needsGrad(t, o) {
		return out
	}
	pb := p // captured only when recording, so p itself stays on the stack
	return record(out, "AddBackward0", func(g []float32) {
		gradSumTo(t, pb.a, 1, g)
		gradSumTo(o, pb.b, 1, g)
	}, t, o)
}

// Sub returns t - o with broadcasting.
//
//	out = a - b;  ∂a += g,  ∂b += -g
func (t *Tensor) Sub(o *Tensor) *Tensor {
	out, p := binaryOut("sub", t, o, intIfBoth(t, o))
	p.apply(subK, out.data, t.data, o.data)
	if !needsGrad(t, o) {
		return out
	}
	pb := p
	return record(out, "SubBackward0", func(g []float32) {
		gradSumTo(t, pb.a, 1, g)
		gradSumTo(o, pb.b, -1, g)
	}, t, o)
}

// Mul returns t * o elementwise with broadcasting.
//
//	out = a·b;  ∂a += g·b,  ∂b += g·a
func (t *Tensor) Mul(o *Tensor) *Tensor {
	out, p := binaryOut("mul", t, o, intIfBoth(t, o))
	p.apply(mulK, out.data, t.data, o.data)
	if !needsGrad(t, o) {
		return out
	}
	pb := p
	return record(out, "MulBackward0", func(g []float32) {
		pb.gradSumToOf(t, pb.a, 1, mulK, g, o.data, pb.b)
		pb.gradSumToOf(o, pb.b, 1, mulK, g, t.data, pb.a)
	}, t, o)
}

// Div returns t / o elementwise with broadcasting (always Float32).
//
//	out = a/b;  ∂a += g/b,  ∂b += -g·a/b² = -(g·out)/b
func (t *Tensor) Div(o *Tensor) *Tensor {
	out, p := binaryOut("div", t, o, Float32)
	p.apply(divK, out.data, t.data, o.data)
	if !needsGrad(t, o) {
		return out
	}
	pb := p
	return record(out, "DivBackward0", func(g []float32) {
		pb.gradSumToOf(t, pb.a, 1, divK, g, o.data, pb.b)
		if o.requiresGrad {
			gOut := getBuf(len(g))
			mulK.vv(gOut, g, out.data)
			pb.gradSumToOf(o, pb.b, -1, divK, gOut, o.data, pb.b)
			putBuf(gOut)
		}
	}, t, o)
}

// unaryOut allocates the result of an elementwise op on t.
func unaryOut(t *Tensor, dt DType) *Tensor {
	return newTensor(make([]float32, len(t.data)), t.shape, dt)
}

func isIntegral(v float32) bool { return v == float32(math.Trunc(float64(v))) }

// scalarDType keeps Int for integer-preserving ops with an integral scalar.
func scalarDType(t *Tensor, v float32) DType {
	if t.dtype == Int && isIntegral(v) {
		return Int
	}
	return Float32
}

// same is the broadcast operand of a unary op: the input has the result's
// shape, so summing back is the identity.
var same = operand{kind: bFull}

// AddScalar returns t + v.
//
//	out = a + v;  ∂a += g
func (t *Tensor) AddScalar(v float32) *Tensor {
	out := unaryOut(t, scalarDType(t, v))
	addK.vs(out.data, t.data, v)
	if !needsGrad(t) {
		return out
	}
	return record(out, "AddBackward1", func(g []float32) { gradSumTo(t, same, 1, g) }, t)
}

// SubScalar returns t - v.
//
//	out = a - v;  ∂a += g
func (t *Tensor) SubScalar(v float32) *Tensor {
	out := unaryOut(t, scalarDType(t, v))
	subK.vs(out.data, t.data, v)
	if !needsGrad(t) {
		return out
	}
	return record(out, "SubBackward1", func(g []float32) { gradSumTo(t, same, 1, g) }, t)
}

// MulScalar returns t·v.
//
//	out = a·v;  ∂a += g·v
func (t *Tensor) MulScalar(v float32) *Tensor {
	out := unaryOut(t, scalarDType(t, v))
	mulK.vs(out.data, t.data, v)
	if !needsGrad(t) {
		return out
	}
	return record(out, "MulBackward1", func(g []float32) { gradSumTo(t, same, v, g) }, t)
}

// DivScalar returns t/v (always Float32).
//
//	out = a/v;  ∂a += g/v
func (t *Tensor) DivScalar(v float32) *Tensor {
	out := unaryOut(t, Float32)
	divK.vs(out.data, t.data, v)
	if !needsGrad(t) {
		return out
	}
	return record(out, "DivBackward1", func(g []float32) { gradSumTo(t, same, 1/v, g) }, t)
}

// Neg returns -t.
//
//	out = -a;  ∂a += -g
func (t *Tensor) Neg() *Tensor {
	out := unaryOut(t, t.dtype)
	for i, v := range t.data {
		out.data[i] = -v
	}
	if !needsGrad(t) {
		return out
	}
	return record(out, "NegBackward0", func(g []float32) { gradSumTo(t, same, -1, g) }, t)
}

// Exp returns eᵗ elementwise.
//
//	out = exp(a);  ∂a += g·out
func (t *Tensor) Exp() *Tensor {
	out := unaryOut(t, Float32)
	for i, v := range t.data {
		out.data[i] = float32(math.Exp(float64(v)))
	}
	if !needsGrad(t) {
		return out
	}
	return record(out, "ExpBackward0", func(g []float32) {
		da, y := t.gradAcc(), out.data
		for i := range da {
			da[i] += g[i] * y[i]
		}
	}, t)
}

// Log returns the natural logarithm elementwise.
//
//	out = ln(a);  ∂a += g/a
func (t *Tensor) Log() *Tensor {
	out := unaryOut(t, Float32)
	for i, v := range t.data {
		out.data[i] = float32(math.Log(float64(v)))
	}
	if !needsGrad(t) {
		return out
	}
	return record(out, "LogBackward0", func(g []float32) {
		da, a := t.gradAcc(), t.data
		for i := range da {
			da[i] += g[i] / a[i]
		}
	}, t)
}

// Sqrt returns the square root elementwise.
//
//	out = √a;  ∂a += g/(2·out)
func (t *Tensor) Sqrt() *Tensor {
	out := unaryOut(t, Float32)
	for i, v := range t.data {
		out.data[i] = float32(math.Sqrt(float64(v)))
	}
	if !needsGrad(t) {
		return out
	}
	return record(out, "SqrtBackward0", func(g []float32) {
		da, y := t.gradAcc(), out.data
		for i := range da {
			da[i] += g[i] / (2 * y[i])
		}
	}, t)
}

// Pow returns tᵖ elementwise.
//
//	out = aᵖ;  ∂a += g·p·aᵖ⁻¹
func (t *Tensor) Pow(p float32) *Tensor {
	out := unaryOut(t, Float32)
	if p == 2 {
		mulK.vv(out.data, t.data, t.data) // exact, and no math.Pow per element
	} else {
		for i, v := range t.data {
			out.data[i] = float32(math.Pow(float64(v), float64(p)))
		}
	}
	if !needsGrad(t) {
		return out
	}
	return record(out, "PowBackward0", func(g []float32) {
		da, a := t.gradAcc(), t.data
		for i := range da {
			if p == 2 {
				da[i] += g[i] * 2 * a[i]
			} else {
				da[i] += g[i] * p * float32(math.Pow(float64(a[i]), float64(p-1)))
			}
		}
	}, t)
}

// Relu returns max(t, 0) elementwise.
//
//	out = max(a, 0);  ∂a += g where a > 0, else 0
func (t *Tensor) Relu() *Tensor { return t.clampMin("ReluBackward0", 0) }

// ClampMin returns max(t, v) elementwise, PyTorch's clamp(min=v).
//
//	out = max(a, v);  ∂a += g where a > v, else 0
func (t *Tensor) ClampMin(v float32) *Tensor { return t.clampMin("ClampMinBackward0", v) }

// clampMin computes max(a, v) and its gradient with internal/vec's loops
// (no branches, AVX2 where the CPU has it). Large tensors are split over
// the cores.
func (t *Tensor) clampMin(op string, v float32) *Tensor {
	out := unaryOut(t, scalarDType(t, v))
	x, y := t.data, out.data
	if len(x) < parallelMin {
		vec.ClampMin(y, x, v)
	} else {
		parallelFor(len(x), func(lo, hi int) { vec.ClampMin(y[lo:hi], x[lo:hi], v) })
	}
	if !needsGrad(t) {
		return out
	}
	return record(out, op, func(g []float32) {
		da := t.gradAcc()
		if len(da) < parallelMin {
			vec.AddWhereGreater(da, x, g, v)
			return
		}
		parallelFor(len(da), func(lo, hi int) { vec.AddWhereGreater(da[lo:hi], x[lo:hi], g[lo:hi], v) })
	}, t)
}

// Eq returns a Float32 mask, 1 where t == o and 0 elsewhere, with
// broadcasting; not differentiable. Its Mean is the fraction equal.
func (t *Tensor) Eq(o *Tensor) *Tensor {
	out, p := binaryOut("eq", t, o, Float32)
	p.apply(eqK, out.data, t.data, o.data)
	return out
}
