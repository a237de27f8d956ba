package tensor

// Shape operations. Reshape, Slice and Row return views that share the
// input's buffer (the storage is always contiguous, so they are free);
// Stack and Cat copy.

// Reshape returns a view of t with a new shape holding the same number of
// elements; one dimension may be -1 and is then inferred.
//
//	out = a viewed as shape;  ∂a += g viewed as a's shape
func (t *Tensor) Reshape(shape ...int) *Tensor {
	s := make([]int, len(shape))
	copy(s, shape)
	infer, known := -1, 1
	for i, d := range s {
		switch {
		case d == -1 && infer < 0:
			infer = i
		case d == -1:
			panic(shapeErr("reshape", "", "only one dimension can be inferred (-1), got shape %s", pyShape(shape)).with(t.shape, Shape(shape)))
		case d < 0:
			panic(shapeErr("reshape", "", "invalid shape dimension %d in shape %s", d, pyShape(shape)).with(t.shape, Shape(shape)))
		default:
			known *= d
		}
	}
	if infer >= 0 {
		if known == 0 || len(t.data)%known != 0 {
			panic(reshapeError(t.shape, shape))
		}
		s[infer] = len(t.data) / known
	} else if known != len(t.data) {
		panic(reshapeError(t.shape, shape))
	}
	out := newTensor(t.data, s, t.dtype)
	if !needsGrad(t) {
		return out
	}
	return record(out, "ViewBackward0", func(g []float32) { gradSumTo(t, same, 1, g) }, t)
}

// reshapeError is PyTorch's message for a shape that does not hold the
// tensor's elements.
func reshapeError(from Shape, to []int) *ShapeError {
	return shapeErr("reshape", "", "shape %s is invalid for input of size %d (shape %v)", pyShape(to), from.Numel(), from).with(from, Shape(to))
}

// View is Reshape, named as in PyTorch.
func (t *Tensor) View(shape ...int) *Tensor { return t.Reshape(shape...) }

// rowSize is the number of elements in one index of dimension 0.
func (t *Tensor) rowSize(op string) int {
	if len(t.shape) == 0 {
		panic(shapeErr(op, "", "a 0-d tensor has no rows").with(t.shape))
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
		panic(indexErr("slice", start, 0, t.shape))
	}
	shape := append([]int{end - start}, t.shape[1:]...)
	out := newTensor(t.data[start*rs:end*rs:end*rs], shape, t.dtype)
	if !needsGrad(t) {
		return out
	}
	return record(out, "SliceBackward0", func(g []float32) {
		addTo(t.gradAcc()[start*rs:end*rs], g)
	}, t)
}

// Row returns index i of dimension 0 as a view with one dimension fewer,
// like t[i] in Python (negative i counts from the end).
//
//	out = a[i];  ∂a[i] += g
func (t *Tensor) Row(i int) *Tensor {
	rs := t.rowSize("row")
	given := i
	if i < 0 {
		i += t.shape[0]
	}
	if i < 0 || i >= t.shape[0] {
		panic(indexErr("select", given, 0, t.shape))
	}
	out := newTensor(t.data[i*rs:(i+1)*rs:(i+1)*rs], t.shape[1:], t.dtype)
	if !needsGrad(t) {
		return out
	}
	return record(out, "SelectBackward0", func(g []float32) {
		addTo(t.gradAcc()[i*rs:(i+1)*rs], g)
	}, t)
}

// Stack joins tensors of equal shape along a new dimension 0 (a copy); the
// collate step of a data loader.
//
//	out[i] = tsᵢ;  ∂tsᵢ += g[i]
func Stack(ts []*Tensor) *Tensor {
	if len(ts) == 0 {
		panic(shapeErr("stack", "", "expected a non-empty list of tensors"))
	}
	s0 := ts[0].shape
	n := len(ts[0].data)
	dt := ts[0].dtype
	for i, t := range ts {
		if !t.shape.Equal(s0) {
			panic(shapeErr("stack", "", "stack expects each tensor to be equal size, but got %s at entry 0 and %s at entry %d", pyShape(s0), pyShape(t.shape), i).with(s0, t.shape))
		}
		if t.dtype != dt {
			dt = Float32
		}
	}
	out := newTensor(make([]float32, n*len(ts)), append([]int{len(ts)}, s0...), dt)
	for i, t := range ts {
		copy(out.data[i*n:], t.data)
	}
	if !needsGrad(ts...) {
		return out
	}
	return record(out, "StackBackward0", func(g []float32) {
		for i, t := range ts {
			if t.requiresGrad {
				addTo(t.gradAcc(), g[i*n:(i+1)*n])
			}
		}
	}, ts...)
}

// Cat joins tensors along an existing dimension dim (a copy); all other
// dimensions must agree.
//
//	out = [ts₀ ts₁ …] along dim;  ∂tsᵢ += its block of g
func Cat(ts []*Tensor, dim int) *Tensor {
	if len(ts) == 0 {
		panic(shapeErr("cat", "", "expected a non-empty list of tensors"))
	}
	s0 := ts[0].shape
	d, outer, _, inner := ts[0].split("cat", dim)
	total := 0
	dt := ts[0].dtype
	for i, t := range ts {
		ok := len(t.shape) == len(s0)
		for j := 0; ok && j < len(s0); j++ {
			ok = j == d || t.shape[j] == s0[j]
		}
		if !ok {
			panic(shapeErr("cat", "", "sizes of tensors must match except in dimension %d: tensor 0 has shape %v, tensor %d has %v", d, s0, i, t.shape).with(s0, t.shape))
		}
		total += t.shape[d]
		if t.dtype != dt {
			dt = Float32
		}
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
	if !needsGrad(ts...) {
		return out
	}
	return record(out, "CatBackward0", func(g []float32) {
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
	}, ts...)
}
