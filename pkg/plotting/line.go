package plotting

import (
	"image/color"
	"math"
	"strconv"

	"github.com/fastgo/fastgo/pkg/tensor"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Number is the element types a series can be made of.
type Number interface {
	~float32 | ~float64 | ~int | ~int32 | ~int64
}

// Series is one line of a Plot: Y against X (X nil means 0, 1, 2, …).
// It is an Option, so it goes into Plot's argument list.
type Series struct {
	Name string
	X, Y []float64
}

func (s Series) apply(c *config) { c.series = append(c.series, s) }

// Line is the series y against its index, named for the legend ("" for none):
// a loss per batch, a learning rate per step.
func Line[T Number](name string, y []T) Series {
	return Series{Name: name, Y: toFloat64(y)}
}

// LineXY is the series y against x (a schedule against the position in training).
func LineXY[T Number](name string, x, y []T) Series {
	if len(x) != len(y) {
		panic(tensor.NewUsageError("plotting.LineXY", "series %q: %d x values and %d y values", name, len(x), len(y)))
	}
	return Series{Name: name, X: toFloat64(x), Y: toFloat64(y)}
}

func toFloat64[T Number](xs []T) []float64 {
	out := make([]float64, len(xs))
	for i, v := range xs {
		out[i] = float64(v)
	}
	return out
}

// palette10 is matplotlib's default colour cycle ("tab10"), so curves have
// the colours the lecture's plots have.
var palette10 = []color.RGBA{
	{0x1f, 0x77, 0xb4, 0xff}, {0xff, 0x7f, 0x0e, 0xff}, {0x2c, 0xa0, 0x2c, 0xff}, {0xd6, 0x27, 0x28, 0xff},
	{0x94, 0x67, 0xbd, 0xff}, {0x8c, 0x56, 0x4b, 0xff}, {0xe3, 0x77, 0xc2, 0xff}, {0x7f, 0x7f, 0x7f, 0xff},
	{0xbc, 0xbd, 0x22, 0xff}, {0x17, 0xbe, 0xcf, 0xff},
}

// Plot draws one or several series as lines, with a legend when any series
// has a name. Options: the series, Title, XLabel, YLabel, LogX, LogY, Size.
// Points that are NaN or infinite (a diverged loss) are left out.
//
// The vertical axis is labelled by YLabel; without it, a plot of a single
// named series ("loss", "lr") takes the series' name as its y-axis label,
// and then needs no legend.
//
//	plotting.Plot(plotting.Line("loss", losses), plotting.XLabel("batch"), plotting.LogY()).Show()
//	plotting.Plot(plotting.Line("cos", cos), plotting.Line("exp", exp), plotting.YLabel("lr")).Show()
func Plot(opts ...Option) *Figure {
	c := newConfig(opts)
	if len(c.series) == 0 {
		panic(tensor.NewUsageError("plotting.Plot", "no series (pass plotting.Line(name, ys) or plotting.LineXY(name, xs, ys))"))
	}
	var lines []plotter.XYs
	named := false
	for i, s := range c.series {
		if len(s.Y) == 0 {
			panic(tensor.NewUsageError("plotting.Plot", "series %d (%q) is empty", i, s.Name))
		}
		xy := make(plotter.XYs, 0, len(s.Y))
		for j, y := range s.Y {
			x := float64(j)
			if s.X != nil {
				x = s.X[j]
			}
			if !finite(x) || !finite(y) {
				continue
			}
			if c.logX && x <= 0 {
				panic(tensor.NewUsageError("plotting.Plot", "LogX but series %q has x = %v at index %d", s.Name, x, j))
			}
			if c.logY && y <= 0 {
				panic(tensor.NewUsageError("plotting.Plot", "LogY but series %q has y = %v at index %d", s.Name, y, j))
			}
			xy = append(xy, plotter.XY{X: x, Y: y})
		}
		lines = append(lines, xy)
		named = named || s.Name != ""
	}
	yLabel := c.yLabel
	if len(c.series) == 1 && yLabel == "" {
		yLabel = c.series[0].Name
	}
	if len(c.series) == 1 && c.series[0].Name == yLabel {
		named = false // the axis already says what the line is
	}
	w, h := c.size(560, 360)
	return newFigure(c.title, w, h, func(dc draw.Canvas) {
		p := newPlot(c.title)
		p.X.Label.Text, p.Y.Label.Text = c.xLabel, yLabel
		if c.logX {
			p.X.Scale, p.X.Tick.Marker = plot.LogScale{}, logTicks{}
		}
		if c.logY {
			p.Y.Scale, p.Y.Tick.Marker = plot.LogScale{}, logTicks{}
		}
		if !c.logX {
			p.X.Tick.Marker = niceTicks{}
		}
		if !c.logY {
			p.Y.Tick.Marker = niceTicks{}
		}
		if named {
			p.Legend.Top, p.Legend.Left = emptiestCorner(lines, c.logX, c.logY)
			p.Legend.XOffs, p.Legend.YOffs = -vg.Points(8), -vg.Points(6)
			if p.Legend.Left {
				p.Legend.XOffs = vg.Points(8)
			}
			if !p.Legend.Top {
				p.Legend.YOffs = vg.Points(6)
			}
		}
		for i, xy := range lines {
			if len(xy) == 0 {
				continue
			}
			l, err := plotter.NewLine(xy)
			if err != nil { // cannot happen: the points are finite
				panic(tensor.NewUsageError("plotting.Plot", "series %q: %v", c.series[i].Name, err))
			}
			l.Color = palette10[i%len(palette10)]
			l.Width = vg.Points(1.5)
			p.Add(l)
			if named {
				p.Legend.Add(c.series[i].Name, l)
			}
		}
		p.Draw(dc)
	})
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// emptiestCorner picks the legend's corner as matplotlib's loc="best" does,
// roughly: the corner whose quarter of the data area holds the fewest points.
func emptiestCorner(lines []plotter.XYs, logX, logY bool) (top, left bool) {
	tr := func(v float64, log bool) float64 {
		if log {
			return math.Log(v)
		}
		return v
	}
	xmin, xmax, ymin, ymax := math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
	for _, l := range lines {
		for _, p := range l {
			x, y := tr(p.X, logX), tr(p.Y, logY)
			xmin, xmax, ymin, ymax = min(xmin, x), max(xmax, x), min(ymin, y), max(ymax, y)
		}
	}
	var count [2][2]int // [top][left]
	for _, l := range lines {
		for _, p := range l {
			fx := (tr(p.X, logX) - xmin) / (xmax - xmin)
			fy := (tr(p.Y, logY) - ymin) / (ymax - ymin)
			for t := range 2 {
				for lf := range 2 {
					inX := (lf == 1 && fx <= 0.4) || (lf == 0 && fx >= 0.6)
					inY := (t == 1 && fy >= 0.7) || (t == 0 && fy <= 0.3)
					if inX && inY {
						count[t][lf]++
					}
				}
			}
		}
	}
	// Preference order on ties: top right, top left, bottom right, bottom left.
	best, bt, bl := math.MaxInt, true, false
	for _, c := range [][2]int{{1, 0}, {1, 1}, {0, 0}, {0, 1}} {
		if n := count[c[0]][c[1]]; n < best {
			best, bt, bl = n, c[0] == 1, c[1] == 1
		}
	}
	return bt, bl
}

// niceTicks puts about six major ticks at round numbers (1, 2, 2.5 or 5
// times a power of ten) with no more decimals than the step needs, and four
// minor ticks between them.
type niceTicks struct{}

// Ticks implements plot.Ticker.
func (niceTicks) Ticks(lo, hi float64) []plot.Tick {
	if !(hi > lo) {
		return []plot.Tick{{Value: lo, Label: strconv.FormatFloat(lo, 'g', 6, 64)}}
	}
	raw := (hi - lo) / 6
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step := 10 * mag
	for _, m := range []float64{1, 2, 2.5, 5} {
		if m*mag >= raw {
			step = m * mag
			break
		}
	}
	prec := max(0, int(-math.Floor(math.Log10(step)+1e-9)))
	if s := step / math.Pow(10, math.Floor(math.Log10(step)+1e-9)); s == 2.5 {
		prec++
	}
	var ts []plot.Tick
	minor := step / 5
	for k := math.Ceil(lo / minor); k*minor <= hi+minor*1e-9; k++ {
		v := k * minor
		if math.Abs(math.Remainder(v, step)) < minor*1e-6 {
			if math.Abs(v) < step*1e-9 {
				v = 0
			}
			ts = append(ts, plot.Tick{Value: v, Label: strconv.FormatFloat(v, 'f', prec, 64)})
		} else {
			ts = append(ts, plot.Tick{Value: v})
		}
	}
	return ts
}

// logTicks marks a log axis at every m·10ᵉ (m = 1…9) in range and labels
// the powers of ten; a range holding fewer than three of those (a loss
// curve within one decade, where gonum's LogTicks labels nothing at all)
// labels the 2s and 5s as well, and one holding none every mantissa.
type logTicks struct{}

// Ticks implements plot.Ticker.
func (logTicks) Ticks(lo, hi float64) []plot.Tick {
	if !(lo > 0 && hi >= lo) {
		return plot.LogTicks{Prec: -1}.Ticks(lo, hi)
	}
	var vs []float64
	decades := 0
	for e := math.Floor(math.Log10(lo)); e <= math.Ceil(math.Log10(hi)); e++ {
		p := math.Pow(10, e)
		for m := 1.0; m <= 9; m++ {
			if v := m * p; v >= lo*(1-1e-9) && v <= hi*(1+1e-9) {
				vs = append(vs, v)
				if m == 1 {
					decades++
				}
			}
		}
	}
	labeled := map[float64]bool{1: true}
	switch {
	case decades == 0:
		labeled = map[float64]bool{1: true, 2: true, 3: true, 4: true, 5: true, 6: true, 7: true, 8: true, 9: true}
	case decades < 3:
		labeled = map[float64]bool{1: true, 2: true, 5: true}
	}
	ts := make([]plot.Tick, len(vs))
	for i, v := range vs {
		ts[i].Value = v
		if m := math.Round(v / math.Pow(10, math.Floor(math.Log10(v)+1e-9))); labeled[m] {
			ts[i].Label = strconv.FormatFloat(v, 'g', 6, 64)
		}
	}
	return ts
}
