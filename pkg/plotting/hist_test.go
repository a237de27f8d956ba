package plotting

import (
	"image"
	"image/color"
	"math"
	"strings"
	"testing"

	"github.com/fastgo/fastgo/pkg/tensor"
	"gonum.org/v1/plot/plotter"
)

func TestHistBins(t *testing.T) {
	nan := float32(math.NaN())
	inf := float32(math.Inf(1))
	for _, tc := range []struct {
		name   string
		xs     []float32
		lo, hi float64
		n      int
		want   []plotter.HistogramBin
	}{
		{"ends", []float32{0, 0.5, 1, 1.5, 2, 2}, 0, 2, 2,
			[]plotter.HistogramBin{{Min: 0, Max: 1, Weight: 2}, {Min: 1, Max: 2, Weight: 4}}},
		{"outside and non-finite", []float32{-1, 0, nan, 3, inf, 4}, 0, 4, 4,
			[]plotter.HistogramBin{{Min: 0, Max: 1, Weight: 1}, {Min: 1, Max: 2}, {Min: 2, Max: 3}, {Min: 3, Max: 4, Weight: 2}}},
		{"one value", []float32{7, 7, 7}, 7, 7, 1,
			[]plotter.HistogramBin{{Min: 6.5, Max: 7.5, Weight: 3}}},
	} {
		got := histBins(tc.xs, tc.lo, tc.hi, tc.n)
		if len(got) != len(tc.want) {
			t.Fatalf("%s: %d bins, want %d", tc.name, len(got), len(tc.want))
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Errorf("%s: bin %d = %+v, want %+v", tc.name, i, got[i], tc.want[i])
			}
		}
	}
}

// Bars stand where the values are, as tall as their counts.
func TestHist(t *testing.T) {
	// 40 values in the first of 4 bins, 10 in the last, none between.
	xs := make([]float32, 0, 50)
	for range 40 {
		xs = append(xs, 0)
	}
	for range 10 {
		xs = append(xs, 4)
	}
	img := render(t, Hist(tensor.New(xs, 5, 10), Bins(4), Size(400, 300)))
	bars := boxesOf(img, func(x, y int) bool { return isColour(img, x, y, palette10[0]) })
	if len(bars) != 2 {
		t.Fatalf("%d bars, want 2: %v", len(bars), bars)
	}
	left, right := bars[0], bars[1]
	if left.x0 > right.x0 {
		left, right = right, left
	}
	if r := float64(left.h()) / float64(right.h()); math.Abs(r-4) > 0.2 {
		t.Errorf("bar heights %d and %d, want a ratio of 4", left.h(), right.h())
	}
	// The bars are one bin wide each; the gap between them is two bins.
	if gap := right.x0 - left.x1; math.Abs(float64(gap)/float64(left.w())-2) > 0.15 {
		t.Errorf("bars %v and %v: gap %d, want two bar widths", left, right, gap)
	}
	// The y axis says what it counts.
	if got := svgTexts(t, Hist(tensor.New(xs, 50))); len(got["count"]) != 1 || !got["count"][0] {
		t.Errorf("no rotated y label \"count\": %v", got)
	}
	if got := svgTexts(t, Hist(tensor.New(xs, 50), YLabel("frequency"))); len(got["count"]) != 0 || len(got["frequency"]) != 1 {
		t.Errorf("YLabel not used: %v", got)
	}
	// LogY with empty bins draws; Range narrows the bins to the values in it.
	render(t, Hist(tensor.New(xs, 50), Bins(4), LogY()))
	img = render(t, Hist(tensor.New(xs, 50), Range(-1, 1), Bins(4), Size(400, 300)))
	if bars := boxesOf(img, func(x, y int) bool { return isColour(img, x, y, palette10[0]) }); len(bars) != 1 {
		t.Errorf("Range(-1, 1): %d bars, want 1", len(bars))
	}
}

func TestHistPanics(t *testing.T) {
	nan := float32(math.NaN())
	for name, f := range map[string]func(){
		"no values":  func() { Hist(tensor.Zeros(0)) },
		"all NaN":    func() { Hist(tensor.New([]float32{nan, nan}, 2)) },
		"zero bins":  func() { Bins(0) },
		"nil tensor": func() { Hist(nil) },
	} {
		func() {
			defer func() {
				if msg := usageMsg(recover()); !strings.HasPrefix(msg, "plotting: ") {
					t.Errorf("%s: recovered %q, want a plotting panic", name, msg)
				}
			}()
			f()
		}()
	}
}

// isColour says whether the pixel at (x, y) is within 40 of c on every
// channel, as colourPixels counts.
func isColour(img image.Image, x, y int, c color.RGBA) bool {
	rr, gg, bb, _ := img.At(x, y).RGBA()
	return absDiff(int(rr>>8), int(c.R)) < 40 && absDiff(int(gg>>8), int(c.G)) < 40 && absDiff(int(bb>>8), int(c.B)) < 40
}
