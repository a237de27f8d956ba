package tensor

import (
	"fmt"
	"strings"
)

// Temporary stand-ins for the helpers the engine's gradient rewrite brings
// (record with an op name, ShapeError); removed when it lands.

// ShapeError is the panic value of a shape mismatch.
type ShapeError struct {
	Op     string
	Shapes []Shape
	Hint   string
}

func (e *ShapeError) Error() string {
	var b strings.Builder
	b.WriteString(e.Op)
	b.WriteString(": ")
	b.WriteString(e.Hint)
	return b.String()
}

func shapeErr(op string, shapes []Shape, format string, args ...any) *ShapeError {
	return &ShapeError{Op: op, Shapes: shapes, Hint: fmt.Sprintf(format, args...)}
}

func needsGrad(inputs ...*Tensor) bool {
	if !GradEnabled() {
		return false
	}
	for _, x := range inputs {
		if x != nil && x.requiresGrad {
			return true
		}
	}
	return false
}

func record(out *Tensor, op string, back func(g []float32), inputs ...*Tensor) *Tensor {
	_ = op
	ins := make([]*Tensor, 0, len(inputs))
	for _, x := range inputs {
		if x != nil {
			ins = append(ins, x)
		}
	}
	return recordN(out, back, ins)
}
