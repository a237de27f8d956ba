package nn

import (
	"reflect"
	"strconv"
	"strings"

	"github.com/fastgo/fastgo/pkg/tensor"
)

// Module is anything that maps a batch to a batch: the Go counterpart of
// nn.Module.__call__. Parameters, children and printing come from the package
// functions (Parameters, NamedChildren, Repr, ...), which read a module's
// exported fields by reflection, so a user's struct needs nothing but Forward.
type Module interface {
	// Forward computes the module's output for the input x.
	Forward(x *tensor.Tensor) *tensor.Tensor
}

// Child is a named sub-module, as returned by NamedChildren: Name is the
// struct field's name, or the index ("0", "1", ...) inside a ModuleList or
// Sequential.
type Child struct {
	Name   string
	Module Module
}

// NamedParam is a parameter with its dotted path from the root module, such as
// "L1.Weight" or "0.Bias" (PyTorch's named_parameters).
type NamedParam struct {
	Name  string
	Param *tensor.Tensor
}

// ExtraReprer is implemented by modules that print settings inside their
// parentheses, as PyTorch's extra_repr: Linear prints
// "in_features=784, out_features=50, bias=True".
type ExtraReprer interface {
	ExtraRepr() string
}

// Base holds the training/evaluation flag (PyTorch's module.training). Embed it
// in a module that behaves differently in the two modes; Train and Training
// find it. The zero value means training, PyTorch's default.
type Base struct {
	eval bool
}

// SetTraining sets this module's own flag only; use Train to set a whole model.
func (b *Base) SetTraining(on bool) { b.eval = !on }

// IsTraining reports this module's own flag.
func (b *Base) IsTraining() bool { return !b.eval }

var (
	tensorType = reflect.TypeFor[*tensor.Tensor]()
	moduleType = reflect.TypeFor[Module]()
)

// members lists m's own parameters and its direct children, in field order.
func members(m Module) (params []NamedParam, children []Child) {
	var w walker
	w.module(m)
	return w.params, w.children
}

type walker struct {
	params   []NamedParam
	children []Child
}

func (w *walker) list(prefix string, ms []Module) {
	for i, c := range ms {
		if !isNil(c) {
			w.children = append(w.children, Child{prefix + strconv.Itoa(i), c})
		}
	}
}

// module adds the members of m. The library's containers name their children
// by position; everything else is read field by field.
func (w *walker) module(m Module) {
	switch c := m.(type) {
	case ModuleList:
		w.list("", c)
		return
	case *ModuleList:
		if c != nil {
			w.list("", *c)
		}
		return
	case *Sequential:
		if c != nil {
			w.list("", c.Layers)
		}
		return
	}
	w.fields(reflect.ValueOf(m))
}

// fields adds the exported fields of the struct v (or v points to).
func (w *walker) fields(v reflect.Value) {
	for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
		if v.IsNil() {
			return
		}
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		return
	}
	t := v.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		fv := v.Field(i)
		if f.Anonymous {
			// Embedding is Go's subclassing: the embedded value's members
			// become the outer struct's own.
			if m, ok := asModule(fv); ok {
				w.module(m)
			} else {
				w.fields(fv)
			}
			continue
		}
		w.field(f.Name, fv)
	}
}

// field classifies one exported, non-embedded field.
func (w *walker) field(name string, fv reflect.Value) {
	if fv.Type() == tensorType {
		if !fv.IsNil() {
			w.params = append(w.params, NamedParam{name, fv.Interface().(*tensor.Tensor)})
		}
		return
	}
	if m, ok := asModule(fv); ok {
		w.children = append(w.children, Child{name, m})
		return
	}
	if k := fv.Kind(); k != reflect.Slice && k != reflect.Array {
		return
	}
	// A slice of tensors is a list of parameters; a slice of modules is a
	// child, shown (and walked) as a ModuleList of its elements.
	elem := fv.Type().Elem()
	switch {
	case elem == tensorType:
		for i := range fv.Len() {
			if p := fv.Index(i); !p.IsNil() {
				w.params = append(w.params, NamedParam{name + "." + strconv.Itoa(i), p.Interface().(*tensor.Tensor)})
			}
		}
	case elem.Implements(moduleType) || reflect.PointerTo(elem).Implements(moduleType):
		var list ModuleList
		for i := range fv.Len() {
			m, ok := asModule(fv.Index(i))
			if !ok {
				m = nil // keep positions: a nil entry is skipped but numbered
			}
			list = append(list, m)
		}
		w.children = append(w.children, Child{name, list})
	}
}

// asModule returns the Module held in v, taking v's address when only the
// pointer has Forward (a Linear stored by value in a struct).
func asModule(v reflect.Value) (Module, bool) {
	if !v.IsValid() {
		return nil, false
	}
	if v.Kind() == reflect.Interface {
		if v.IsNil() {
			return nil, false
		}
		v = v.Elem() // the dynamic value, e.g. the *Linear in a Module field
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Slice, reflect.Map, reflect.Func:
		if v.IsNil() {
			return nil, false
		}
	}
	if v.Type().Implements(moduleType) && v.CanInterface() {
		return v.Interface().(Module), true
	}
	if v.CanAddr() && reflect.PointerTo(v.Type()).Implements(moduleType) {
		return v.Addr().Interface().(Module), true
	}
	return nil, false
}

func isNil(m Module) bool {
	if m == nil {
		return true
	}
	v := reflect.ValueOf(m)
	switch v.Kind() {
	case reflect.Pointer, reflect.Slice, reflect.Map, reflect.Func, reflect.Interface:
		return v.IsNil()
	}
	return false
}

// NamedChildren returns m's direct sub-modules in field order (PyTorch's
// named_children). Names are field names; inside ModuleList and Sequential they
// are positions "0", "1", ...; a field holding a slice of modules is one child
// whose value is a ModuleList of the elements.
func NamedChildren(m Module) []Child {
	_, c := members(m)
	return c
}

// Children returns m's direct sub-modules in order (PyTorch's children).
func Children(m Module) []Module {
	cs := NamedChildren(m)
	out := make([]Module, len(cs))
	for i, c := range cs {
		out[i] = c.Module
	}
	return out
}

// NamedParameters returns every parameter of m and its descendants with its
// dotted path: m's own parameters first, then each child's, depth first, in
// field order (PyTorch's named_parameters). A tensor reachable twice (a shared
// layer) is listed once, under its first name.
func NamedParameters(m Module) []NamedParam {
	var out []NamedParam
	seen := map[*tensor.Tensor]bool{}
	var walk func(prefix string, m Module, depth int)
	walk = func(prefix string, m Module, depth int) {
		checkDepth(m, depth)
		ps, cs := members(m)
		for _, p := range ps {
			if !seen[p.Param] {
				seen[p.Param] = true
				out = append(out, NamedParam{prefix + p.Name, p.Param})
			}
		}
		for _, c := range cs {
			walk(prefix+c.Name+".", c.Module, depth+1)
		}
	}
	walk("", m, 0)
	return out
}

// Parameters returns the tensors an optimizer should update, in the order of
// NamedParameters (PyTorch's parameters()). Call it once and keep the slice:
// it uses reflection.
func Parameters(m Module) []*tensor.Tensor {
	nps := NamedParameters(m)
	out := make([]*tensor.Tensor, len(nps))
	for i, p := range nps {
		out[i] = p.Param
	}
	return out
}

// Modules returns m and all its descendants, depth first (PyTorch's modules()).
func Modules(m Module) []Module {
	var out []Module
	var walk func(m Module, depth int)
	walk = func(m Module, depth int) {
		checkDepth(m, depth)
		out = append(out, m)
		for _, c := range NamedChildren(m) {
			walk(c.Module, depth+1)
		}
	}
	walk(m, 0)
	return out
}

// maxDepth guards the recursive walks against a module that contains itself.
const maxDepth = 1000

func checkDepth(m Module, depth int) {
	if depth > maxDepth {
		panic(tensor.NewUsageError("nn.Module", "module nesting deeper than %d at %s: does a module contain itself?", maxDepth, typeName(m)))
	}
}

// Train puts m and every descendant that embeds Base into training mode
// (on = true) or evaluation mode (on = false), like PyTorch's model.train(on)
// and model.eval().
func Train(m Module, on bool) {
	for _, x := range Modules(m) {
		if t, ok := x.(interface{ SetTraining(bool) }); ok {
			t.SetTraining(on)
		}
	}
}

// Training reports whether m is in training mode: m's own flag when it embeds
// Base, otherwise the flag of its first descendant that does, otherwise true
// (a module with no mode-dependent layer is always "training").
func Training(m Module) bool {
	for _, x := range Modules(m) {
		if t, ok := x.(interface{ IsTraining() bool }); ok {
			return t.IsTraining()
		}
	}
	return true
}

// typeName is the module's Go type name without package or pointer, as
// PyTorch prints the class name.
func typeName(m Module) string {
	t := reflect.TypeOf(m)
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil {
		return "nil"
	}
	if n := t.Name(); n != "" {
		if i := strings.IndexByte(n, '['); i >= 0 { // generic instantiation
			n = n[:i]
		}
		return n
	}
	return "Module"
}

// Repr prints m the way PyTorch prints a module: its type name, its
// ExtraRepr in parentheses, and each child on its own line as "(name): repr",
// nested children indented by two spaces per level:
//
//	Sequential(
//	  (0): Linear(in_features=784, out_features=50, bias=True)
//	  (1): ReLU()
//	  (2): Linear(in_features=50, out_features=10, bias=True)
//	)
func Repr(m Module) string { return repr(m, 0) }

func repr(m Module, depth int) string {
	checkDepth(m, depth)
	var extra []string
	if e, ok := m.(ExtraReprer); ok {
		if s := e.ExtraRepr(); s != "" {
			extra = strings.Split(s, "\n")
		}
	}
	var lines []string
	lines = append(lines, extra...)
	children := NamedChildren(m)
	for _, c := range children {
		lines = append(lines, "("+c.Name+"): "+addIndent(repr(c.Module, depth+1), 2))
	}
	var b strings.Builder
	b.WriteString(typeName(m))
	b.WriteByte('(')
	switch {
	case len(extra) == 1 && len(children) == 0:
		b.WriteString(extra[0])
	case len(lines) > 0:
		b.WriteString("\n  ")
		b.WriteString(strings.Join(lines, "\n  "))
		b.WriteByte('\n')
	}
	b.WriteByte(')')
	return b.String()
}

// addIndent indents every line but the first, as torch.nn.modules.module._addindent.
func addIndent(s string, n int) string {
	return strings.ReplaceAll(s, "\n", "\n"+strings.Repeat(" ", n))
}
