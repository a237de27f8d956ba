package tensor

import (
	"fmt"
	"strconv"
	"strings"
)

// ShapeError is the panic value of every operation given tensors of shapes
// it cannot work with. Recover it and test with errors.As:
//
//	defer func() {
//		if err, ok := recover().(error); ok {
//			var se *tensor.ShapeError
//			if errors.As(err, &se) { ... se.Op, se.Shapes ... }
//		}
//	}()
//
// Error reads like PyTorch's message for the same mistake, followed by a
// hint where the mistake is a common one.
type ShapeError struct {
	// Op is the operation, named as in PyTorch: "matmul", "linear",
	// "add", "reshape", ...; qualified by its package outside this one
	// ("nn.cross_entropy").
	Op     string
	Shapes []Shape // the shapes involved, operands first
	Hint   string  // what usually fixes it, or ""
	msg    string
}

// NewShapeError returns the error of op (package-qualified, as
// "nn.cross_entropy") given tensors of the shapes listed, for packages
// built on this one to report shape mistakes the way its own ops do. msg
// says what is wrong; hint, if not empty, what usually fixes it.
func NewShapeError(op, msg, hint string, shapes ...Shape) *ShapeError {
	return (&ShapeError{Op: op, Hint: hint, msg: msg}).with(shapes...)
}

// Error returns "tensor: op: message" ("nn: op: message" for an op of
// package nn) and the hint, if any.
func (e *ShapeError) Error() string {
	s := qualified(e.Op) + ": " + e.msg
	if e.Hint != "" {
		s += "; hint: " + e.Hint
	}
	return s
}

// shapeErr builds a ShapeError for op with a formatted message; add the
// shapes with with.
func shapeErr(op, hint, format string, args ...any) *ShapeError {
	return &ShapeError{Op: op, Hint: hint, msg: fmt.Sprintf(format, args...)}
}

// with records the shapes involved (copies, so later reshapes of a view
// do not change the error).
func (e *ShapeError) with(shapes ...Shape) *ShapeError {
	for _, s := range shapes {
		e.Shapes = append(e.Shapes, append(Shape(nil), s...))
	}
	return e
}

// dims formats a shape as PyTorch's matmul messages do: 64x784.
func dims(s Shape) string {
	parts := make([]string, len(s))
	for i, d := range s {
		parts[i] = strconv.Itoa(d)
	}
	return strings.Join(parts, "x")
}

// pyShape formats a shape as PyTorch prints sizes in messages: [2, 5].
func pyShape(s []int) string {
	parts := make([]string, len(s))
	for i, d := range s {
		parts[i] = strconv.Itoa(d)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// IndexError is the panic value of an index outside the dimension it
// indexes, or not an integer (PyTorch's IndexError): t.At, t.Row, t.Slice,
// IndexSelect, Index. Recover it and test with errors.As, as ShapeError.
type IndexError struct {
	Op    string // the operation, as PyTorch names it: "index_select", "index", "select", ...
	Index int    // the index as given (before negative indices count from the end)
	Dim   int    // the dimension indexed
	Size  int    // that dimension's size
	Shape Shape  // the indexed tensor's shape
	msg   string
}

// Error returns "tensor: op: message" ("nn: op: message" for an op of
// package nn).
func (e *IndexError) Error() string { return qualified(e.Op) + ": " + e.msg }

// indexErr returns the IndexError of index i into dimension dim of shape,
// in PyTorch's words.
func indexErr(op string, i, dim int, shape Shape) *IndexError {
	return &IndexError{Op: op, Index: i, Dim: dim, Size: shape[dim], Shape: append(Shape(nil), shape...),
		msg: fmt.Sprintf("index %d is out of bounds for dimension %d with size %d (shape %v)", i, dim, shape[dim], shape)}
}

// UsageError is the panic value of an operation called against its
// contract, with tensors of the right shapes: a second Backward through a
// released graph, an in-place change of a tensor that requires grad
// outside NoGrad, SetRequiresGrad on a non-leaf, an invalid argument such
// as a negative length. Its message says what to do instead. Recover it
// and test with errors.As, as ShapeError.
type UsageError struct {
	Op  string // the function or operation misused: "backward", "add_", "SetRequiresGrad", "nn.SGD", ...
	msg string
}

// NewUsageError returns the UsageError of op (package-qualified outside
// this package, as "nn.SGD") with a formatted message, for packages built
// on this one to report misuse the way its own ops do.
func NewUsageError(op, format string, args ...any) *UsageError {
	return &UsageError{Op: op, msg: fmt.Sprintf(format, args...)}
}

// Error returns "tensor: op: message" ("nn: op: message" for an op of
// package nn).
func (e *UsageError) Error() string { return qualified(e.Op) + ": " + e.msg }

// qualified returns "tensor: op" for an op of this package and "nn: op"
// for one named "nn.op".
func qualified(op string) string {
	if i := strings.IndexByte(op, '.'); i > 0 {
		return op[:i] + ": " + op[i+1:]
	}
	return "tensor: " + op
}

// NewIndexError returns the IndexError of index i into dimension dim of a
// tensor of the given shape, for packages built on this one (op
// package-qualified, as "nn.cross_entropy").
func NewIndexError(op string, i, dim int, shape Shape) *IndexError {
	return indexErr(op, i, dim, shape)
}
