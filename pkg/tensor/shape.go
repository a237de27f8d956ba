package tensor

// Shape operations. Reshape, Slice and Row return views that share the
// input's buffer (the storage is always contiguous, so they are free);
// Stack and Cat copy.

// Reshape returns a view of t with a new shape holding the same number of
// elements; one dimension may be -1 and is then inferred.
//
//	out = a viewed as shape;  ∂a = g viewed as a's shape
func (t *Tensor) Reshape(shape ...int) *Tensor {
	s := make([]int, len(shape))
	copy(s, shape)
	infer, known := -1, 1
	for i, d := range s {
		switch {
		case d == -1 && infer < 0:
			infer = i
		case d < 0:
			panicf("reshape: invalid shape %v for a tensor of shape %v", Shape(shape), t.shape)
		default:
			known *= d
		}
	}
	if infer >= 0 {
		if known == 0 || len(t.data)%known != 0 {
			panicf("reshape: shape %v is invalid for a tensor of shape %v (%d elements)", Shape(shape), t.shape, len(t.data))
		}
		s[infer] = len(t.data) / known
	} else if known != len(t.data) {
		panicf("reshape: shape %v is invalid for a tensor of shape %v (%d elements)", Shape(shape), t.shape, len(t.data))
	}
	out := newTensor(t.data, s, t.dtype)
	if !needs1(t) {
		return out
	}
	return record1(out, func(g []float32) { gradOperand(t, operand{kind: bFull}, 1, g) }, t)
}

// View is Reshape, named as in PyTorch.
func (t *Tensor) View(shape ...int) *Tensor { return t.Reshape(shape...) }

// rowSize is the number of elements in one index of dimension 0.
func (t *Tensor) rowSize(op string) int {
	if len(t.shape) == 0 {
		panicf("%s: a 0-d tensor has no rows", op)
	}
	if t.shape[0] == 0 {
		return 0
	}
	return len(t.data) / t.shape[0]
}

// Slice returns rows [start, end) of dimension 0 as a view, like t[start:end]
// in Python; end is clipped to Len as Python does.
//
//	out = a[start:end];  ∂a[start:end] += g
func (t *Tensor) Slice(start, end int) *Tensor {
	rs := t.rowSize("slice")
	end = min(end, t.shape[0])
	if start < 0 || start > end {
		panicf("slice: rows [%d:%d) out of range for shape %v", start, end, t.shape)
	}
	shape := append([]int{end - start}, t.shape[1:]...)
	out := newTensor(t.data[start*rs:end*rs:end*rs], shape, t.dtype)
	if !needs1(t) {
		return out
	}
	return record1(out, func(g []float32) {
		addTo(t.gradAcc()[start*rs:end*rs], g)
	}, t)
}

// Row returns index i of dimension 0 as a view with one dimension fewer,
// like t[i] in Python (negative i counts from the end).
//
//	out = a[i];  ∂a[i] += g
func (t *Tensor) Row(i int) *Tensor {
	rs := t.rowSize("row")
	if i < 0 {
		i += t.shape[0]
	}
	if i < 0 || i >= t.shape[0] {
		panicf("row: index %d out of range for shape %v", i, t.shape)
	}
	out := newTensor(t.data[i*rs:(i+1)*rs:(i+1)*rs], t.shape[1:], t.dtype)
	if !needs1(t) {
		return out
	}
	return record1(out, func(g []float32) {
		addTo(t.gradAcc()[i*rs:(i+1)*rs], g)
	}, t)
}

// Stack joins tensors of equal shape along a new dimension 0 (a copy); the
// collate step of a data loader.
//
//	out[i] = tsᵢ;  ∂tsᵢ = g[i]
func Stack(ts []*Tensor) *Tensor {
	if len(ts) == 0 {
		panicf("stack: no tensors")
	}
	s0 := ts[0].shape
	n := len(ts[0].data)
	dt := ts[0].dtype
	need := false
	for i, t := range ts {
		if !t.shape.Equal(s0) {
			panicf("stack: tensor %d has shape %v, tensor 0 has %v", i, t.shape, s0)
		}
		if t.dtype != dt {
			dt = Float32
		}
		need = need || t.requiresGrad
	}
	out := newTensor(make([]float32, n*len(ts)), append([]int{len(ts)}, s0...), dt)
	for i, t := range ts {
		copy(out.data[i*n:], t.data)
	}
	if !need || !GradEnabled() {
		return out
	}
	return recordN(out, func(g []float32) {
		for i, t := range ts {
			t.AccumulateGrad(g[i*n : (i+1)*n])
		}
	}, ts)
}

// Cat joins tensors along an existing dimension dim (a copy); all other
// dimensions must agree.
//
//	out = [ts₀ ts₁ …] along dim;  ∂tsᵢ = its block of g
func Cat(ts []*Tensor, dim int) *Tensor {
	if len(ts) == 0 {
		panicf("cat: no tensors")
	}
	s0 := ts[0].shape
	d, outer, _, inner := ts[0].split("cat", dim)
	total := 0
	dt := ts[0].dtype
	need := false
	for i, t := range ts {
		ok := len(t.shape) == len(s0)
		for j := 0; ok && j < len(s0); j++ {
			ok = j == d || t.shape[j] == s0[j]
		}
		if !ok {
			panicf("cat: tensor %d has shape %v, tensor 0 has %v (only dimension %d may differ)", i, t.shape, s0, d)
		}
		total += t.shape[d]
		if t.dtype != dt {
			dt = Float32
		}
		need = need || t.requiresGrad
	}
	shape := append([]int(nil), s0...)
	shape[d] = total
	out := newTensor(make([]float32, outer*total*inner), shape, dt)
	// Each input contributes a block of shape[d]*inner per outer index.
	row := total * inner
	off := 0
	for _, t := range ts {
		w := t.shape[d] * inner
		for o := 0; o < outer; o++ {
			copy(out.data[o*row+off:o*row+off+w], t.data[o*w:(o+1)*w])
		}
		off += w
	}
	if !need || !GradEnabled() {
		return out
	}
	return recordN(out, func(g []float32) {
		off := 0
		for _, t := range ts {
			w := t.shape[d] * inner
			if t.requiresGrad {
				ga := t.gradAcc()
				for o := 0; o < outer; o++ {
					addTo(ga[o*w:(o+1)*w], g[o*row+off:o*row+off+w])
				}
			}
			off += w
		}
	}, ts)
}
