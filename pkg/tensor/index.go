package tensor

import "fmt"

// Integer-array indexing: selecting rows by a list of indices (a data
// loader's batch) and picking one element per row (x[range(n), target]).

// checkIndex converts an index value into dimension dim of shape to int,
// panicking with an IndexError when it is not an integer in [0, n)
// (negative values count from the end).
func checkIndex(op string, v float32, dim int, shape Shape) int {
	n := shape[dim]
	i := int(v)
	if float32(i) != v {
		e := indexErr(op, i, dim, shape)
		e.msg = fmt.Sprintf("index %v is not an integer: indices must be whole numbers (an Int tensor)", v)
		panic(e)
	}
	if i < 0 {
		i += n
	}
	if i < 0 || i >= n {
		panic(indexErr(op, int(v), dim, shape))
	}
	return i
}

// IndexSelect returns the rows of t (dimension 0) listed in the Int tensor
// idx, like t[idx] in PyTorch: the result has shape idx.Shape() followed by
// t's remaining dimensions. Rows are copied.
//
//	out[k] = a[idx[k]];  ∂a[idx[k]] += g[k]
func (t *Tensor) IndexSelect(idx *Tensor) *Tensor {
	rs := t.rowSize("index_select")
	rows := make([]int32, len(idx.data))
	for k, v := range idx.data {
		rows[k] = int32(checkIndex("index_select", v, 0, t.shape))
	}
	shape := append(append([]int(nil), idx.shape...), t.shape[1:]...)
	out := newTensor(make([]float32, len(rows)*rs), shape, t.dtype)
	gatherRows(out.data, t.data, rows, rs)
	if !needsGrad(t) {
		return out
	}
	return record(out, "IndexSelectBackward0", func(g []float32) {
		ga := t.gradAcc()
		for k, r := range rows {
			addTo(ga[int(r)*rs:(int(r)+1)*rs], g[k*rs:(k+1)*rs])
		}
	}, t)
}

// IndexSelectInto is IndexSelect for data loaders that recycle their
// batches: it gathers the rows of t at idx into dst's storage when its
// capacity suffices (as append reuses a slice's array; dst may be nil) and
// returns a tensor of t's dtype over that storage, with shape
// [len(idx), t's other dimensions...]. dst's values are overwritten, so dst
// must no longer be in use. A batch of data is an input of the model, never
// a parameter, so t must not require grad and nothing is recorded.
func (t *Tensor) IndexSelectInto(dst *Tensor, idx []int) *Tensor {
	const op = "index_select_into"
	if t.requiresGrad {
		panic(NewUsageError(op, "the tensor (shape %v) requires grad; IndexSelect records the gather", t.shape))
	}
	rs := t.rowSize(op)
	rows := make([]int32, len(idx))
	for k, v := range idx {
		rows[k] = int32(checkIndex(op, float32(v), 0, t.shape))
	}
	need := len(rows) * rs
	var buf []float32
	if dst != nil && cap(dst.data) >= need {
		buf = dst.data[:need]
	} else {
		buf = make([]float32, need)
	}
	var shapeBuf [8]int
	shape := append(append(shapeBuf[:0], len(idx)), t.shape[1:]...)
	out := newTensor(buf, shape, t.dtype)
	gatherRows(out.data, t.data, rows, rs)
	return out
}

// gatherRows copies the rows listed in rows (of size rs, from src) into dst
// in order. Rows sit anywhere in a large dataset, so the copy waits on
// memory; a batch of 512 MNIST images is copied on all cores.
func gatherRows(dst, src []float32, rows []int32, rs int) {
	if len(rows)*rs < parallelMin { // no closure for the common small batch
		copyRows(dst, src, rows, rs, 0)
		return
	}
	parallelItems(len(rows), rs, func(lo, hi int) { copyRows(dst, src, rows[lo:hi], rs, lo) })
}

// copyRows copies the rows listed in rows (of size rs, from src) into dst,
// starting at row `at` of dst.
func copyRows(dst, src []float32, rows []int32, rs, at int) {
	for k, r := range rows {
		k += at
		copy(dst[k*rs:(k+1)*rs], src[int(r)*rs:(int(r)+1)*rs])
	}
}

// Index returns t[rows[k], cols[k]] for each k of the Int tensors rows and
// cols (same number of elements; the result has rows' shape): PyTorch's
// advanced indexing t[rows, cols], the lesson's sm_pred[range(n), target].
// t must be 2-D.
//
//	out[k] = a[rₖ, cₖ];  ∂a[rₖ, cₖ] += g[k]
func (t *Tensor) Index(rows, cols *Tensor) *Tensor {
	if len(t.shape) != 2 {
		panic(shapeErr("index", "", "indexing t[rows, cols] needs a 2-D tensor, got shape %v", t.shape).with(t.shape, rows.shape, cols.shape))
	}
	if len(rows.data) != len(cols.data) {
		panic(shapeErr("index", "", "shape mismatch: indexing tensors could not be broadcast together with shapes %v, %v", rows.shape, cols.shape).with(t.shape, rows.shape, cols.shape))
	}
	nc := t.shape[1]
	offs := make([]int32, len(rows.data))
	for k := range offs {
		r := checkIndex("index", rows.data[k], 0, t.shape)
		c := checkIndex("index", cols.data[k], 1, t.shape)
		offs[k] = int32(r*nc + c)
	}
	out := newTensor(make([]float32, len(offs)), rows.shape, t.dtype)
	for k, o := range offs {
		out.data[k] = t.data[o]
	}
	if !needsGrad(t) {
		return out
	}
	return record(out, "IndexBackward0", func(g []float32) {
		da := t.gradAcc()
		for k, o := range offs {
			da[o] += g[k]
		}
	}, t)
}
