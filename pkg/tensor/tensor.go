package tensor

import (
	"math"
	"strconv"
	"strings"
)

// DType tags how a tensor's float32 values are meant: as real numbers
// (Float32) or as exact integers (Int). Storage is float32 either way.
type DType uint8

const (
	// Float32 is the default dtype of real-valued tensors.
	Float32 DType = iota
	// Int marks tensors whose values are integers stored exactly in float32
	// (|v| <= 2^24): labels, indices, argmax results. They print as ints.
	Int
)

// String returns "float32" or "int".
func (d DType) String() string {
	if d == Int {
		return "int"
	}
	return "float32"
}

// Shape is the size of each dimension of a tensor, outermost first. It
// prints as [64 10].
type Shape []int

// Numel returns the number of elements of a tensor of this shape (1 for a
// scalar shape []).
func (s Shape) Numel() int {
	n := 1
	for _, d := range s {
		n *= d
	}
	return n
}

// Equal reports whether s and o have the same dimensions.
func (s Shape) Equal(o Shape) bool {
	if len(s) != len(o) {
		return false
	}
	for i := range s {
		if s[i] != o[i] {
			return false
		}
	}
	return true
}

// String formats the shape as [64 10].
func (s Shape) String() string {
	var b strings.Builder
	b.WriteByte('[')
	for i, d := range s {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(strconv.Itoa(d))
	}
	b.WriteByte(']')
	return b.String()
}

// Tensor is an n-dimensional array of float32 values in one contiguous
// row-major buffer, with the bookkeeping of reverse-mode autograd.
//
// A tensor built by an operation on inputs that require gradients records
// the inputs and a backward closure; Backward walks that graph.
type Tensor struct {
	data     []float32
	shape    Shape
	shapeBuf [4]int // backing store for shape, so small shapes cost no allocation
	dtype    DType

	requiresGrad bool
	// grad is the gradient buffer (same length as data), nil until a
	// backward pass reaches this tensor; it always holds the accumulated
	// gradient (ZeroGrad clears it in place).
	grad   []float32
	gradT  *Tensor // the view returned by Grad
	gradOf *Tensor // for that view: the tensor whose gradient it is
	zeroed uint64  // times the gradient was zeroed (GradZeroCount)

	// Autograd graph. op is the PyTorch name of the backward node that made
	// this tensor ("" for a leaf); it stays after Backward releases the
	// graph, which drops inputs and backward and sets released.
	op       string
	inputs   []*Tensor
	in2      [2]*Tensor // backing store for inputs of unary/binary ops
	backward func(g []float32)
	released bool
	visit    uint64 // topological-sort mark
}

// newTensor wraps data (no copy) with a copy of shape.
func newTensor(data []float32, shape []int, dt DType) *Tensor {
	t := &Tensor{data: data, dtype: dt}
	if len(shape) <= len(t.shapeBuf) {
		t.shape = t.shapeBuf[:len(shape)]
	} else {
		t.shape = make(Shape, len(shape))
	}
	copy(t.shape, shape)
	return t
}

// checkShape panics unless shape has non-negative dimensions whose product
// is n.
func checkShape(op string, n int, shape []int) {
	m := 1
	for _, d := range shape {
		if d < 0 {
			panic(shapeErr(op, "", "negative dimension %d in shape %v", d, Shape(shape)).with(Shape(shape)))
		}
		m *= d
	}
	if m != n {
		panic(shapeErr(op, "", "%d values do not fit shape %v (%d elements)", n, Shape(shape), m).with(Shape(shape)))
	}
}

// New wraps data as a Float32 tensor of the given shape, without copying:
// the tensor and the caller share the buffer. With no shape, data becomes a
// 1-D tensor. It panics if len(data) does not match the shape.
func New(data []float32, shape ...int) *Tensor {
	if len(shape) == 0 {
		shape = []int{len(data)}
	}
	checkShape("New", len(data), shape)
	return newTensor(data, shape, Float32)
}

// FromInts copies integer values into an Int tensor of the given shape (1-D
// when no shape is given). Values must satisfy |v| <= 2^24 to be exact.
func FromInts(data []int, shape ...int) *Tensor {
	if len(shape) == 0 {
		shape = []int{len(data)}
	}
	checkShape("FromInts", len(data), shape)
	f := make([]float32, len(data))
	for i, v := range data {
		if v > 1<<24 || v < -(1<<24) {
			panic(NewUsageError("FromInts", "value %d at index %d is not exact in float32 (|v| > 2^24)", v, i))
		}
		f[i] = float32(v)
	}
	return newTensor(f, shape, Int)
}

// Scalar returns a 0-dimensional Float32 tensor holding v.
func Scalar(v float32) *Tensor {
	return newTensor([]float32{v}, nil, Float32)
}

// Zeros returns a Float32 tensor of zeros.
func Zeros(shape ...int) *Tensor {
	return newTensor(make([]float32, Shape(shape).Numel()), shape, Float32)
}

// Ones returns a Float32 tensor of ones.
func Ones(shape ...int) *Tensor { return Full(1, shape...) }

// Full returns a Float32 tensor filled with v.
func Full(v float32, shape ...int) *Tensor {
	t := Zeros(shape...)
	for i := range t.data {
		t.data[i] = v
	}
	return t
}

// Arange returns the Int tensor [0, 1, ..., n-1].
func Arange(n int) *Tensor {
	if n < 0 {
		panic(NewUsageError("Arange", "negative length %d", n))
	}
	t := newTensor(make([]float32, n), []int{n}, Int)
	for i := range t.data {
		t.data[i] = float32(i)
	}
	return t
}

// ArangeF returns the Float32 tensor start, start+step, ... up to but not
// including end, like torch.arange with float arguments.
func ArangeF(start, end, step float32) *Tensor {
	if step == 0 {
		panic(NewUsageError("ArangeF", "step must not be zero"))
	}
	n := int(math.Ceil(float64((end - start) / step)))
	if n < 0 {
		n = 0
	}
	t := Zeros(n)
	for i := range t.data {
		t.data[i] = start + float32(i)*step
	}
	return t
}

// Linspace returns n evenly spaced Float32 values from start to end
// inclusive.
func Linspace(start, end float32, n int) *Tensor {
	if n < 0 {
		panic(NewUsageError("Linspace", "negative length %d", n))
	}
	t := Zeros(n)
	if n == 1 {
		t.data[0] = start
		return t
	}
	step := (float64(end) - float64(start)) / float64(n-1)
	for i := range t.data {
		t.data[i] = float32(float64(start) + float64(i)*step)
	}
	if n > 0 {
		t.data[n-1] = end
	}
	return t
}

// Shape returns the tensor's dimensions. The slice must not be modified.
func (t *Tensor) Shape() Shape { return t.shape }

// Dim returns the number of dimensions (0 for a scalar).
func (t *Tensor) Dim() int { return len(t.shape) }

// Len returns the size of dimension 0, like Python's len(t). It panics on a
// scalar.
func (t *Tensor) Len() int {
	if len(t.shape) == 0 {
		panic(shapeErr("Len", "", "len() of a 0-d tensor").with(t.shape))
	}
	return t.shape[0]
}

// Numel returns the number of elements.
func (t *Tensor) Numel() int { return len(t.data) }

// Data returns the live element buffer (row-major). Writing to it changes the
// tensor; do so only under NoGrad or on tensors outside any graph.
func (t *Tensor) Data() []float32 { return t.data }

// DType returns Float32 or Int.
func (t *Tensor) DType() DType { return t.dtype }

// Item returns the only value of a one-element tensor.
func (t *Tensor) Item() float32 {
	if len(t.data) != 1 {
		panic(shapeErr("Item", "", "a tensor with %d elements (shape %v) cannot be converted to a scalar", len(t.data), t.shape).with(t.shape))
	}
	return t.data[0]
}

// Ints returns the values converted to int (rounded toward zero).
func (t *Tensor) Ints() []int {
	out := make([]int, len(t.data))
	for i, v := range t.data {
		out[i] = int(v)
	}
	return out
}

// offset returns the flat index of idx, panicking on a bad index.
func (t *Tensor) offset(op string, idx []int) int {
	if len(idx) != len(t.shape) {
		panic(shapeErr(op, "", "%d indices for a tensor of shape %v (%d dimensions)", len(idx), t.shape, len(t.shape)).with(t.shape))
	}
	off := 0
	for i, x := range idx {
		d := t.shape[i]
		if x < 0 {
			x += d
		}
		if x < 0 || x >= d {
			panic(indexErr(op, idx[i], i, t.shape))
		}
		off = off*d + x
	}
	return off
}

// At returns the element at idx (negative indices count from the end).
func (t *Tensor) At(idx ...int) float32 { return t.data[t.offset("At", idx)] }

// Set stores v at idx. Like writing to Data, it is meant for tensors outside
// any graph.
func (t *Tensor) Set(v float32, idx ...int) { t.data[t.offset("Set", idx)] = v }

// Clone returns a copy of t's values (no graph, no gradient).
func (t *Tensor) Clone() *Tensor {
	d := make([]float32, len(t.data))
	copy(d, t.data)
	return newTensor(d, t.shape, t.dtype)
}

// Detach returns a tensor sharing t's data that is outside the graph: no
// gradient flows through it.
func (t *Tensor) Detach() *Tensor { return newTensor(t.data, t.shape, t.dtype) }

// Float returns a Float32 copy of t (useful for Int labels).
func (t *Tensor) Float() *Tensor {
	c := t.Clone()
	c.dtype = Float32
	return c
}

// AsInt returns an Int copy of t with values truncated toward zero.
func (t *Tensor) AsInt() *Tensor {
	c := t.Clone()
	for i, v := range c.data {
		c.data[i] = float32(math.Trunc(float64(v)))
	}
	c.dtype = Int
	return c
}

// IsInt reports whether t has the Int dtype.
func (t *Tensor) IsInt() bool { return t.dtype == Int }

// Fill sets every element to v in place (not recorded by autograd), like
// PyTorch's fill_; Zero is Fill(0), the zero_() of lesson 03's manual loop
// (p.Grad().Zero()).
func (t *Tensor) Fill(v float32) *Tensor {
	for i := range t.data {
		t.data[i] = v
	}
	if t.gradOf != nil {
		t.gradOf.zeroed++ // p.Grad().Zero() resets p's gradient as ZeroGrad does
	}
	return t
}

// Zero sets every element to 0 in place (not recorded by autograd).
func (t *Tensor) Zero() *Tensor { return t.Fill(0) }

// AddInPlace adds alpha·o to t's values in place and returns t, PyTorch's
// t.add_(o, alpha=alpha): the update p −= lr·grad of an optimizer is
// p.AddInPlace(p.Grad(), -lr). o must have t's shape. Like any in-place
// change of a tensor that requires grad it is allowed only inside NoGrad,
// where it is not recorded.
func (t *Tensor) AddInPlace(o *Tensor, alpha float32) *Tensor {
	if !t.shape.Equal(o.shape) {
		panic(shapeErr("add_", "", "shape %v of the added tensor does not match the tensor's %v", o.shape, t.shape).with(t.shape, o.shape))
	}
	if t.requiresGrad && GradEnabled() {
		panic(NewUsageError("add_", "a tensor of shape %v that requires grad is being used in an in-place operation; do it inside tensor.NoGrad", t.shape))
	}
	axpy(t.data, alpha, o.data)
	return t
}
