package nn

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/fastgo/fastgo/pkg/tensor"
)

// Conv2d is a 2-D convolution layer over NCHW batches (PyTorch's nn.Conv2d):
// [N in H W] to [N out OH OW] through tensor.Conv2d. Weight has shape
// [out in kernel kernel], Bias [out]; a nil Bias means no bias.
type Conv2d struct {
	Weight  *tensor.Tensor
	Bias    *tensor.Tensor
	Stride  int
	Padding int
}

// ConvOption sets a keyword argument of NewConv2d, as stride=2 does in
// PyTorch's nn.Conv2d(1, 8, 5, stride=2).
type ConvOption func(*convOptions)

type convOptions struct {
	stride, padding int
	bias            bool
}

// Stride moves the kernel s pixels at a time (default 1).
func Stride(s int) ConvOption { return func(o *convOptions) { o.stride = s } }

// Padding adds p zero pixels on every side of the image (default 0).
func Padding(p int) ConvOption { return func(o *convOptions) { o.padding = p } }

// NoBias leaves out the bias, as bias=False does in PyTorch.
func NoBias() ConvOption { return func(o *convOptions) { o.bias = false } }

// NewConv2d returns a Conv2d layer from in to out channels with a square
// kernel of side kernel, initialised as PyTorch does by default (the very
// initialisation lesson 9's notebook 02a examines): the weight from
// KaimingUniform with a = √5, which works out to U(−1/√fan_in, 1/√fan_in)
// with fan_in = in·kernel², and the bias from the same interval. Both
// require grad. Random numbers come from rng (nil: tensor's default
// generator). Options set the stride and the padding:
//
//	nn.NewConv2d(1, 8, 5, rng, nn.Stride(2), nn.Padding(2)) // nn.Conv2d(1, 8, 5, stride=2, padding=2)
func NewConv2d(in, out, kernel int, rng *rand.Rand, opts ...ConvOption) *Conv2d {
	o := convOptions{stride: 1, bias: true}
	for _, f := range opts {
		f(&o)
	}
	if in <= 0 || out <= 0 || kernel <= 0 || o.stride <= 0 || o.padding < 0 {
		panic(tensor.NewUsageError("nn.NewConv2d", "(%d, %d, %d, stride %d, padding %d): sizes and stride must be positive, padding not negative",
			in, out, kernel, o.stride, o.padding))
	}
	w := tensor.Zeros(out, in, kernel, kernel)
	KaimingUniform(w, math.Sqrt(5), rng)
	c := &Conv2d{Weight: w.SetRequiresGrad(true), Stride: o.stride, Padding: o.padding}
	if o.bias {
		fanIn, _ := Fans(w)
		bound := float32(1 / math.Sqrt(float64(fanIn)))
		c.Bias = tensor.Uniform(rng, -bound, bound, out).SetRequiresGrad(true)
	}
	return c
}

// Forward convolves x [N in H W] with the layer's weight and adds its bias.
func (c *Conv2d) Forward(x *tensor.Tensor) *tensor.Tensor {
	return tensor.Conv2d(x, c.Weight, c.Bias, c.Stride, c.Padding)
}

// ExtraRepr gives "1, 8, kernel_size=(5, 5), stride=(2, 2), padding=(2, 2)"
// as PyTorch does: the stride always, the padding when not 0, and
// bias=False when there is none.
func (c *Conv2d) ExtraRepr() string {
	s := c.Weight.Shape()
	r := fmt.Sprintf("%d, %d, kernel_size=(%d, %d), stride=(%d, %d)", s[1], s[0], s[2], s[3], c.Stride, c.Stride)
	if c.Padding != 0 {
		r += fmt.Sprintf(", padding=(%d, %d)", c.Padding, c.Padding)
	}
	if c.Bias == nil {
		r += ", bias=False"
	}
	return r
}

// Parameters returns Weight and Bias.
func (c *Conv2d) Parameters() []*tensor.Tensor { return Parameters(c) }

// String prints the layer like PyTorch:
// Conv2d(1, 8, kernel_size=(5, 5), stride=(2, 2), padding=(2, 2)).
func (c *Conv2d) String() string { return Repr(c) }
