// Package nn is the torch.nn and torch.optim of the course: modules (Linear,
// ReLU, ModuleList, Sequential), their initialisers, the losses of lesson 03
// (LogSoftmax, NLL, CrossEntropy, MSE), the SGD optimizer and Accuracy.
//
// # Modules without __setattr__
//
// PyTorch finds a model's layers and weights because nn.Module overrides
// __setattr__: every attribute assigned in __init__ is recorded in an ordered
// dictionary (lesson 03 rebuilds this by hand as DummyModule). Go has no hook
// on field assignment, but it has something better suited: a struct's fields
// are declared, ordered and visible to the reflect package. So a model is any
// struct with a Forward method,
//
//	type Model struct {
//		L1, L2 *nn.Linear
//	}
//
//	func (m *Model) Forward(x *tensor.Tensor) *tensor.Tensor {
//		return m.L2.Forward(m.L1.Forward(x).Relu())
//	}
//
// and the package functions Parameters, NamedParameters, NamedChildren, Train,
// Training and Repr discover its contents by walking its exported fields in
// declaration order: a *tensor.Tensor field is a parameter, a field holding a
// Module is a child, a slice of modules is a child printed as a ModuleList, and
// an embedded struct contributes its fields as if they were declared in place
// (Go's embedding plays the role of subclassing). Unexported fields are
// ignored, just as DummyModule skipped names beginning with "_": keep constants
// and scratch buffers unexported and they are never trained.
//
// Why functions and not methods? A method Parameters() on an embeddable base
// type could only see the base, never the struct that embeds it (Go's
// embedding is composition, there is no "self" pointing at the outer value), so
// every user struct would have to write its own Parameters method. A function
// that receives the whole module sees everything. The library's own modules
// also carry Parameters and String methods for convenience; they call these
// functions.
//
// Printing: nn.Repr(model) gives PyTorch's layout. The library's modules have
// String methods, so fmt prints them that way; give your own struct the same
// with one line, func (m *Model) String() string { return nn.Repr(m) }.
//
// Reflection runs only when these functions are called (once, when an
// optimizer is built or a model is printed), never per training step:
// optimizers keep the []*tensor.Tensor they were given.
//
// # Shapes
//
// Batches are rows: a Linear maps [batch in] to [batch out] with a weight of
// shape [out in], as in PyTorch. Losses take logits [batch classes] and targets
// [batch] holding class indices (an Int tensor, or a Float32 tensor of whole
// numbers). Programmer errors (shape mismatches, labels out of range) panic
// with a message naming the function and the shapes or values at fault. A
// layer of the wrong size inside a Sequential, or a Linear called directly,
// panics with a *LayerError that names the layer and its input and wraps
// the *tensor.ShapeError (errors.As finds both):
//
//	nn: layer (2) Linear(in_features=64, out_features=10, bias=True) got input [128 128]:
//	tensor: linear: mat1 and mat2 shapes cannot be multiplied (128x128 and 64x10); hint: ...
//
// # Training steps
//
// Backward adds into the gradients, so every step is Backward, Step,
// ZeroGrad; a forgotten ZeroGrad trains silently to chance accuracy. See
// Optimizer, and SGD.CheckZeroGrad for a check that reports it.
package nn
