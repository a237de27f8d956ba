package nn

import "github.com/fastgo/fastgo/pkg/tensor"

// Flatten keeps the batch dimension and flattens the rest, [N C H W] to
// [N C·H·W] (PyTorch's nn.Flatten(), and lesson 9's flatten,
// x.view(x.shape[0], -1)). The result is a view of x.
type Flatten struct{}

// Forward returns x viewed as [N, rest].
func (Flatten) Forward(x *tensor.Tensor) *tensor.Tensor {
	if x.Dim() == 0 {
		panic(tensor.NewShapeError("nn.flatten", "a 0-d tensor has no batch dimension", "", x.Shape()))
	}
	return x.Reshape(x.Len(), -1)
}

// ExtraRepr gives "start_dim=1, end_dim=-1" as PyTorch.
func (Flatten) ExtraRepr() string { return "start_dim=1, end_dim=-1" }

// String prints "Flatten(start_dim=1, end_dim=-1)".
func (f Flatten) String() string { return Repr(f) }

// Lambda makes a module of a function, as the lesson's Lambda class does
// (nn.Lambda(flatten) in a Sequential); in Go a function type with a
// Forward method is all it takes.
type Lambda func(x *tensor.Tensor) *tensor.Tensor

// Forward returns f(x).
func (f Lambda) Forward(x *tensor.Tensor) *tensor.Tensor { return f(x) }

// String prints "Lambda()".
func (f Lambda) String() string { return Repr(f) }
