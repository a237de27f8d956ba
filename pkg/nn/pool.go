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
	panic(tensor.NewUsageError("nn.NewAdaptiveAvgPool2d", "(%v): want one or two positive sizes", size))
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
