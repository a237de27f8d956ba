package tensor

import (
	"encoding/json"
	"math"
	"os"
	"testing"
)

// The reference cases in testdata/reference.json were computed by PyTorch
// with testdata/make_reference.py; these tests replay them.

type refTensor struct {
	Shape []int    `json:"shape"`
	Data  []refNum `json:"data"`
	Int   bool     `json:"int"`
}

// refNum is a number in the reference file, where NaN and ±Inf are the
// strings "nan", "inf" and "-inf" (JSON has no literal for them).
type refNum float64

// UnmarshalJSON reads a number or one of the non-finite strings.
func (n *refNum) UnmarshalJSON(b []byte) error {
	switch string(b) {
	case `"nan"`:
		*n = refNum(math.NaN())
	case `"inf"`:
		*n = refNum(math.Inf(1))
	case `"-inf"`:
		*n = refNum(math.Inf(-1))
	default:
		var f float64
		if err := json.Unmarshal(b, &f); err != nil {
			return err
		}
		*n = refNum(f)
	}
	return nil
}

func (r *refTensor) tensor() *Tensor {
	d := make([]float32, len(r.Data))
	for i, v := range r.Data {
		d[i] = float32(v)
	}
	dt := Float32
	if r.Int {
		dt = Int
	}
	return newTensor(d, r.Shape, dt)
}

// refOp is one operation case: inputs, PyTorch's output, and the input
// gradients for grad_out (absent for non-differentiable ops).
type refOp struct {
	Name    string         `json:"name"`
	Op      string         `json:"op"`
	Args    map[string]any `json:"args"`
	Inputs  []refTensor    `json:"inputs"`
	Out     refTensor      `json:"out"`
	GradOut *refTensor     `json:"grad_out"`
	Grads   []*refTensor   `json:"grads"`
}

type refPrint struct {
	refTensor
	Name         string `json:"name"`
	Str          string `json:"str"`
	RequiresGrad bool   `json:"requires_grad"`
}

type reference struct {
	Torch  string     `json:"torch"`
	Ops    []refOp    `json:"ops"`
	Prints []refPrint `json:"prints"`
}

func loadReference(t *testing.T) *reference {
	t.Helper()
	b, err := os.ReadFile("testdata/reference.json")
	if err != nil {
		t.Fatalf("reading PyTorch reference values: %v", err)
	}
	var r reference
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatalf("testdata/reference.json: %v", err)
	}
	return &r
}

func num(args map[string]any, k string) float64 { return args[k].(float64) }

// refOps maps the script's op names to this package's operations.
var refOps = map[string]func(in []*Tensor, args map[string]any) *Tensor{
	"add":       func(in []*Tensor, _ map[string]any) *Tensor { return in[0].Add(in[1]) },
	"sub":       func(in []*Tensor, _ map[string]any) *Tensor { return in[0].Sub(in[1]) },
	"mul":       func(in []*Tensor, _ map[string]any) *Tensor { return in[0].Mul(in[1]) },
	"div":       func(in []*Tensor, _ map[string]any) *Tensor { return in[0].Div(in[1]) },
	"neg":       func(in []*Tensor, _ map[string]any) *Tensor { return in[0].Neg() },
	"exp":       func(in []*Tensor, _ map[string]any) *Tensor { return in[0].Exp() },
	"log":       func(in []*Tensor, _ map[string]any) *Tensor { return in[0].Log() },
	"sqrt":      func(in []*Tensor, _ map[string]any) *Tensor { return in[0].Sqrt() },
	"pow":       func(in []*Tensor, a map[string]any) *Tensor { return in[0].Pow(float32(num(a, "p"))) },
	"relu":      func(in []*Tensor, _ map[string]any) *Tensor { return in[0].Relu() },
	"maximum":   func(in []*Tensor, a map[string]any) *Tensor { return in[0].ClampMin(float32(num(a, "v"))) },
	"addscalar": func(in []*Tensor, a map[string]any) *Tensor { return in[0].AddScalar(float32(num(a, "v"))) },
	"subscalar": func(in []*Tensor, a map[string]any) *Tensor { return in[0].SubScalar(float32(num(a, "v"))) },
	"mulscalar": func(in []*Tensor, a map[string]any) *Tensor { return in[0].MulScalar(float32(num(a, "v"))) },
	"divscalar": func(in []*Tensor, a map[string]any) *Tensor { return in[0].DivScalar(float32(num(a, "v"))) },
	"sum":       func(in []*Tensor, _ map[string]any) *Tensor { return in[0].Sum() },
	"mean":      func(in []*Tensor, _ map[string]any) *Tensor { return in[0].Mean() },
	"max":       func(in []*Tensor, _ map[string]any) *Tensor { return in[0].Max() },
	"sumdim": func(in []*Tensor, a map[string]any) *Tensor {
		return in[0].SumDim(int(num(a, "dim")), a["keepdim"].(bool))
	},
	"meandim": func(in []*Tensor, a map[string]any) *Tensor {
		return in[0].MeanDim(int(num(a, "dim")), a["keepdim"].(bool))
	},
	"maxdim": func(in []*Tensor, a map[string]any) *Tensor {
		return in[0].MaxDim(int(num(a, "dim")), a["keepdim"].(bool))
	},
	"logsumexp": func(in []*Tensor, a map[string]any) *Tensor {
		return in[0].LogSumExp(int(num(a, "dim")), a["keepdim"].(bool))
	},
	"matmul": func(in []*Tensor, _ map[string]any) *Tensor { return in[0].MatMul(in[1]) },
	"linear": func(in []*Tensor, _ map[string]any) *Tensor {
		if len(in) == 2 {
			return Linear(in[0], in[1], nil)
		}
		return Linear(in[0], in[1], in[2])
	},
	"t": func(in []*Tensor, _ map[string]any) *Tensor { return in[0].T() },
	"reshape": func(in []*Tensor, a map[string]any) *Tensor {
		var s []int
		for _, v := range a["shape"].([]any) {
			s = append(s, int(v.(float64)))
		}
		return in[0].Reshape(s...)
	},
	"slice": func(in []*Tensor, a map[string]any) *Tensor {
		return in[0].Slice(int(num(a, "start")), int(num(a, "end")))
	},
	"row":         func(in []*Tensor, a map[string]any) *Tensor { return in[0].Row(int(num(a, "i"))) },
	"indexselect": func(in []*Tensor, _ map[string]any) *Tensor { return in[0].IndexSelect(in[1]) },
	"gather":      func(in []*Tensor, _ map[string]any) *Tensor { return in[0].Index(in[1], in[2]) },
	"stack":       func(in []*Tensor, _ map[string]any) *Tensor { return Stack(in) },
	"cat":         func(in []*Tensor, a map[string]any) *Tensor { return Cat(in, int(num(a, "dim"))) },
	"argmax":      func(in []*Tensor, a map[string]any) *Tensor { return in[0].ArgMax(int(num(a, "dim"))) },
	"eq":          func(in []*Tensor, _ map[string]any) *Tensor { return in[0].Eq(in[1]) },
	"nll": func(in []*Tensor, _ map[string]any) *Tensor {
		x, t := in[0], in[1]
		logp := x.Sub(x.LogSumExp(1, true))
		return logp.Index(Arange(x.Len()), t).Mean().Neg()
	},
}

func closeTo(t *testing.T, what string, got *Tensor, want *refTensor) {
	t.Helper()
	if !got.shape.Equal(want.Shape) {
		t.Errorf("%s: shape %v, PyTorch %v", what, got.shape, Shape(want.Shape))
		return
	}
	if (got.dtype == Int) != want.Int {
		t.Errorf("%s: dtype %v, PyTorch int=%v", what, got.dtype, want.Int)
	}
	for i, wn := range want.Data {
		g, w := float64(got.data[i]), float64(wn)
		if math.Abs(g-w) > 1e-4*max(1, math.Abs(w)) || math.IsNaN(g) != math.IsNaN(w) {
			t.Errorf("%s: element %d is %v, PyTorch %v", what, i, g, w)
			return
		}
	}
}

func TestPyTorchReference(t *testing.T) {
	ref := loadReference(t)
	if len(ref.Ops) < 100 {
		t.Fatalf("only %d reference cases", len(ref.Ops))
	}
	for _, op := range ref.Ops {
		args := op.Args
		f, ok := refOps[op.Op]
		if !ok {
			t.Errorf("%s: no Go op for %q", op.Name, op.Op)
			continue
		}
		ins := make([]*Tensor, len(op.Inputs))
		for i := range op.Inputs {
			ins[i] = op.Inputs[i].tensor()
			if op.GradOut != nil && !ins[i].IsInt() {
				ins[i].SetRequiresGrad(true)
			}
		}
		out := f(ins, args)
		closeTo(t, op.Name+" forward", out, &op.Out)
		if op.GradOut == nil {
			continue
		}
		out.BackwardWith(op.GradOut.tensor())
		for i, g := range op.Grads {
			if g == nil {
				continue
			}
			if ins[i].Grad() == nil {
				t.Errorf("%s: input %d got no gradient", op.Name, i)
				continue
			}
			closeTo(t, op.Name+" grad", ins[i].Grad(), g)
		}
	}
}

func TestPyTorchPrinting(t *testing.T) {
	ref := loadReference(t)
	for _, p := range ref.Prints {
		x := p.tensor()
		if p.RequiresGrad {
			x.SetRequiresGrad(true)
		}
		if got := x.String(); got != p.Str {
			t.Errorf("%s:\n got: %s\nwant: %s", p.Name, got, p.Str)
		}
	}
}
