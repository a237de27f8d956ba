package tensor

import (
	"fmt"
	"sync"
	"sync/atomic"
)

// noGradDepth counts active NoGrad scopes. It is atomic so that a data
// loader goroutine reading GradEnabled never races with the training loop;
// the scope itself is process-wide (see NoGrad).
var noGradDepth atomic.Int32

// NoGrad runs f with gradient recording turned off: operations inside build
// no graph, exactly like PyTorch's `with torch.no_grad():`. Optimizers update
// parameters in place inside it. Scopes nest. The switch is process-wide, not
// per goroutine: notebooks and training loops run their model on one
// goroutine, and tensors built on other goroutines (batch gathering) need no
// gradient anyway.
func NoGrad(f func()) {
	noGradDepth.Add(1)
	defer noGradDepth.Add(-1)
	f()
}

// GradEnabled reports whether operations currently record the graph (false
// inside NoGrad).
func GradEnabled() bool { return noGradDepth.Load() == 0 }

// RequiresGrad reports whether gradients flow to t: a leaf marked with
// SetRequiresGrad, or the result of an operation on such tensors.
func (t *Tensor) RequiresGrad() bool { return t.requiresGrad }

// SetRequiresGrad marks a leaf tensor as a parameter whose gradient Backward
// should compute, and returns t (so it chains after a constructor). Int
// tensors cannot require gradients.
func (t *Tensor) SetRequiresGrad(on bool) *Tensor {
	if t.backward != nil {
		panic(fmt.Sprintf("tensor: SetRequiresGrad: tensor of shape %v is the result of an operation, not a leaf; use Detach first", t.shape))
	}
	if on && t.dtype == Int {
		panic(fmt.Sprintf("tensor: SetRequiresGrad: Int tensor of shape %v cannot require gradients (use Float)", t.shape))
	}
	t.requiresGrad = on
	return t
}

// IsLeaf reports whether t was created directly rather than by a recorded
// operation.
func (t *Tensor) IsLeaf() bool { return t.backward == nil }

// Grad returns the accumulated gradient of t, with t's shape, or nil if no
// backward pass has reached t. The returned tensor shares the gradient
// buffer: later Backward calls add into it.
//
// Only leaves keep their gradient: Backward releases the gradient buffers of
// intermediate results (as PyTorch does unless retain_grad is used).
func (t *Tensor) Grad() *Tensor {
	if t.grad == nil {
		return nil
	}
	if !t.gradOK {
		clear(t.grad)
		t.gradOK = true
	}
	if t.gradT == nil || len(t.grad) == 0 || &t.gradT.data[0] != &t.grad[0] {
		t.gradT = newTensor(t.grad, t.shape, Float32)
	}
	return t.gradT
}

// ZeroGrad resets t's gradient to zero. It keeps the buffer but clears it
// lazily: the next backward pass overwrites it instead of adding, which
// saves a pass over memory per parameter and step. A tensor obtained from
// Grad before ZeroGrad must be fetched again to read the zeros.
func (t *Tensor) ZeroGrad() {
	t.gradOK = false
}

// AccumulateGrad adds g (t's shape, flattened) into t's gradient buffer,
// allocating it on first use. It does nothing if t does not require
// gradients, so custom backward functions (see NewOp) may call it
// unconditionally.
func (t *Tensor) AccumulateGrad(g []float32) {
	if !t.requiresGrad {
		return
	}
	if len(g) != len(t.data) {
		panic(fmt.Sprintf("tensor: AccumulateGrad: gradient of %d values for a tensor of shape %v", len(g), t.shape))
	}
	dst, ok := t.gradBuf()
	if ok {
		addTo(dst, g)
	} else {
		copy(dst, g)
	}
}

// gradBuf returns t's gradient buffer, allocating it if needed, and whether
// it holds valid values. If ok is false the caller must overwrite every
// element. Either way the buffer counts as valid afterwards.
func (t *Tensor) gradBuf() (g []float32, ok bool) {
	if t.grad == nil {
		if t.backward == nil {
			t.grad = make([]float32, len(t.data)) // leaves keep theirs
		} else {
			t.grad = getBuf(len(t.data))
		}
		t.gradOK = false
	}
	ok = t.gradOK
	t.gradOK = true
	return t.grad, ok
}

// gradAcc returns t's gradient buffer ready for adding into (cleared if it
// held stale values).
func (t *Tensor) gradAcc() []float32 {
	g, ok := t.gradBuf()
	if !ok {
		clear(g)
	}
	return g
}

// needs1 reports whether an op on a must record a graph.
func needs1(a *Tensor) bool { return a.requiresGrad && noGradDepth.Load() == 0 }

// needs2 reports whether an op on a and b must record a graph.
func needs2(a, b *Tensor) bool {
	return (a.requiresGrad || b.requiresGrad) && noGradDepth.Load() == 0
}

// record1 attaches the backward closure of a unary op to out.
func record1(out *Tensor, back func(g []float32), a *Tensor) *Tensor {
	out.requiresGrad = true
	out.in2[0] = a
	out.inputs = out.in2[:1]
	out.backward = back
	return out
}

// record2 attaches the backward closure of a binary op to out.
func record2(out *Tensor, back func(g []float32), a, b *Tensor) *Tensor {
	out.requiresGrad = true
	out.in2[0], out.in2[1] = a, b
	out.inputs = out.in2[:2]
	out.backward = back
	return out
}

// recordN attaches the backward closure of an op with many inputs to out.
func recordN(out *Tensor, back func(g []float32), ins []*Tensor) *Tensor {
	out.requiresGrad = true
	out.inputs = append([]*Tensor(nil), ins...)
	out.backward = back
	return out
}

// NewOp makes out the result of a custom differentiable operation on inputs,
// for fused kernels written outside this package (pkg/nn's cross entropy).
// Compute out's values first, then call NewOp with a backward function that
// receives the gradient of the loss with respect to out and adds each
// input's gradient with AccumulateGrad. If no input requires gradients, or
// inside NoGrad, nothing is recorded. NewOp returns out.
func NewOp(out *Tensor, backward func(gradOut *Tensor), inputs ...*Tensor) *Tensor {
	need := false
	for _, in := range inputs {
		need = need || in.requiresGrad
	}
	if !need || !GradEnabled() {
		return out
	}
	if out.backward != nil || out.requiresGrad {
		panic(fmt.Sprintf("tensor: NewOp: output of shape %v already belongs to a graph; pass a fresh tensor", out.shape))
	}
	shape := out.shape
	return recordN(out, func(g []float32) { backward(newTensor(g, shape, Float32)) }, inputs)
}

var visitEpoch atomic.Uint64

// Backward computes the gradient of the scalar t with respect to every leaf
// that requires gradients, adding it into their Grad (gradients accumulate
// over calls, as in PyTorch; use ZeroGrad between steps).
//
// Afterwards the graph under t is released: intermediate results drop their
// backward closures and gradient buffers (reused by later passes) and no
// longer require gradients (used again, they are constants), so a second
// Backward through the same graph panics; recompute the forward pass.
func (t *Tensor) Backward() {
	t.checkNotFreed()
	if !t.requiresGrad {
		panic(fmt.Sprintf("tensor: Backward: tensor of shape %v does not require grad (no input had SetRequiresGrad(true), or it was computed inside NoGrad)", t.shape))
	}
	if len(t.data) != 1 {
		panic(fmt.Sprintf("tensor: Backward: tensor of shape %v is not a scalar; use BackwardWith(grad) to give the output gradient", t.shape))
	}
	var one [1]float32
	one[0] = 1
	t.backwardWith(one[:])
}

// BackwardWith is Backward for a non-scalar t: grad is the gradient of the
// final quantity with respect to t and must have t's shape.
func (t *Tensor) BackwardWith(grad *Tensor) {
	t.checkNotFreed()
	if !t.requiresGrad {
		panic(fmt.Sprintf("tensor: BackwardWith: tensor of shape %v does not require grad (no input had SetRequiresGrad(true), or it was computed inside NoGrad)", t.shape))
	}
	if !grad.shape.Equal(t.shape) {
		panic(fmt.Sprintf("tensor: BackwardWith: gradient of shape %v for a tensor of shape %v", grad.shape, t.shape))
	}
	t.backwardWith(grad.data)
}

func (t *Tensor) checkNotFreed() {
	if t.freed {
		panic(fmt.Sprintf("tensor: Backward: the graph under this tensor (shape %v) was already released by an earlier Backward; recompute the forward pass", t.shape))
	}
}

func (t *Tensor) backwardWith(g0 []float32) {
	order := topoSort(t)
	root, ok := t.gradBuf()
	if ok {
		addTo(root, g0)
	} else {
		copy(root, g0)
	}
	for i := len(order) - 1; i >= 0; i-- {
		n := order[i]
		if n.backward != nil && n.grad != nil {
			n.backward(n.grad)
		}
	}
	for _, n := range order {
		if n.backward == nil {
			continue
		}
		if n.grad != nil {
			putBuf(n.grad)
			n.grad, n.gradOK, n.gradT = nil, false, nil
		}
		n.backward = nil
		n.in2 = [2]*Tensor{}
		n.inputs = nil
		n.freed = true
		n.requiresGrad = false // from now on a constant in any new graph
	}
}

// topoSort returns the nodes that require grad reachable from t, each after
// all of its inputs (iterative depth-first search; deep graphs do not grow
// the goroutine stack).
func topoSort(t *Tensor) []*Tensor {
	mark := visitEpoch.Add(1)
	type frame struct {
		n *Tensor
		i int
	}
	order := make([]*Tensor, 0, 16)
	stack := make([]frame, 0, 16)
	t.visit = mark
	stack = append(stack, frame{t, 0})
	for len(stack) > 0 {
		f := &stack[len(stack)-1]
		if f.i < len(f.n.inputs) {
			in := f.n.inputs[f.i]
			f.i++
			if in != nil && in.requiresGrad && in.visit != mark {
				in.visit = mark
				stack = append(stack, frame{in, 0})
			}
			continue
		}
		order = append(order, f.n)
		stack = stack[:len(stack)-1]
	}
	return order
}

// bufPool keeps released gradient and scratch buffers by exact length, so a
// training loop whose shapes repeat every step stops allocating them.
type bufPool struct {
	mu   sync.Mutex
	free map[int][][]float32
}

const poolPerSize = 16 // buffers kept per length; beyond that the GC takes them

var pool = bufPool{free: map[int][][]float32{}}

// getBuf returns a buffer of length n with undefined contents.
func getBuf(n int) []float32 {
	pool.mu.Lock()
	l := pool.free[n]
	if k := len(l); k > 0 {
		b := l[k-1]
		pool.free[n] = l[:k-1]
		pool.mu.Unlock()
		return b
	}
	pool.mu.Unlock()
	return make([]float32, n)
}

// putBuf gives b back to the pool; the caller must not use it afterwards.
func putBuf(b []float32) {
	if len(b) == 0 {
		return
	}
	pool.mu.Lock()
	if l := pool.free[len(b)]; len(l) < poolPerSize {
		pool.free[len(b)] = append(l, b)
	}
	pool.mu.Unlock()
}
