package nn_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/fastgo/fastgo/pkg/nn"
	"github.com/fastgo/fastgo/pkg/tensor"
)

// Model is the lesson's two-layer model with relu moved to the functional form.
type Model struct {
	L1, L2 *nn.Linear
}

func (m *Model) Forward(x *tensor.Tensor) *tensor.Tensor {
	return m.L2.Forward(m.L1.Forward(x).Relu())
}

// SequentialModel is the lesson's model over an nn.ModuleList.
type SequentialModel struct {
	Layers nn.ModuleList
}

func (m *SequentialModel) Forward(x *tensor.Tensor) *tensor.Tensor {
	for _, l := range m.Layers {
		x = l.Forward(x)
	}
	return x
}

// SliceModel holds a plain Go slice of layers: no registration code, yet its
// layers are found.
type SliceModel struct {
	nn.Base
	Layers []nn.Module
}

func (m *SliceModel) Forward(x *tensor.Tensor) *tensor.Tensor {
	for _, l := range m.Layers {
		x = l.Forward(x)
	}
	return x
}

// Deep mixes every kind of field the reflection walk must classify.
type Deep struct {
	nn.Base
	Stem   *nn.Linear
	Scale  *tensor.Tensor   // a parameter of Deep itself
	Blocks nn.ModuleList    // nested containers
	Head   nn.Linear        // a module stored by value
	Extra  []*tensor.Tensor // a list of parameters
	Skip   *nn.Linear       // nil: not a child
	Act    nn.Module        // an interface-typed field
	Heads  []nn.Linear      // a typed slice of modules stored by value
	hidden *nn.Linear       // unexported: invisible, never trained
	Count  int              // not a module, not a tensor
}

func (d *Deep) Forward(x *tensor.Tensor) *tensor.Tensor { return d.Head.Forward(d.Stem.Forward(x)) }

// Wide embeds a Sequential, Go's way of subclassing it, and adds a head.
type Wide struct {
	*nn.Sequential
	Head *nn.Linear
}

func lin(in, out int) *nn.Linear { return nn.NewLinear(in, out, tensor.NewRNG(1)) }

func shapes(ps []*tensor.Tensor) string {
	var s []string
	for _, p := range ps {
		s = append(s, p.Shape().String())
	}
	return strings.Join(s, " ")
}

func names(nps []nn.NamedParam) string {
	var s []string
	for _, p := range nps {
		s = append(s, p.Name)
	}
	return strings.Join(s, " ")
}

func childNames(cs []nn.Child) string {
	var s []string
	for _, c := range cs {
		s = append(s, c.Name)
	}
	return strings.Join(s, " ")
}

func TestReprGolden(t *testing.T) {
	mlp := func() []nn.Module { return []nn.Module{lin(784, 50), nn.ReLU{}, lin(50, 10)} }
	noBias := lin(3, 2)
	noBias.Bias = nil
	cases := []struct {
		name string
		m    nn.Module
		want string
	}{
		{"Sequential", nn.NewSequential(mlp()...), `Sequential(
  (0): Linear(in_features=784, out_features=50, bias=True)
  (1): ReLU()
  (2): Linear(in_features=50, out_features=10, bias=True)
)`},
		{"user struct", &Model{lin(784, 50), lin(50, 10)}, `Model(
  (L1): Linear(in_features=784, out_features=50, bias=True)
  (L2): Linear(in_features=50, out_features=10, bias=True)
)`},
		{"ModuleList field", &SequentialModel{nn.ModuleList(mlp())}, `SequentialModel(
  (Layers): ModuleList(
    (0): Linear(in_features=784, out_features=50, bias=True)
    (1): ReLU()
    (2): Linear(in_features=50, out_features=10, bias=True)
  )
)`},
		{"plain slice field", &SliceModel{Layers: mlp()}, `SliceModel(
  (Layers): ModuleList(
    (0): Linear(in_features=784, out_features=50, bias=True)
    (1): ReLU()
    (2): Linear(in_features=50, out_features=10, bias=True)
  )
)`},
		{"leaf", lin(784, 50), `Linear(in_features=784, out_features=50, bias=True)`},
		{"no bias", noBias, `Linear(in_features=3, out_features=2, bias=False)`},
		{"ReLU", nn.ReLU{}, `ReLU()`},
		{"empty Sequential", nn.NewSequential(), `Sequential()`},
		{"nested", nn.NewSequential(nn.NewSequential(lin(2, 3), &nn.ReLU{}), nn.ModuleList{lin(3, 1)}), `Sequential(
  (0): Sequential(
    (0): Linear(in_features=2, out_features=3, bias=True)
    (1): ReLU()
  )
  (1): ModuleList(
    (0): Linear(in_features=3, out_features=1, bias=True)
  )
)`},
		{"embedded Sequential", &Wide{nn.NewSequential(lin(4, 3), nn.ReLU{}), lin(3, 2)}, `Wide(
  (0): Linear(in_features=4, out_features=3, bias=True)
  (1): ReLU()
  (Head): Linear(in_features=3, out_features=2, bias=True)
)`},
	}
	for _, c := range cases {
		if got := nn.Repr(c.m); got != c.want {
			t.Errorf("%s: Repr =\n%s\nwant\n%s", c.name, got, c.want)
		}
	}
	// The library's String methods are the same repr, so fmt prints it.
	s := nn.NewSequential(mlp()...)
	if got := fmt.Sprint(s); got != nn.Repr(s) {
		t.Errorf("fmt.Sprint(Sequential) = %q, want its Repr", got)
	}
}

func TestUserStructParameters(t *testing.T) {
	m := &Model{lin(784, 50), lin(50, 10)}
	if got, want := childNames(nn.NamedChildren(m)), "L1 L2"; got != want {
		t.Errorf("NamedChildren = %q, want %q", got, want)
	}
	if got, want := names(nn.NamedParameters(m)), "L1.Weight L1.Bias L2.Weight L2.Bias"; got != want {
		t.Errorf("NamedParameters = %q, want %q", got, want)
	}
	ps := nn.Parameters(m)
	if got, want := shapes(ps), "[50 784] [50] [10 50] [10]"; got != want {
		t.Errorf("Parameters shapes = %q, want %q", got, want)
	}
	if ps[0] != m.L1.Weight || ps[3] != m.L2.Bias {
		t.Error("Parameters must return the layers' own tensors, not copies")
	}
	if got := m.L1.Parameters(); len(got) != 2 || got[0] != m.L1.Weight || got[1] != m.L1.Bias {
		t.Errorf("Linear.Parameters() = %v", got)
	}
}

func TestReflectionNested(t *testing.T) {
	d := &Deep{
		Stem:   lin(4, 3),
		Scale:  tensor.Ones(3).SetRequiresGrad(true),
		Blocks: nn.ModuleList{nn.NewSequential(lin(3, 3), nn.ReLU{}), nn.ModuleList{lin(3, 3), nil, lin(3, 3)}},
		Head:   *lin(3, 2),
		Extra:  []*tensor.Tensor{tensor.Zeros(2), nil, tensor.Zeros(5)},
		Act:    nn.ReLU{},
		Heads:  []nn.Linear{*lin(2, 1)},
		hidden: lin(9, 9),
	}
	if got, want := childNames(nn.NamedChildren(d)), "Stem Blocks Head Act Heads"; got != want {
		t.Errorf("NamedChildren = %q, want %q", got, want)
	}
	wantNames := "Scale Extra.0 Extra.2 Stem.Weight Stem.Bias " +
		"Blocks.0.0.Weight Blocks.0.0.Bias Blocks.1.0.Weight Blocks.1.0.Bias Blocks.1.2.Weight Blocks.1.2.Bias " +
		"Head.Weight Head.Bias Heads.0.Weight Heads.0.Bias"
	if got := names(nn.NamedParameters(d)); got != wantNames {
		t.Errorf("NamedParameters =\n%q\nwant\n%q", got, wantNames)
	}
	for _, p := range nn.Parameters(d) {
		if p == d.hidden.Weight || p == d.hidden.Bias {
			t.Error("an unexported field's parameters were listed")
		}
	}
	// Head is stored by value: its parameters must be the struct's own.
	ps := nn.Parameters(d)
	if ps[len(ps)-4] != d.Head.Weight || ps[len(ps)-1] != d.Heads[0].Bias {
		t.Error("a module stored by value should be walked in place")
	}
	want := `Deep(
  (Stem): Linear(in_features=4, out_features=3, bias=True)
  (Blocks): ModuleList(
    (0): Sequential(
      (0): Linear(in_features=3, out_features=3, bias=True)
      (1): ReLU()
    )
    (1): ModuleList(
      (0): Linear(in_features=3, out_features=3, bias=True)
      (2): Linear(in_features=3, out_features=3, bias=True)
    )
  )
  (Head): Linear(in_features=3, out_features=2, bias=True)
  (Act): ReLU()
  (Heads): ModuleList(
    (0): Linear(in_features=2, out_features=1, bias=True)
  )
)`
	if got := nn.Repr(d); got != want {
		t.Errorf("Repr =\n%s\nwant\n%s", got, want)
	}
	// Deep, Stem, Blocks, Sequential, its Linear and ReLU, the inner list and
	// its two Linears (the nil skipped), Head, Act, Heads and its Linear.
	if n := len(nn.Modules(d)); n != 13 {
		t.Errorf("Modules found %d modules, want 13", n)
	}
}

func TestSharedLayerListedOnce(t *testing.T) {
	l := lin(3, 3)
	s := nn.NewSequential(l, nn.ReLU{}, l)
	if got, want := names(nn.NamedParameters(s)), "0.Weight 0.Bias"; got != want {
		t.Errorf("NamedParameters of a shared layer = %q, want %q", got, want)
	}
}

func TestTrainEval(t *testing.T) {
	inner := lin(3, 3)
	m := &SliceModel{Layers: []nn.Module{nn.NewSequential(inner, nn.ReLU{}), lin(3, 2)}}
	if !nn.Training(m) || !inner.IsTraining() {
		t.Fatal("modules must start in training mode, as in PyTorch")
	}
	nn.Train(m, false)
	if nn.Training(m) {
		t.Error("Training(m) after Train(m, false) = true")
	}
	for _, x := range nn.Modules(m) {
		if tr, ok := x.(interface{ IsTraining() bool }); ok && tr.IsTraining() {
			t.Errorf("%s still training after Train(m, false)", nn.Repr(x))
		}
	}
	nn.Train(m, true)
	if !inner.IsTraining() || !nn.Training(m) {
		t.Error("Train(m, true) did not reach a nested layer")
	}
	// A module without Base follows its first descendant that has one.
	list := nn.ModuleList{inner}
	nn.Train(list, false)
	if nn.Training(list) {
		t.Error("Training(ModuleList) should follow its layers")
	}
}

func TestModuleListForwardPanics(t *testing.T) {
	defer func() {
		r := recover()
		if r == nil || !strings.Contains(fmt.Sprint(r), "ModuleList has no Forward") {
			t.Errorf("recover() = %v, want the ModuleList panic", r)
		}
	}()
	nn.ModuleList{nn.ReLU{}}.Forward(tensor.Zeros(1, 1))
}

func TestSequentialForward(t *testing.T) {
	rng := tensor.NewRNG(3)
	l1, l2 := nn.NewLinear(4, 3, rng), nn.NewLinear(3, 2, rng)
	x := tensor.Randn(rng, 5, 4)
	got := nn.NewSequential(l1, nn.ReLU{}, l2).Forward(x).Data()
	// The same by hand: relu(x·W1ᵀ + b1)·W2ᵀ + b2.
	w1, b1, w2, b2 := l1.Weight.Data(), l1.Bias.Data(), l2.Weight.Data(), l2.Bias.Data()
	xd := x.Data()
	for i := range 5 {
		var h [3]float32
		for j := range 3 {
			s := b1[j]
			for k := range 4 {
				s += xd[i*4+k] * w1[j*4+k]
			}
			h[j] = max(s, 0)
		}
		for j := range 2 {
			s := b2[j]
			for k := range 3 {
				s += h[k] * w2[j*3+k]
			}
			if d := got[i*2+j] - s; d > 1e-5 || d < -1e-5 {
				t.Fatalf("Sequential output [%d %d] = %v, want %v", i, j, got[i*2+j], s)
			}
		}
	}
}

// layerPanic runs f and returns the error it panics with (nil if none, or
// if the value is not an error).
func layerPanic(t *testing.T, f func()) (err error) {
	t.Helper()
	defer func() { err, _ = recover().(error) }()
	f()
	return nil
}

// TestLayerNamedInShapeErrors: a wrong hidden size inside a Sequential
// names the layer, its position and its input (it used to say only
// "linear: input [128 128] and weight [10 64] do not match"), and the
// original *tensor.ShapeError is still found with errors.As.
func TestLayerNamedInShapeErrors(t *testing.T) {
	rng := tensor.NewRNG(0)
	model := nn.NewSequential(nn.NewLinear(784, 128, rng), nn.ReLU{}, nn.NewLinear(64, 10, rng))
	err := layerPanic(t, func() { model.Forward(tensor.Zeros(128, 784)) })
	var le *nn.LayerError
	var se *tensor.ShapeError
	if !errors.As(err, &le) || !errors.As(err, &se) {
		t.Fatalf("panic %v is not a *nn.LayerError wrapping a *tensor.ShapeError", err)
	}
	want := "nn: layer (2) Linear(in_features=64, out_features=10, bias=True) got input [128 128]: " +
		"tensor: linear: mat1 and mat2 shapes cannot be multiplied (128x128 and 64x10)"
	if !strings.HasPrefix(err.Error(), want) || le.Path != "2" || se.Op != "linear" {
		t.Errorf("error %q (path %q, op %q), want it to start with %q", err, le.Path, se.Op, want)
	}

	// An image batch that was not flattened: the hint says how.
	err = layerPanic(t, func() { model.Forward(tensor.Zeros(64, 1, 28, 28)) })
	if !errors.As(err, &se) || !strings.Contains(err.Error(), "layer (0) Linear(in_features=784") || !strings.Contains(se.Hint, "x.Reshape(64, -1)") {
		t.Errorf("unflattened batch: %v", err)
	}

	// Nested containers give the path as NamedParameters spells it; a
	// Linear called directly names itself.
	inner := nn.NewSequential(nn.NewLinear(3, 4, rng), nn.NewLinear(5, 2, rng))
	err = layerPanic(t, func() { nn.NewSequential(nn.ReLU{}, inner).Forward(tensor.Zeros(2, 3)) })
	if !errors.As(err, &le) || le.Path != "1.1" || fmt.Sprint(le.Input) != "[2 4]" {
		t.Errorf("nested: %v", err)
	}
	err = layerPanic(t, func() { inner.Layers[1].Forward(tensor.Zeros(2, 3)) })
	if !errors.As(err, &le) || le.Path != "" || !strings.HasPrefix(err.Error(), "nn: Linear(in_features=5, out_features=2, bias=True) got input [2 3]: ") {
		t.Errorf("direct: %v", err)
	}

	// Through a user module holding its layers in a []Module field, the
	// path follows the field names.
	sm := &SliceModel{Layers: []nn.Module{nn.NewLinear(3, 4, rng), nn.ReLU{}, nn.NewLinear(5, 2, rng)}}
	err = layerPanic(t, func() { nn.NewSequential(sm).Forward(tensor.Zeros(2, 3)) })
	if !errors.As(err, &le) || le.Path != "0.Layers.2" || !strings.HasPrefix(err.Error(), "nn: layer (0.Layers.2) Linear(in_features=5") {
		t.Errorf("through a user module: %v", err)
	}

	// Panics that are not errors pass through unchanged.
	defer func() {
		if r := recover(); r != "not an error" {
			t.Errorf("recovered %v, want the original panic", r)
		}
	}()
	nn.NewSequential(panicky{}).Forward(tensor.Zeros(1))
}

type panicky struct{}

func (panicky) Forward(*tensor.Tensor) *tensor.Tensor { panic("not an error") }
