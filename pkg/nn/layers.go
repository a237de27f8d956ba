package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"strconv"
	"strings"

	"github.com/fastgo/fastgo/pkg/tensor"
)

// Linear is a fully connected layer, y = x·Wᵀ + b, mapping [batch in] to
// [batch out] (PyTorch's nn.Linear). Weight has shape [out in], Bias [out];
// a nil Bias means no bias.
type Linear struct {
	Base
	Weight *tensor.Tensor
	Bias   *tensor.Tensor
}

// NewLinear returns a Linear layer initialised as PyTorch does by default:
// weights from KaimingUniform with a = √5, which works out to
// U(−1/√in, 1/√in), and biases from U(−1/√in, 1/√in). Both require grad.
// Random numbers come from rng (nil: tensor's default generator), so a seeded
// rng gives the same layer every run.
func NewLinear(in, out int, rng *rand.Rand) *Linear {
	if in <= 0 || out <= 0 {
		panic(tensor.NewUsageError("nn.NewLinear", "(%d, %d): sizes must be positive", in, out))
	}
	w := tensor.Zeros(out, in)
	KaimingUniform(w, math.Sqrt(5), rng)
	bound := float32(1 / math.Sqrt(float64(in)))
	b := tensor.Uniform(rng, -bound, bound, out)
	return &Linear{Weight: w.SetRequiresGrad(true), Bias: b.SetRequiresGrad(true)}
}

// Forward returns x·Wᵀ + b for x of shape [batch in], through the fused
// tensor.Linear (one matrix multiply with the bias added in the same pass).
// An input of the wrong shape panics with a *LayerError naming the layer
// and wrapping the *tensor.ShapeError.
func (l *Linear) Forward(x *tensor.Tensor) *tensor.Tensor {
	defer func() {
		if r := recover(); r != nil {
			panic(layerPanic(r, "", l, l, x.Shape()))
		}
	}()
	return tensor.Linear(x, l.Weight, l.Bias)
}

// InFeatures is the size of each input row.
func (l *Linear) InFeatures() int { return l.Weight.Shape()[1] }

// OutFeatures is the size of each output row.
func (l *Linear) OutFeatures() int { return l.Weight.Shape()[0] }

// ExtraRepr gives "in_features=784, out_features=50, bias=True", as PyTorch.
func (l *Linear) ExtraRepr() string {
	return fmt.Sprintf("in_features=%d, out_features=%d, bias=%s", l.InFeatures(), l.OutFeatures(), pyBool(l.Bias != nil))
}

// Parameters returns Weight and Bias (the package function Parameters(l)).
func (l *Linear) Parameters() []*tensor.Tensor { return Parameters(l) }

// String prints the layer like PyTorch: Linear(in_features=784, out_features=50, bias=True).
func (l *Linear) String() string { return Repr(l) }

func pyBool(b bool) string {
	if b {
		return "True"
	}
	return "False"
}

// ReLU is the module form of max(x, 0) (PyTorch's nn.ReLU); in a Forward
// method of your own, x.Relu() does the same.
type ReLU struct{}

// Forward returns max(x, 0) elementwise.
func (ReLU) Forward(x *tensor.Tensor) *tensor.Tensor { return x.Relu() }

// String prints "ReLU()".
func (r ReLU) String() string { return Repr(r) }

// ModuleList holds sub-modules in order so that Parameters, Train and Repr see
// them (PyTorch's nn.ModuleList); children are named "0", "1", .... Loop over
// it in your own Forward. A struct field that is a plain []Module is treated
// the same way, so in Go ModuleList is mostly a name for that slice.
type ModuleList []Module

// Forward panics: as in PyTorch, a ModuleList only holds layers, and the
// module that owns it decides how to call them (use Sequential to chain them).
func (l ModuleList) Forward(x *tensor.Tensor) *tensor.Tensor {
	panic(tensor.NewUsageError("nn.ModuleList", "a ModuleList has no Forward; loop over its layers in your module's Forward, or use Sequential"))
}

// Parameters returns the parameters of all layers in order.
func (l ModuleList) Parameters() []*tensor.Tensor { return Parameters(l) }

// String prints the list like PyTorch's repr of an nn.ModuleList.
func (l ModuleList) String() string { return Repr(l) }

// Sequential applies its layers one after another (PyTorch's nn.Sequential).
type Sequential struct {
	Base
	Layers ModuleList
}

// NewSequential returns a Sequential of the given layers, applied in order.
func NewSequential(layers ...Module) *Sequential {
	for i, l := range layers {
		if isNil(l) {
			panic(tensor.NewUsageError("nn.NewSequential", "layer %d is nil", i))
		}
	}
	return &Sequential{Layers: ModuleList(layers)}
}

// Forward feeds x through every layer in order. A layer that panics with
// an error (a *tensor.ShapeError, say) is named in the *LayerError that
// Forward panics with instead: "layer (2) Linear(...) got input [128 128]".
func (s *Sequential) Forward(x *tensor.Tensor) *tensor.Tensor {
	i, in := 0, x
	defer func() {
		if r := recover(); r != nil {
			panic(layerPanic(r, strconv.Itoa(i), s.Layers[i], s, in.Shape()))
		}
	}()
	for i = range s.Layers {
		in = x
		x = s.Layers[i].Forward(x)
	}
	return x
}

// Append adds a layer at the end.
func (s *Sequential) Append(m Module) { s.Layers = append(s.Layers, m) }

// Parameters returns the parameters of all layers in order.
func (s *Sequential) Parameters() []*tensor.Tensor { return Parameters(s) }

// String prints the model like PyTorch's repr of an nn.Sequential.
func (s *Sequential) String() string { return Repr(s) }

// LayerError is the panic value of a layer whose Forward failed with an
// error, usually a *tensor.ShapeError: it names the layer, its position in
// the containers around it and the shape of the input it got, and wraps the
// original error for errors.As. Panics that are not errors pass through
// unchanged.
type LayerError struct {
	// Path is the layer's position inside Sequential containers, as
	// NamedParameters spells it ("2", or "1.0" inside a nested one); empty
	// for a layer called directly.
	Path string
	// Layer is the layer as printed on one line, such as
	// "Linear(in_features=64, out_features=10, bias=True)".
	Layer string
	// Input is the shape of the input the layer got.
	Input tensor.Shape
	// Err is the error the layer failed with.
	Err error

	top Module // the module Path starts from
}

// Error reads "nn: layer (2) Linear(in_features=64, out_features=10,
// bias=True) got input [128 128]: " followed by the wrapped error.
func (e *LayerError) Error() string {
	where := e.Layer
	if e.Path != "" {
		where = "layer (" + e.Path + ") " + e.Layer
	}
	return fmt.Sprintf("nn: %s got input %v: %v", where, e.Input, e.Err)
}

// Unwrap returns the error the layer failed with.
func (e *LayerError) Unwrap() error { return e.Err }

// layerPanic turns a value recovered from the Forward of m into the value
// to panic with: a *LayerError for an error, anything else unchanged. m is
// child pos of container (pos "" and container m for a layer called
// directly). The innermost layer is the one named; each Sequential around
// it prefixes its position, and the path goes through any user module in
// between as NamedParameters spells it ("0.Layers.2" for a layer in a
// []Module field; "0.?" when reflection cannot find it).
func layerPanic(r any, pos string, m, container Module, in tensor.Shape) any {
	err, ok := r.(error)
	if !ok {
		return r
	}
	le, ok := err.(*LayerError)
	if !ok {
		le = &LayerError{Layer: oneLine(m), Input: append(tensor.Shape(nil), in...), Err: err, top: m}
	}
	rel, found := pathTo(m, le.top, 0)
	if !found {
		rel, le.Path = "?", ""
	}
	le.Path = joinPath(pos, joinPath(rel, le.Path))
	le.top = container
	return le
}

// pathTo returns the dotted path of target below root ("" when it is
// root), as NamedParameters spells it.
func pathTo(root, target Module, depth int) (string, bool) {
	if sameModule(root, target) {
		return "", true
	}
	if depth > maxDepth {
		return "", false
	}
	for _, c := range NamedChildren(root) {
		if p, ok := pathTo(c.Module, target, depth+1); ok {
			return joinPath(c.Name, p), true
		}
	}
	return "", false
}

// sameModule reports whether a and b are the same pointer (values, such
// as ReLU{} or a ModuleList, cannot be told apart and never match).
func sameModule(a, b Module) bool {
	va, vb := reflect.ValueOf(a), reflect.ValueOf(b)
	return va.Kind() == reflect.Pointer && vb.Kind() == reflect.Pointer && va.Pointer() == vb.Pointer() && va.Type() == vb.Type()
}

func joinPath(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + "." + b
}

// oneLine is m's Repr when it fits on one line, else its type name.
func oneLine(m Module) string {
	if s := Repr(m); !strings.Contains(s, "\n") {
		return s
	}
	return typeName(m)
}
