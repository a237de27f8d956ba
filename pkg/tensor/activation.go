package tensor

// LeakyRelu returns x where x > 0 and slope·x elsewhere (PyTorch's
// F.leaky_relu(x, negative_slope)), the activation whose gain lesson 9's
// Kaiming initialisation accounts for.
//
//	out = a if a > 0 else slope·a;  ∂a += g if a > 0 else slope·g
func (t *Tensor) LeakyRelu(slope float32) *Tensor {
	out := unaryOut(t, Float32)
	x, y := t.data, out.data
	for i, a := range x {
		if a > 0 {
			y[i] = a
		} else {
			y[i] = slope * a
		}
	}
	if !needsGrad(t) {
		return out
	}
	return record(out, "LeakyReluBackward0", func(g []float32) {
		dst := t.gradAcc()
		for i, a := range x {
			if a > 0 {
				dst[i] += g[i]
			} else {
				dst[i] += slope * g[i]
			}
		}
	}, t)
}
