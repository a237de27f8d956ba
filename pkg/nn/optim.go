package nn

import (
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"

	"github.com/fastgo/fastgo/pkg/tensor"
)

// Optimizer updates parameters from their gradients (PyTorch's
// torch.optim.Optimizer).
//
// Backward adds into the gradients, it never replaces them, so a training
// step is always
//
//	loss.Backward()
//	opt.Step()
//	opt.ZeroGrad()
//
// Forgetting ZeroGrad gives no error: every Step then also applies the
// gradients of all the batches before it, the steps grow, and training
// ends at chance accuracy (about 0.10 on MNIST) or with a NaN loss. SGD's
// CheckZeroGrad reports it. Leaving ZeroGrad out on purpose for a few
// batches is gradient accumulation: k Backward calls then one Step is one
// step on the sum of the k batches' losses.
type Optimizer interface {
	// Step updates every parameter that has a gradient.
	Step()
	// ZeroGrad sets every parameter's gradient to zero; call it after
	// every Step.
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
		panic(tensor.NewUsageError("nn.ParamGroup", "parameter group has no hyper-parameter %q (it has %s)", name,
			strings.Join(slices.Sorted(maps.Keys(g.Hypers)), ", ")))
	}
	return v
}

// SetHyper sets the named hyper-parameter. Like Hyper, it panics, listing
// the names the group has, when there is no such name: a scheduler given a
// misspelt "lr" would otherwise set a name no optimizer reads, and train at
// the constant rate with no hint. A new name goes into Hypers directly.
func (g *ParamGroup) SetHyper(name string, v float64) {
	g.Hyper(name)
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
	bufs   [][]*tensor.Tensor // momentum buffers per group, per parameter; nil until first used

	check  GradCheck
	warned bool
	// zeroed[group][param] is the parameter's GradZeroCount at its last
	// update, plus one (0: never updated).
	zeroed [][]uint64
}

// GradCheck says what SGD.Step does when it finds a gradient that was not
// zeroed since the previous Step (see CheckZeroGrad).
type GradCheck uint8

const (
	// GradCheckOff does not check (the default).
	GradCheckOff GradCheck = iota
	// GradCheckWarn prints a warning to standard error, once per optimizer.
	GradCheckWarn
	// GradCheckPanic panics with the same message, at the first such Step.
	GradCheckPanic
)

// CheckZeroGrad turns on a check in Step and returns o: a parameter whose
// gradient was not zeroed since the previous Step (no ZeroGrad, neither
// the optimizer's nor the tensor's, nor Zero on its Grad view) means this
// Step applies gradients that the previous one already applied. That is
// the silent mistake of a forgotten ZeroGrad, and of a callback whose
// AfterStep returns true (which tells the Runner to skip ZeroGrad). The
// check costs one comparison per parameter and Step. Turn it off for
// deliberate gradient accumulation across Steps.
func (o *SGD) CheckZeroGrad(c GradCheck) *SGD {
	o.check = c
	return o
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
		panic(tensor.NewUsageError("nn.NewSGD", "empty parameter list (Parameters only sees exported fields: name a layer L1, not l1)"))
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
			panic(tensor.NewUsageError("nn.SGD", "parameter %d of group %d is nil", i, len(o.groups)))
		}
	}
	if len(o.groups) > 0 {
		if g.Hypers == nil {
			g.Hypers = map[string]float64{}
		}
		for k, v := range o.groups[0].Hypers {
			if _, ok := g.Hypers[k]; !ok {
				g.Hypers[k] = v
			}
		}
	}
	checkSGD(g, len(o.groups))
	o.groups = append(o.groups, g)
	o.bufs = append(o.bufs, make([]*tensor.Tensor, len(g.Params)))
	o.zeroed = append(o.zeroed, make([]uint64, len(g.Params)))
}

func checkSGD(g *ParamGroup, i int) {
	if lr := g.Hyper("lr"); lr < 0 {
		panic(tensor.NewUsageError("nn.SGD", "group %d: invalid learning rate %v", i, lr))
	}
	if g.Hyper("nesterov") != 0 && (g.Hyper("momentum") <= 0 || g.Hyper("dampening") != 0) {
		panic(tensor.NewUsageError("nn.SGD", "group %d: Nesterov momentum requires a momentum and zero dampening (momentum %v, dampening %v)",
			i, g.Hyper("momentum"), g.Hyper("dampening")))
	}
}

// ParamGroups returns the optimizer's groups; changing their Hypers changes
// the next Step.
func (o *SGD) ParamGroups() []*ParamGroup { return o.groups }

// Step applies one update to every parameter that has a gradient, in place,
// with autograd off. It does not zero the gradients: call ZeroGrad after it.
func (o *SGD) Step() {
	tensor.NoGrad(func() {
		for gi, g := range o.groups {
			checkSGD(g, gi) // a scheduler may have changed the hypers
			h := sgdHypers{
				lr:       float32(g.Hyper("lr")),
				mom:      float32(g.Hyper("momentum")),
				keep:     float32(1 - g.Hyper("dampening")), // PyTorch rounds 1−dampening once, as here
				wd:       float32(g.Hyper("weight_decay")),
				nesterov: g.Hyper("nesterov") != 0,
			}
			for pi, p := range g.Params {
				gr := p.Grad()
				if gr == nil {
					continue
				}
				o.checkZeroed(gi, pi, p)
				o.update(p, gr, &o.bufs[gi][pi], h)
			}
		}
	})
}

// checkZeroed applies the CheckZeroGrad check to parameter pi of group gi.
func (o *SGD) checkZeroed(gi, pi int, p *tensor.Tensor) {
	z := p.GradZeroCount() + 1
	last := o.zeroed[gi][pi]
	o.zeroed[gi][pi] = z
	if o.check == GradCheckOff || last != z || (o.warned && o.check == GradCheckWarn) {
		return
	}
	err := tensor.NewUsageError("nn.SGD.Step", "the gradient of parameter %d of group %d (shape %v) was not zeroed since the previous Step, "+
		"so this Step applies the previous batches' gradients again. Call opt.ZeroGrad() after every Step "+
		"(in a Runner, a callback whose AfterStep returns true skips it)", pi, gi, p.Shape())
	if o.check == GradCheckPanic {
		panic(err)
	}
	o.warned = true
	fmt.Fprintln(os.Stderr, err.Error()+"; this warning is shown once.")
}

type sgdHypers struct {
	lr, mom, keep, wd float32
	nesterov          bool
}

// update is one parameter's step. The loops run over contiguous float32
// with bounds checks hoisted; the plain lesson update p −= lr·g is one
// AddInPlace (a vectorised axpy).
func (o *SGD) update(p, gr *tensor.Tensor, bufp **tensor.Tensor, h sgdHypers) {
	gd := gr.Data()
	pd := p.Data()[:len(gd)]
	lr, mom, keep, wd := h.lr, h.mom, h.keep, h.wd
	if mom == 0 {
		if wd == 0 {
			p.AddInPlace(gr, -lr)
			return
		}
		for i, g := range gd {
			g += wd * pd[i]
			pd[i] -= lr * g
		}
		return
	}
	if *bufp == nil { // first step: the buffer starts as the gradient itself
		*bufp = tensor.Zeros(p.Shape()...)
		buf := (*bufp).Data()[:len(gd)]
		for i, g := range gd {
			buf[i] = g + wd*pd[i]
		}
	} else {
		buf := (*bufp).Data()[:len(gd)]
		for i, g := range gd {
			buf[i] = mom*buf[i] + keep*(g+wd*pd[i])
		}
	}
	if !h.nesterov {
		p.AddInPlace(*bufp, -lr)
		return
	}
	buf := (*bufp).Data()[:len(gd)]
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
