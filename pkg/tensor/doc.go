// Package tensor provides float32 n-dimensional tensors with reverse-mode
// automatic differentiation: the role torch.Tensor plays in fast.ai's
// "Deep Learning from the Foundations" lessons.
//
// # Storage and dtypes
//
// A Tensor is one contiguous row-major []float32 and a Shape. Views
// (Reshape, Slice, Row, Detach) share that buffer; everything else copies.
// Because storage is always contiguous, every kernel is a plain loop over
// slices or one BLAS call: no strides, no per-element interface calls.
//
// Labels and indices need integers (y.Max()+1, x[range(n), target],
// comparing predictions with labels). Instead of a second element type or
// generics, a tensor carries a DType tag: Float32 or Int. An Int tensor
// stores integers exactly in float32 (every integer with |v| <= 2^24 is
// exact, far beyond any class count or dataset size of the course). One
// storage type keeps a single code path per operation and lets the tag
// decide only what matters to a user: Int tensors print as integers, are
// accepted as indices, and cannot require gradients. Operations on two Int
// tensors stay Int where PyTorch's would (Add, Sub, Mul, Sum, Max, Neg);
// Div, Mean, Exp, Log... give Float32.
//
// # Autograd
//
// Every differentiable operation builds its result and, right beside it,
// a closure that receives g = ∂L/∂out and adds ∂L/∂input into each input's
// gradient (micrograd's self.grad += other.data * out.grad). There is one
// rule and no exception: a backward adds, it never overwrites. So gradients
// accumulate over Backward calls as in PyTorch, ZeroGrad clears them in
// place (a view from Grad shows the zeros at once), and Grad only reads.
// Backward sorts the graph topologically and runs the closures in reverse.
//
// After Backward the graph is released: intermediate results drop their
// closures and inputs, and their gradient buffers go back to a size-keyed
// free list that only the engine can reach, so the training loop reuses
// the same buffers every step; leaves (parameters) keep their gradients.
// A released result keeps its values: Item, Data, printing and any op
// under NoGrad work as before. But a second Backward through it, or an op
// recorded on it with gradients on, panics, as PyTorch's "Trying to
// backward through the graph a second time" does: recompute the forward
// pass, Detach the tensor to reuse its values as a constant, or pass
// RetainGraph() to the first Backward to keep the graph.
//
// NoGrad disables recording, for evaluation and for in-place optimizer
// updates (AddInPlace); it is one process-wide switch (an atomic
// counter, so nesting works and reading it from other goroutines is safe),
// which suits notebooks and training loops that drive the model from one
// goroutine. Tensors may be created and read on any goroutine, but one
// graph must be built and differentiated on one goroutine at a time (two
// concurrent Backward passes into the same parameters would race on their
// gradients). Custom fused operations (pkg/nn's cross entropy) use NewOp
// and AccumulateGrad.
//
// # Graph nodes and their names
//
// Every result of a recorded op knows the op: GradFn returns the name of
// its backward node and GraphInputs the tensors it was computed from, which
// is all a drawing of the graph needs; printing shows the name as PyTorch
// does, tensor(2.3086, grad_fn=<NllLossBackward0>). The names are PyTorch
// 2.x's grad_fn class names for the same operation:
//
//	Add, Sub, Mul, Div               AddBackward0, SubBackward0, MulBackward0, DivBackward0
//	AddScalar, SubScalar, MulScalar  AddBackward1, SubBackward1, MulBackward1 (PyTorch's
//	DivScalar                        overloads with a number), DivBackward1
//	Neg, Exp, Log, Sqrt, Pow         NegBackward0, ExpBackward0, LogBackward0, SqrtBackward0, PowBackward0
//	Relu, ClampMin                   ReluBackward0, ClampMinBackward0
//	MatMul                           MmBackward0
//	Linear(x, w, b)                  AddmmBackward0 (MmBackward0 without b)
//	T                                TBackward0
//	Sum, Mean, Max                   SumBackward0, MeanBackward0, MaxBackward1
//	SumDim, MeanDim, MaxDim          SumBackward1, MeanBackward1, MaxBackward0
//	LogSumExp                        LogsumexpBackward0
//	IndexSelect, Index               IndexSelectBackward0, IndexBackward0
//	Reshape/View, Slice, Row         ViewBackward0, SliceBackward0, SelectBackward0
//	Stack, Cat                       StackBackward0, CatBackward0
//	pkg/nn: LogSoftmax, NLL, MSE     LogSoftmaxBackward0, NllLossBackward0, MseLossBackward0
//	pkg/nn: CrossEntropy             NllLossBackward0
//
// The graphs differ where this package fuses: PyTorch's F.linear(x, w, b)
// records AddmmBackward0 with a TBackward0 node for wᵀ before w, while
// Linear is one node on w itself; CrossEntropy is one node, named after
// the output node of PyTorch's cross_entropy (NllLossBackward0), on the
// logits directly, where PyTorch has a LogSoftmaxBackward0 node in
// between. PyTorch 1.x printed the same names without the trailing digit
// (NllLossBackward).
//
// Broadcasting follows NumPy: shapes align at the last dimension and sizes
// of 1 stretch. The gradient of a broadcast operand is summed back to its
// shape.
//
// # Speed
//
// MatMul and Linear (x·wᵀ + b, fused, with a transposed-B Sgemm) call
// gonum's blas32 interface. By default that is gonum's pure-Go BLAS, which
// builds everywhere. Built with -tags openblas (Debian's libopenblas-dev,
// the default that scripts/blas-tag picks) or -tags blis (libblis-dev), the
// package links that one library through gonum.org/v1/netlib's CBLAS
// binding (blas_openblas.go, blas_blis.go). Every library call runs on one
// thread; products of at least 8M multiply-adds (4M when the operands and
// the result hold at least 256K values) are split over the CPUs by the
// package (blas_cgo.go), on helper threads that no barrier ties together
// (blas_split.go; goroutines while another product holds them), so
// products from different goroutines run at once and no process-wide
// setting changes. The split
// depends on the shape only, so runs with the same seed give the same
// numbers; SetBLASThreads(n) caps it, and SetBLASThreads(1) makes every
// product single-threaded. Debian's OpenBLAS 0.3.21 does not recognise
// some recent CPUs and falls back to slow Prescott kernels; set
// OPENBLAS_CORETYPE (SkylakeX for AVX-512, Haswell for AVX2) in the
// environment before the process starts. BLASInfo reports the library and
// kernels in use.
//
// Around the matrix products, the engine avoids work and garbage where
// no user can see it: the gradient buffers of intermediate results come
// from the free list and go back to it after Backward (NewOp hands its
// function a copy, so no user code holds one); nothing is computed for
// inputs that need no gradient (the batch x of a Linear layer);
// broadcasting's common cases (same shape, a row vector, a column, a
// scalar) run as whole-slice loops, and one helper (sumTo) sums each
// case's gradient back with its own loop; long sums and bias gradients go
// through BLAS's vector kernels; ReLU and large batch gathers use every
// core, and ReLU's loops run in AVX2 registers where the CPU has them
// (internal/vec: Go loops define the results, and -tags purego keeps to
// them). The benchmarks in bench_test.go measure one
// training step of the lesson's two models (BenchmarkMLPStep), matrix
// products against direct Sgemm calls, and per-op overhead:
//
//	go test -tags blis -run - -bench . ./pkg/tensor/
//
// They report CPU time and the best single step beside wall time, which on
// a machine shared with other jobs measures the neighbours too.
//
// # Printing
//
// String prints like PyTorch (tensor([5, 0, 4]), tensor([0.1000, 2.3026]),
// rows aligned, more than 1000 elements summarised with "..."), and Shape
// prints as [64 10].
//
// # Errors
//
// Programmer errors panic. A shape mismatch panics with a *ShapeError
// (the op, the shapes, and a hint where the mistake is a common one),
// found with errors.As on the recovered value; its message reads like
// PyTorch's:
//
//	tensor: matmul: mat1 and mat2 shapes cannot be multiplied (64x784 and 50x784);
//	hint: did you forget a transpose? a.MatMul(b.T()) multiplies [64 784] by [784 50] ...
//
// An index outside its dimension panics with an *IndexError (the op, the
// index, the dimension, its size), as PyTorch's IndexError:
//
//	tensor: index_select: index 4 is out of bounds for dimension 0 with size 4 (shape [4 3])
//
// Misuse with tensors of the right shapes (a second Backward through a
// released graph, an in-place change of a tensor that requires grad outside
// NoGrad, SetRequiresGrad on a non-leaf) panics with a *UsageError whose
// message says what to do instead. Packages built on this one (nn, data)
// report their own mistakes through NewShapeError, NewIndexError and
// NewUsageError, so every programmer error of the library is one of these
// three types.
package tensor
