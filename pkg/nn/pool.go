package nn

import (
	"fmt"

	"github.com/fastgo/fastgo/pkg/tensor"
)

// AdaptiveAvgPool2d averages each channel of an NCHW batch down to a fixed
// H×W grid whatever the input's size (PyTorch's nn.AdaptiveAvgPool2d);
// with output size 1 it leaves one mean per channel, [N C 1 1].
type AdaptiveAvgPool2d struct {
	H, W int
}

// NewAdaptiveAvgPool2d returns the pooling to size×size, or to h×w when
// given two sizes, as nn.AdaptiveAvgPool2d(1) or nn.AdaptiveAvgPool2d((3, 2)).
func NewAdaptiveAvgPool2d(size ...int) *AdaptiveAvgPool2d {
	switch {
	case len(size) == 1 && size[0] > 0:
		return &AdaptiveAvgPool2d{size[0], size[0]}
	case len(size) == 2 && size[0] > 0 && size[1] > 0:
		return &AdaptiveAvgPool2d{size[0], size[1]}
	}
	panic(fmt.Sprintf("nn: NewAdaptiveAvgPool2d(%v): want one or two positive sizes", size))
}

// Forward pools x [N C H W] to [N C p.H p.W].
func (p *AdaptiveAvgPool2d) Forward(x *tensor.Tensor) *tensor.Tensor {
	return tensor.AdaptiveAvgPool2d(x, p.H, p.W)
}

// ExtraRepr gives "output_size=1", or "output_size=(3, 2)" when not square.
func (p *AdaptiveAvgPool2d) ExtraRepr() string {
	if p.H == p.W {
		return fmt.Sprintf("output_size=%d", p.H)
	}
	return fmt.Sprintf("output_size=(%d, %d)", p.H, p.W)
}

// String prints "AdaptiveAvgPool2d(output_size=1)".
func (p *AdaptiveAvgPool2d) String() string { return Repr(p) }

// Flatten keeps the batch dimension and flattens the rest, [N C H W] to
// [N C·H·W] (PyTorch's nn.Flatten(), and lesson 9's flatten,
// x.view(x.shape[0], -1)). The result is a view of x.
type Flatten struct{}

// Forward returns x viewed as [N, rest].
func (Flatten) Forward(x *tensor.Tensor) *tensor.Tensor {
	if x.Dim() == 0 {
		panic("nn: Flatten: a 0-d tensor has no batch dimension")
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
