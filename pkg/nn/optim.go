package nn

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"gonum.org/v1/gonum/blas/blas32"

	"github.com/fastgo/fastgo/pkg/tensor"
)

// Optimizer updates parameters from their gradients (PyTorch's
// torch.optim.Optimizer).
type Optimizer interface {
	// Step updates every parameter that has a gradient.
	Step()
	// ZeroGrad sets every parameter's gradient to zero.
	ZeroGrad()
	// ParamGroups returns the groups of parameters with their
	// hyper-parameters, for schedulers to read and set.
	ParamGroups() []*ParamGroup
}

// ParamGroup is a set of parameters sharing hyper-parameters, kept by name
// ("lr", "momentum", ...) so that a scheduler can set any of them without
// knowing the optimizer's type, as PyTorch's param_groups dictionaries.
type ParamGroup struct {
	Params []*tensor.Tensor
	Hypers map[string]float64
}

// Hyper returns the named hyper-parameter; it panics, listing the names the
// group has, when there is no such name (a misspelt "lr" fails loudly).
func (g *ParamGroup) Hyper(name string) float64 {
	v, ok := g.Hypers[name]
	if !ok {
		panic(fmt.Sprintf("nn: parameter group has no hyper-parameter %q (it has %s)", name,
			strings.Join(slices.Sorted(maps.Keys(g.Hypers)), ", ")))
	}
	return v
}

// SetHyper sets the named hyper-parameter, creating it if needed.
func (g *ParamGroup) SetHyper(name string, v float64) {
	if g.Hypers == nil {
		g.Hypers = map[string]float64{}
	}
	g.Hypers[name] = v
}

// SGD is stochastic gradient descent with PyTorch's options (torch.optim.SGD).
// For each parameter p with gradient g, per step:
//
//	g   = g + weight_decay·p                              if weight_decay ≠ 0
//	buf = g (first step), else momentum·buf + (1 − dampening)·g   if momentum ≠ 0
//	g   = g + momentum·buf if nesterov, else buf           if momentum ≠ 0
//	p   = p − lr·g
//
// Its hyper-parameters per group are "lr", "momentum", "dampening",
// "weight_decay" and "nesterov" (0 or 1). The lesson's hand-written optimizer
// is the case momentum = weight_decay = 0: p −= lr·g.
type SGD struct {
	groups []*ParamGroup
	bufs   [][][]float32 // momentum buffers per group, per parameter; nil until first used
}

// SGDOption sets a hyper-parameter of NewSGD's parameter group.
type SGDOption func(*ParamGroup)

// Momentum sets the momentum factor (default 0: none).
func Momentum(m float64) SGDOption { return func(g *ParamGroup) { g.SetHyper("momentum", m) } }

// Dampening sets the dampening of the momentum (default 0).
func Dampening(d float64) SGDOption { return func(g *ParamGroup) { g.SetHyper("dampening", d) } }

// WeightDecay sets the L2 penalty added to the gradient (default 0).
func WeightDecay(wd float64) SGDOption { return func(g *ParamGroup) { g.SetHyper("weight_decay", wd) } }

// Nesterov turns on Nesterov momentum; like PyTorch it needs momentum > 0 and
// dampening 0.
func Nesterov() SGDOption { return func(g *ParamGroup) { g.SetHyper("nesterov", 1) } }

// NewSGD returns an SGD optimizer over params (usually Parameters(model))
// with learning rate lr, in one parameter group. The slice is kept: no
// reflection happens in Step.
func NewSGD(params []*tensor.Tensor, lr float64, opts ...SGDOption) *SGD {
	if len(params) == 0 {
		// As PyTorch's "optimizer got an empty parameter list", plus the Go trap.
		panic("nn: NewSGD: empty parameter list (Parameters only sees exported fields: name a layer L1, not l1)")
	}
	g := &ParamGroup{Params: params, Hypers: map[string]float64{
		"lr": lr, "momentum": 0, "dampening": 0, "weight_decay": 0, "nesterov": 0,
	}}
	for _, o := range opts {
		o(g)
	}
	o := &SGD{}
	o.AddParamGroup(g)
	return o
}

// AddParamGroup adds a group (for example a layer with its own learning
// rate); hyper-parameters it does not set are taken from the first group.
func (o *SGD) AddParamGroup(g *ParamGroup) {
	for i, p := range g.Params {
		if p == nil {
			panic(fmt.Sprintf("nn: SGD: parameter %d of group %d is nil", i, len(o.groups)))
		}
	}
	if len(o.groups) > 0 {
		for k, v := range o.groups[0].Hypers {
			if _, ok := g.Hypers[k]; !ok {
				g.SetHyper(k, v)
			}
		}
	}
	checkSGD(g, len(o.groups))
	o.groups = append(o.groups, g)
	o.bufs = append(o.bufs, make([][]float32, len(g.Params)))
}

func checkSGD(g *ParamGroup, i int) {
	if lr := g.Hyper("lr"); lr < 0 {
		panic(fmt.Sprintf("nn: SGD group %d: invalid learning rate %v", i, lr))
	}
	if g.Hyper("nesterov") != 0 && (g.Hyper("momentum") <= 0 || g.Hyper("dampening") != 0) {
		panic(fmt.Sprintf("nn: SGD group %d: Nesterov momentum requires a momentum and zero dampening (momentum %v, dampening %v)",
			i, g.Hyper("momentum"), g.Hyper("dampening")))
	}
}

// ParamGroups returns the optimizer's groups; changing their Hypers changes
// the next Step.
func (o *SGD) ParamGroups() []*ParamGroup { return o.groups }

// Step applies one update to every parameter that has a gradient, in place on
// its Data(), with autograd off.
func (o *SGD) Step() {
	tensor.NoGrad(func() {
		for gi, g := range o.groups {
			checkSGD(g, gi) // a scheduler may have changed the hypers
			lr := float32(g.Hyper("lr"))
			mom := float32(g.Hyper("momentum"))
			keep := float32(1 - g.Hyper("dampening")) // PyTorch rounds 1−dampening once, as here
			wd := float32(g.Hyper("weight_decay"))
			nesterov := g.Hyper("nesterov") != 0
			for pi, p := range g.Params {
				gr := p.Grad()
				if gr == nil {
					continue
				}
				o.update(p.Data(), gr.Data(), &o.bufs[gi][pi], lr, mom, keep, wd, nesterov)
			}
		}
	})
}

// update is one parameter's step. All loops run over contiguous float32
// with bounds checks hoisted; the plain lesson update p −= lr·g is a BLAS axpy.
func (o *SGD) update(pd, gd []float32, bufp *[]float32, lr, mom, keep, wd float32, nesterov bool) {
	if len(pd) != len(gd) {
		panic(fmt.Sprintf("nn: SGD: gradient has %d elements for a parameter of %d", len(gd), len(pd)))
	}
	if mom == 0 {
		if wd == 0 {
			blas32.Implementation().Saxpy(len(pd), -lr, gd, 1, pd, 1)
			return
		}
		for i, g := range gd {
			g += wd * pd[i]
			pd[i] -= lr * g
		}
		return
	}
	buf := *bufp
	if buf == nil { // first step: the buffer starts as the gradient itself
		buf = make([]float32, len(pd))
		*bufp = buf
		for i, g := range gd {
			buf[i] = g + wd*pd[i]
		}
	} else {
		buf = buf[:len(gd)]
		for i, g := range gd {
			buf[i] = mom*buf[i] + keep*(g+wd*pd[i])
		}
	}
	buf = buf[:len(pd)]
	if !nesterov {
		blas32.Implementation().Saxpy(len(pd), -lr, buf, 1, pd, 1)
		return
	}
	for i, g := range gd {
		g += wd * pd[i] // the same sum as above, in PyTorch's order
		g += mom * buf[i]
		pd[i] -= lr * g
	}
}

// ZeroGrad zeroes the gradient of every parameter.
func (o *SGD) ZeroGrad() {
	for _, g := range o.groups {
		for _, p := range g.Params {
			p.ZeroGrad()
		}
	}
}
