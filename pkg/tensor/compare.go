package tensor

import "math"

// AllClose reports whether t and o have the same shape and every pair of
// elements satisfies |a-b| <= atol + rtol·|b| (NumPy's allclose; NaNs are
// never close). It is the check behind the lesson's test_near.
func (t *Tensor) AllClose(o *Tensor, rtol, atol float32) bool {
	if !t.shape.Equal(o.shape) {
		return false
	}
	for i, a := range t.data {
		b := o.data[i]
		if !(float32(math.Abs(float64(a-b))) <= atol+rtol*float32(math.Abs(float64(b)))) {
			return false
		}
	}
	return true
}

// MaxAbsDiff returns the largest |t-o| over all elements (shapes must be
// equal), to say how far apart two tensors are when AllClose fails.
func (t *Tensor) MaxAbsDiff(o *Tensor) float32 {
	if !t.shape.Equal(o.shape) {
		panic(shapeErr("max_abs_diff", "", "shapes %v and %v differ", t.shape, o.shape).with(t.shape, o.shape))
	}
	var m float64
	for i, a := range t.data {
		d := math.Abs(float64(a) - float64(o.data[i]))
		if d > m || d != d {
			m = d
		}
	}
	return float32(m)
}
