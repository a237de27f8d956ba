package tensor

import (
	"math"
	"strconv"
	"strings"
)

// Printing follows torch/_tensor_str.py (PyTorch 1.13) so that notebook
// output reads like the lecture's: 4 decimals, a common width per tensor,
// integral floats as "1.", scientific notation when values span more than
// three orders of magnitude, and summaries with "..." past 1000 elements.

const (
	printThreshold = 1000 // more elements than this are summarised
	printEdgeItems = 3    // items shown at each end of a summarised dimension
	printLineWidth = 80
	printPrecision = 4
)

// formatter decides one number format for a whole tensor.
type formatter struct {
	isInt    bool
	intMode  bool
	sciMode  bool
	maxWidth int
}

func newFormatter(vals []float32, isInt bool) *formatter {
	f := &formatter{isInt: isInt, intMode: true, maxWidth: 1}
	if isInt {
		for _, v := range vals {
			f.maxWidth = max(f.maxWidth, len(strconv.FormatInt(int64(v), 10)))
		}
		return f
	}
	lo, hi := math.Inf(1), 0.0
	var finite []float64
	for _, v := range vals {
		x := float64(v)
		if math.IsInf(x, 0) || math.IsNaN(x) || x == 0 {
			continue
		}
		finite = append(finite, x)
		lo, hi = min(lo, math.Abs(x)), max(hi, math.Abs(x))
		if x != math.Ceil(x) {
			f.intMode = false
		}
	}
	if len(finite) == 0 {
		return f
	}
	if f.intMode {
		if hi/lo > 1000 || hi > 1e8 {
			f.sciMode = true
		}
	} else if hi/lo > 1000 || hi > 1e8 || lo < 1e-4 {
		f.sciMode = true
	}
	for _, x := range finite {
		f.maxWidth = max(f.maxWidth, len(f.finite(x)))
	}
	return f
}

// finite formats a finite value of a Float32 tensor in the formatter's mode.
func (f *formatter) finite(x float64) string {
	switch {
	case f.sciMode:
		return pyExp(x)
	case f.intMode:
		return strconv.FormatFloat(x, 'f', 0, 64) + "."
	default:
		return strconv.FormatFloat(x, 'f', printPrecision, 64)
	}
}

// pyExp formats like Python's '{:.4e}'.
func pyExp(x float64) string { return strconv.FormatFloat(x, 'e', printPrecision, 64) }

func (f *formatter) format(v float32) string {
	x := float64(v)
	var s string
	switch {
	case f.isInt:
		s = strconv.FormatInt(int64(v), 10)
	case math.IsNaN(x):
		s = "nan"
	case math.IsInf(x, 1):
		s = "inf"
	case math.IsInf(x, -1):
		s = "-inf"
	default:
		s = f.finite(x)
	}
	if pad := f.maxWidth - len(s); pad > 0 {
		s = strings.Repeat(" ", pad) + s
	}
	return s
}

// summarized returns the values that a summarised print shows, for sizing
// the format.
func summarized(data []float32, shape Shape) []float32 {
	if len(shape) == 0 {
		return data
	}
	n := shape[0]
	rs := 0
	if n > 0 {
		rs = len(data) / n
	}
	var rows []int
	if n > 2*printEdgeItems {
		rows = []int{0, 1, 2, n - 3, n - 2, n - 1}
	} else {
		for i := 0; i < n; i++ {
			rows = append(rows, i)
		}
	}
	var out []float32
	for _, r := range rows {
		out = append(out, summarized(data[r*rs:(r+1)*rs], shape[1:])...)
	}
	return out
}

// String prints t like PyTorch: tensor([5, 0, 4]), tensor([0.1000, 2.3026]),
// 2-D tensors as aligned rows, long tensors summarised with "...". A
// parameter ends with ", requires_grad=True", the result of a recorded op
// with its backward node, tensor(2.3086, grad_fn=<NllLossBackward0>).
func (t *Tensor) String() string {
	var b strings.Builder
	b.WriteString("tensor(")
	summarize := len(t.data) > printThreshold
	vals := t.data
	if summarize {
		vals = summarized(t.data, t.shape)
	}
	f := newFormatter(vals, t.dtype == Int)
	switch {
	case len(t.shape) == 0:
		b.WriteString(strings.TrimLeft(f.format(t.data[0]), " "))
	case len(t.data) == 0:
		b.WriteString("[]")
		if len(t.shape) > 1 {
			b.WriteString(", size=(")
			for i, d := range t.shape {
				if i > 0 {
					b.WriteString(", ")
				}
				b.WriteString(strconv.Itoa(d))
			}
			b.WriteString(")")
		}
	default:
		writeTensor(&b, t.data, t.shape, 7, summarize, f)
	}
	switch {
	case t.op != "":
		b.WriteString(", grad_fn=<" + t.op + ">")
	case t.requiresGrad:
		b.WriteString(", requires_grad=True")
	}
	b.WriteString(")")
	return b.String()
}

func writeTensor(b *strings.Builder, data []float32, shape Shape, indent int, summarize bool, f *formatter) {
	if len(shape) == 1 {
		writeVector(b, data, indent, summarize, f)
		return
	}
	n := shape[0]
	rs := len(data) / n
	sep := "," + strings.Repeat("\n", len(shape)-1) + strings.Repeat(" ", indent+1)
	b.WriteByte('[')
	for i := 0; i < n; i++ {
		if summarize && n > 2*printEdgeItems && i == printEdgeItems {
			b.WriteString("...")
			b.WriteString(sep)
			i = n - printEdgeItems
		}
		writeTensor(b, data[i*rs:(i+1)*rs], shape[1:], indent+1, summarize, f)
		if i < n-1 {
			b.WriteString(sep)
		}
	}
	b.WriteByte(']')
}

func writeVector(b *strings.Builder, data []float32, indent int, summarize bool, f *formatter) {
	elemLen := f.maxWidth + 2
	perLine := max(1, (printLineWidth-indent)/elemLen)
	var items []string
	n := len(data)
	if summarize && n > 2*printEdgeItems {
		for _, v := range data[:printEdgeItems] {
			items = append(items, f.format(v))
		}
		items = append(items, " ...")
		for _, v := range data[n-printEdgeItems:] {
			items = append(items, f.format(v))
		}
	} else {
		for _, v := range data {
			items = append(items, f.format(v))
		}
	}
	b.WriteByte('[')
	for i := 0; i < len(items); i += perLine {
		if i > 0 {
			b.WriteString(",\n")
			b.WriteString(strings.Repeat(" ", indent+1))
		}
		b.WriteString(strings.Join(items[i:min(i+perLine, len(items))], ", "))
	}
	b.WriteByte(']')
}
