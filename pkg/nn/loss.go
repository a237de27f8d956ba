package nn

import (
	"fmt"
	"math"

	"github.com/fastgo/fastgo/pkg/tensor"
)

// The losses below are fused: each computes its forward on the []float32
// buffers in one pass and registers its backward, written out by hand, with
// tensor.NewOp. They allocate their output and gradient buffers once per call,
// nothing per element.

// LogSoftmax returns log(softmax(x)) over the last dimension, computed stably
// with the LogSumExp trick:
//
//	log_softmax(x)ᵢ = xᵢ − LSE(x),  LSE(x) = m + log Σⱼ exp(xⱼ − m),  m = maxⱼ xⱼ
//
// so no exp ever overflows. Backward: dx = g − softmax(x) · Σⱼ gⱼ, row by row.
func LogSoftmax(x *tensor.Tensor) *tensor.Tensor {
	s := x.Shape()
	if len(s) == 0 || x.Numel() == 0 {
		panic(tensor.NewShapeError("nn.log_softmax", fmt.Sprintf("input must have at least one non-empty dimension, got shape %v", s), "", s))
	}
	c := s[len(s)-1]
	xd := x.Data()
	od := make([]float32, len(xd))
	for r := 0; r < len(xd); r += c {
		row, out := xd[r:r+c], od[r:r+c]
		m, logS := shiftedLogSum(row)
		for j, v := range row {
			out[j] = (v - m) - logS // as PyTorch: exact shift first, then the small log
		}
	}
	out := tensor.New(od, append(tensor.Shape(nil), s...)...)
	return tensor.NewOp(out, "LogSoftmaxBackward0", func(g *tensor.Tensor) {
		gd := g.Data()
		dx := make([]float32, len(gd))
		for r := 0; r < len(gd); r += c {
			var sum float64
			for _, v := range gd[r : r+c] {
				sum += float64(v)
			}
			for j := r; j < r+c; j++ {
				dx[j] = gd[j] - float32(math.Exp(float64(od[j])))*float32(sum)
			}
		}
		x.AccumulateGrad(dx)
	}, x)
}

// LogSumExp returns log Σⱼ exp(xⱼ) over the last dimension ([n c] → [n]),
// computed stably as m + log Σⱼ exp(xⱼ − m) with m the row maximum (PyTorch's
// x.logsumexp(-1)). It is tensor's differentiable LogSumExp on the last
// dimension, named here beside the losses built on it.
func LogSumExp(x *tensor.Tensor) *tensor.Tensor {
	if x.Dim() == 0 {
		panic(tensor.NewShapeError("nn.logsumexp", fmt.Sprintf("input must have at least one dimension, got shape %v", x.Shape()), "", x.Shape()))
	}
	return x.LogSumExp(x.Dim()-1, false)
}

// shiftedLogSum returns m = max(row) and log Σ exp(v − m), so that
// LSE(row) = m + logS; every exp is of a number ≤ 0 and cannot overflow.
func shiftedLogSum(row []float32) (m, logS float32) {
	m = row[0]
	for _, v := range row[1:] {
		if v > m {
			m = v
		}
	}
	if math.IsInf(float64(m), 0) {
		return m, 0 // all −Inf, or a +Inf that dominates: no finite shift exists
	}
	var buf [64]float32 // the exps themselves are not needed: a stack buffer, chunk by chunk
	var sum float64
	for len(row) > 0 {
		k := min(len(row), len(buf))
		sum += expShifted(buf[:k], row[:k], m)
		row = row[k:]
	}
	return m, float32(math.Log(sum))
}

// batchClasses checks that logits are [batch classes] and target is [batch].
func batchClasses(op string, x, target *tensor.Tensor) (n, c int) {
	s := x.Shape()
	if len(s) != 2 || s[0] == 0 || s[1] == 0 {
		panic(tensor.NewShapeError("nn."+op, fmt.Sprintf("input must be 2-D [batch classes], got shape %v", s), "", s, target.Shape()))
	}
	n, c = s[0], s[1]
	if ts := target.Shape(); len(ts) != 1 || ts[0] != n {
		hint := ""
		if ts.Numel() == n {
			hint = fmt.Sprintf("target.Reshape(%d) gives one class index per row", n)
		}
		panic(tensor.NewShapeError("nn."+op, fmt.Sprintf("target must have shape [%d] (one class index per row of input %v), got shape %v", n, s, ts), hint, s, ts))
	}
	return n, c
}

// label returns target value i as a class index in [0, c), or panics naming
// the label and the number of classes.
func label(op string, td []float32, i, c int) int {
	v := td[i]
	k := int(v)
	if float32(k) != v || k < 0 || k >= c {
		panic(tensor.NewUsageError("nn."+op, "target[%d] = %v is not a class index in [0, %d): the input has %d classes", i, v, c, c))
	}
	return k
}

// NLL is the negative log likelihood loss over a batch (PyTorch's nll_loss),
// the mean of −logp[i, target[i]]:
//
//	nll = −(1/n) Σᵢ logp[i, tᵢ]
//
// logp has shape [n classes] (usually LogSoftmax's output), target [n] holds
// class indices. Backward puts −g/n at each [i, tᵢ] and 0 elsewhere.
func NLL(logp, target *tensor.Tensor) *tensor.Tensor {
	n, c := batchClasses("nll", logp, target)
	ld, td := logp.Data(), target.Data()
	var sum float64
	for i := range n {
		sum += float64(ld[i*c+label("nll", td, i, c)])
	}
	out := tensor.Scalar(float32(-sum / float64(n)))
	return tensor.NewOp(out, "NllLossBackward0", func(g *tensor.Tensor) {
		v := -g.Data()[0] / float32(n)
		dx := make([]float32, n*c)
		for i := range n {
			dx[i*c+int(td[i])] = v
		}
		logp.AccumulateGrad(dx)
	}, logp)
}

// CrossEntropy is NLL(LogSoftmax(logits), target) fused into one stable op
// (PyTorch's F.cross_entropy): logits [n classes], target [n] class indices,
//
//	loss = (1/n) Σᵢ (LSE(xᵢ) − xᵢ[tᵢ])
//
// and its gradient is computed directly, with no graph of small ops:
//
//	dloss/dxᵢⱼ = (softmax(xᵢ)ⱼ − [j = tᵢ]) / n
func CrossEntropy(logits, target *tensor.Tensor) *tensor.Tensor {
	n, c := batchClasses("cross_entropy", logits, target)
	xd, td := logits.Data(), target.Data()
	probs := make([]float32, n*c) // softmax, kept for the backward
	// LSE(xᵢ) − xᵢ[tᵢ] = log sᵢ − (xᵢ[tᵢ] − mᵢ), with sᵢ = Σⱼ exp(xᵢⱼ − mᵢ)
	// in [1, c]: both terms are small. The logs are summed as the log of
	// the product of the sᵢ (one log per batch, not per row), kept as
	// mantissa·2^exp so that it never overflows.
	var shifted float64  // Σᵢ (xᵢ[tᵢ] − mᵢ)
	prod, exp2 := 1.0, 0 // Πᵢ sᵢ = prod·2^exp2
	for i := range n {
		row := xd[i*c : (i+1)*c]
		p := probs[i*c : i*c+len(row)] // same length as row: no bounds checks below
		k := label("cross_entropy", td, i, c)
		m := row[0]
		for _, v := range row[1:] {
			if v > m { // not the max builtin: its NaN and ±0 rules cost 3x here
				m = v
			}
		}
		s := expShifted(p, row, m)
		inv := float32(1 / s)
		for j := range p {
			p[j] *= inv
		}
		shifted += float64(row[k] - m)
		if prod *= s; prod > 0x1p500 {
			var e int
			prod, e = math.Frexp(prod)
			exp2 += e
		}
	}
	sum := math.Log(prod) + float64(exp2)*math.Ln2 - shifted
	out := tensor.Scalar(float32(sum / float64(n)))
	return tensor.NewOp(out, "NllLossBackward0", func(g *tensor.Tensor) {
		// Into a new buffer, not over probs: with tensor.RetainGraph the
		// same backward may run again.
		scale := g.Data()[0] / float32(n)
		dx := make([]float32, len(probs))
		for i := range n {
			p, d := probs[i*c:(i+1)*c], dx[i*c:(i+1)*c]
			for j := range d {
				d[j] = p[j] * scale
			}
			d[int(td[i])] -= scale
		}
		logits.AccumulateGrad(dx)
	}, logits)
}

// MSE is the mean squared error (PyTorch's mse_loss), mean((pred − target)²).
// pred and target must hold the same number of elements and the same shape
// apart from dimensions of size 1 (so a [n 1] prediction matches a [n]
// target, the squeeze lesson 02 does by hand). Backward: dpred = 2(pred −
// target)·g/N, and its negative for target if target requires grad.
func MSE(pred, target *tensor.Tensor) *tensor.Tensor {
	if !sameIgnoringOnes(pred.Shape(), target.Shape()) {
		panic(tensor.NewShapeError("nn.mse", fmt.Sprintf("shapes %v and %v differ", pred.Shape(), target.Shape()), "", pred.Shape(), target.Shape()))
	}
	pd, td := pred.Data(), target.Data()
	N := len(pd)
	if N == 0 {
		panic(tensor.NewShapeError("nn.mse", "empty input", "", pred.Shape(), target.Shape()))
	}
	var sum float64
	for i, p := range pd {
		d := float64(p - td[i])
		sum += d * d
	}
	out := tensor.Scalar(float32(sum / float64(N)))
	return tensor.NewOp(out, "MseLossBackward0", func(g *tensor.Tensor) {
		scale := 2 * g.Data()[0] / float32(N)
		d := make([]float32, N)
		for i, p := range pd {
			d[i] = (p - td[i]) * scale
		}
		if pred.RequiresGrad() {
			pred.AccumulateGrad(d)
		}
		if target.RequiresGrad() {
			for i := range d {
				d[i] = -d[i]
			}
			target.AccumulateGrad(d)
		}
	}, pred, target)
}

func sameIgnoringOnes(a, b tensor.Shape) bool {
	strip := func(s tensor.Shape) []int {
		var out []int
		for _, d := range s {
			if d != 1 {
				out = append(out, d)
			}
		}
		return out
	}
	x, y := strip(a), strip(b)
	if len(x) != len(y) {
		return false
	}
	for i := range x {
		if x[i] != y[i] {
			return false
		}
	}
	return true
}
