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
	pkg, op := "tensor", e.Op
	if i := strings.IndexByte(op, '.'); i > 0 {
		pkg, op = op[:i], op[i+1:]
	}
	s := pkg + ": " + op + ": " + e.msg
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
