package plotting

import (
	"image/color"
	"math"

	"github.com/fastgo/fastgo/pkg/tensor"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Bins sets how many equal-width bins a Hist has.
func Bins(n int) Option {
	if n <= 0 {
		panic(tensor.NewUsageError("plotting.Bins", "%d bins: must be positive", n))
	}
	return optionFunc(func(c *config) { c.bins = n })
}

// Hist draws a histogram of all of t's values, whatever its shape, as
// matplotlib's plt.hist(t.flatten()) does: how a layer's activations or a
// parameter's values spread. The bins span the values' minimum to maximum
// (Range fixes the ends; values outside are left out, as numpy does), and
// there are √n of them for n values, at least 10 and at most 50, unless
// Bins says. NaN and infinite values are left out. The y axis is labelled
// "count" unless YLabel says otherwise. Other options: Title, XLabel, LogY
// (empty bins are then not drawn), Size.
//
//	plotting.Hist(layer.Relu(), plotting.XLabel("activation"), plotting.Title("after ReLU")).Show()
func Hist(t *tensor.Tensor, opts ...Option) *Figure {
	c := newConfig(opts)
	if t == nil || t.Len() == 0 {
		panic(tensor.NewUsageError("plotting.Hist", "no values (shape %v)", shapeOf(t)))
	}
	xs := t.Data()
	lo, hi := c.vmin, c.vmax
	if !c.hasRange {
		var ok bool
		if lo, hi, ok = finiteRange(xs); !ok {
			panic(tensor.NewUsageError("plotting.Hist", "all %d values of shape %v are NaN or infinite", len(xs), t.Shape()))
		}
	}
	n := c.bins
	if n == 0 {
		n = min(50, max(10, int(math.Ceil(math.Sqrt(float64(len(xs)))))))
	}
	bins := histBins(xs, lo, hi, n)
	yLabel := c.yLabel
	if yLabel == "" {
		yLabel = "count"
	}
	w, h := c.size(560, 360)
	return newFigure(c.title, w, h, func(dc draw.Canvas) {
		p := newPlot(c.title)
		p.X.Label.Text, p.Y.Label.Text = c.xLabel, yLabel
		p.X.Tick.Marker = niceTicks{}
		if c.logY {
			p.Y.Scale, p.Y.Tick.Marker = plot.LogScale{}, logTicks{}
		} else {
			p.Y.Tick.Marker = niceTicks{}
		}
		p.Add(&plotter.Histogram{
			Bins:      bins,
			Width:     bins[0].Max - bins[0].Min,
			FillColor: palette10[0],
			// Thin white edges separate the bars, as seaborn draws them.
			LineStyle: draw.LineStyle{Color: color.White, Width: vg.Points(0.5)},
			LogY:      c.logY,
		})
		p.Draw(dc)
	})
}

// histBins counts the finite values of xs in n equal bins from lo to hi.
// Each bin holds [Min, Max) and the last [Min, Max], numpy's convention.
// Equal ends become a bin of width 1 around them, as numpy does.
func histBins(xs []float32, lo, hi float64, n int) []plotter.HistogramBin {
	if lo == hi {
		lo, hi = lo-0.5, hi+0.5
	}
	width := (hi - lo) / float64(n)
	bins := make([]plotter.HistogramBin, n)
	for i := range bins {
		bins[i].Min, bins[i].Max = lo+float64(i)*width, lo+float64(i+1)*width
	}
	bins[n-1].Max = hi // no rounding gap at the end
	for _, v := range xs {
		f := float64(v)
		if !finite(f) || f < lo || f > hi {
			continue
		}
		i := min(n-1, int((f-lo)/width))
		bins[i].Weight++
	}
	return bins
}
