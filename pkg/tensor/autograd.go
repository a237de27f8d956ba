package tensor

import (
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
	if t.op != "" {
		panic(NewUsageError("SetRequiresGrad", "tensor of shape %v (grad_fn=<%s>) is the result of an operation, not a leaf; use Detach first", t.shape, t.op))
	}
	if on && t.dtype == Int {
		panic(NewUsageError("SetRequiresGrad", "Int tensor of shape %v cannot require gradients (use Float)", t.shape))
	}
	t.requiresGrad = on
	return t
}

// IsLeaf reports whether t was created directly rather than by a recorded
// operation (PyTorch's is_leaf). A result stays a non-leaf after Backward
// releases its graph.
func (t *Tensor) IsLeaf() bool { return t.op == "" }

// GradFn returns the PyTorch name of the backward node that made t
// ("AddBackward0", "MmBackward0", "NllLossBackward0", ...), or "" for a leaf
// or a tensor computed without gradient recording. The names follow
// PyTorch 2.x's grad_fn class names; see the package documentation for the
// ops whose name differs.
func (t *Tensor) GradFn() string { return t.op }

// GraphInputs returns the tensors t's op was recorded on, in argument
// order, for walking or drawing the backward graph; nil for a leaf and for
// a node whose graph Backward released. The slice is a copy.
func (t *Tensor) GraphInputs() []*Tensor {
	if len(t.inputs) == 0 {
		return nil
	}
	return append([]*Tensor(nil), t.inputs...)
}

// Grad returns the accumulated gradient of t, with t's shape, or nil if no
// backward pass has reached t. The returned tensor is a view of the
// gradient buffer: it shows every later change (Backward adding into it,
// ZeroGrad clearing it). Reading it changes nothing.
//
// Only leaves keep their gradient: Backward releases the gradient buffers of
// intermediate results (as PyTorch does unless retain_grad is used).
func (t *Tensor) Grad() *Tensor {
	if t.grad == nil {
		return nil
	}
	if t.gradT == nil {
		t.gradT = newTensor(t.grad, t.shape, Float32)
		t.gradT.gradOf = t
	}
	return t.gradT
}

// ZeroGrad sets t's gradient to zero, in place: a view obtained from Grad
// before shows the zeros. Call it (or the optimizer's ZeroGrad) before each
// training step, since Backward adds into the gradient.
func (t *Tensor) ZeroGrad() {
	clear(t.grad)
	t.zeroed++
}

// GradZeroCount returns how many times t's gradient has been zeroed: by
// ZeroGrad, or by Zero or Fill on the view Grad returns. An optimizer can
// tell from it whether the gradients were reset since its last Step (see
// pkg/nn's SGD option CheckZeroGrad).
func (t *Tensor) GradZeroCount() uint64 { return t.zeroed }

// AccumulateGrad adds g (t's shape, flattened) into t's gradient buffer,
// allocating it on first use. It does nothing if t does not require
// gradients, so custom backward functions (see NewOp) may call it
// unconditionally.
func (t *Tensor) AccumulateGrad(g []float32) {
	if !t.requiresGrad {
		return
	}
	if len(g) != len(t.data) {
		panic(shapeErr("AccumulateGrad", "", "a gradient of %d values for a tensor of shape %v (%d elements)", len(g), t.shape, len(t.data)).with(t.shape))
	}
	addTo(t.gradAcc(), g)
}

// gradAcc returns t's gradient buffer for a backward closure to add into,
// allocating it zeroed on first use. Leaves keep theirs for good;
// intermediate results take theirs from the pool and give it back when
// Backward finishes.
func (t *Tensor) gradAcc() []float32 {
	if t.grad == nil {
		if t.op == "" {
			t.grad = make([]float32, len(t.data))
		} else {
			t.grad = getBuf(len(t.data))
			clear(t.grad)
		}
	}
	return t.grad
}

// needsGrad reports whether an op on inputs must record a graph: gradient
// recording is on and some input requires gradients.
func needsGrad(inputs ...*Tensor) bool {
	if noGradDepth.Load() != 0 {
		return false
	}
	for _, x := range inputs {
		if x != nil && x.requiresGrad {
			return true
		}
	}
	return false
}

// record makes out the result of the op named op (its PyTorch backward
// name) on inputs: back receives ∂L/∂out and adds ∂L/∂x into x.gradAcc()
// for every input x that requires gradients (nil inputs are dropped). It
// panics if an input's graph was released by an earlier Backward. It
// returns out.
func record(out *Tensor, op string, back func(g []float32), inputs ...*Tensor) *Tensor {
	n := 0
	for _, x := range inputs {
		if x == nil {
			continue
		}
		if x.released {
			panic(releasedError(op, x))
		}
		n++
	}
	if n <= len(out.in2) {
		out.inputs = out.in2[:0] // unary and binary ops allocate no slice
	} else {
		out.inputs = make([]*Tensor, 0, n)
	}
	for _, x := range inputs {
		if x != nil {
			out.inputs = append(out.inputs, x)
		}
	}
	out.requiresGrad = true
	out.op = op
	out.backward = back
	return out
}

// releasedError is the panic value for using x, whose graph an earlier
// Backward released: recording op on it, or (op "") backward through it.
func releasedError(op string, x *Tensor) *UsageError {
	fix := "Recompute it with a new forward pass, use x.Detach() to reuse its values as a constant, " +
		"or pass tensor.RetainGraph() to the first Backward to keep the graph"
	if op == "" {
		return NewUsageError("backward", "trying to backward through the graph a second time: a tensor in it (shape %v, grad_fn=<%s>) "+
			"was already released by an earlier Backward. %s", x.shape, x.op, fix)
	}
	return NewUsageError("record", "trying to record %s on a tensor (shape %v, grad_fn=<%s>) whose graph was already released by an earlier Backward. %s",
		op, x.shape, x.op, fix)
}

// NewOp makes out the result of a custom differentiable operation named op
// on inputs, for fused kernels written outside this package (pkg/nn's cross
// entropy). Compute out's values first, then call NewOp with the op's
// PyTorch-style backward name (what GradFn and printing show, such as
// "NllLossBackward0") and a backward function that receives the gradient
// of the loss with respect to out and adds each input's gradient with
// AccumulateGrad. If no input requires gradients, or inside NoGrad,
// nothing is recorded. NewOp returns out.
func NewOp(out *Tensor, op string, backward func(gradOut *Tensor), inputs ...*Tensor) *Tensor {
	if !needsGrad(inputs...) {
		return out
	}
	if out.op != "" || out.requiresGrad {
		panic(NewUsageError("NewOp", "%s: output of shape %v already belongs to a graph; pass a fresh tensor", op, out.shape))
	}
	shape := out.shape
	return record(out, op, func(g []float32) {
		// A copy: the caller's function may keep gradOut, and g's
		// storage goes back to the pool after the pass.
		backward(newTensor(append([]float32(nil), g...), shape, Float32))
	}, inputs...)
}

var visitEpoch atomic.Uint64

// BackwardOption changes how Backward runs (see RetainGraph).
type BackwardOption func(*backwardConfig)

type backwardConfig struct{ retain bool }

// RetainGraph keeps the graph after Backward (PyTorch's retain_graph=True),
// so that a second Backward may go through it again or new operations may
// be recorded on its intermediate results. Gradients of intermediate
// results are still released after each pass.
func RetainGraph() BackwardOption { return func(c *backwardConfig) { c.retain = true } }

// Backward computes the gradient of the scalar t with respect to every leaf
// that requires gradients, adding it into their Grad (gradients accumulate
// over calls, as in PyTorch; use ZeroGrad between steps).
//
// Afterwards the graph under t is released: intermediate results drop their
// backward closures and gradient buffers. Their values stay readable (Item,
// Data, printing, and any op under NoGrad), but a second Backward through
// them, or an op recorded on them with gradients on, panics; recompute the
// forward pass, Detach what you want to reuse as a constant, or pass
// RetainGraph() to keep the graph.
func (t *Tensor) Backward(opts ...BackwardOption) {
	t.checkBackward("Backward")
	if len(t.data) != 1 {
		panic(shapeErr("Backward", "use BackwardWith(grad) to give the gradient of a non-scalar output, or reduce it first (Sum, Mean)",
			"grad can be implicitly created only for scalar outputs, got a tensor of shape %v", t.shape).with(t.shape))
	}
	var one [1]float32
	one[0] = 1
	t.backwardWith(one[:], opts)
}

// BackwardWith is Backward for a non-scalar t: grad is the gradient of the
// final quantity with respect to t and must have t's shape.
func (t *Tensor) BackwardWith(grad *Tensor, opts ...BackwardOption) {
	t.checkBackward("BackwardWith")
	if !grad.shape.Equal(t.shape) {
		panic(shapeErr("BackwardWith", "", "gradient of shape %v for a tensor of shape %v", grad.shape, t.shape).with(grad.shape, t.shape))
	}
	t.backwardWith(grad.data, opts)
}

func (t *Tensor) checkBackward(op string) {
	if t.released {
		panic(releasedError("", t))
	}
	if !t.requiresGrad {
		panic(NewUsageError(op, "tensor of shape %v does not require grad and has no grad_fn (no input had SetRequiresGrad(true), or it was computed inside NoGrad)", t.shape))
	}
}

func (t *Tensor) backwardWith(g0 []float32, opts []BackwardOption) {
	var cfg backwardConfig
	for _, o := range opts {
		o(&cfg)
	}
	order := topoSort(t) // panics, changing nothing, if the graph was released
	addTo(t.gradAcc(), g0)
	for i := len(order) - 1; i >= 0; i-- {
		n := order[i]
		if n.backward != nil && n.grad != nil {
			n.backward(n.grad)
		}
	}
	for _, n := range order {
		if n.op == "" {
			continue // leaves keep their gradient
		}
		if n.grad != nil {
			putBuf(n.grad) // nobody outside the engine holds it (NewOp passes a copy)
			n.grad, n.gradT = nil, nil
		}
		if !cfg.retain {
			n.backward = nil
			n.in2 = [2]*Tensor{}
			n.inputs = nil
			n.released = true
		}
	}
}

// topoSort returns the nodes that require grad reachable from t, each after
// all of its inputs (iterative depth-first search; deep graphs do not grow
// the goroutine stack). It panics if the walk reaches a released node.
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
			if in.requiresGrad && in.visit != mark {
				if in.released {
					panic(releasedError("", in))
				}
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
