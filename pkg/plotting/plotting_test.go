package plotting

import (
	"bytes"
	"encoding/xml"
	"errors"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/fastgo/fastgo/pkg/tensor"
)

var update = flag.Bool("update", false, "rewrite the golden images in testdata/")

// render draws f as PNG and decodes it, checking its size.
func render(t *testing.T, f *Figure) image.Image {
	t.Helper()
	b, err := f.PNG()
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	w, h := f.Size()
	if img.Bounds().Dx() != w || img.Bounds().Dy() != h {
		t.Fatalf("PNG is %v, want %d×%d", img.Bounds().Size(), w, h)
	}
	return img
}

func grey(img image.Image, x, y int) int {
	return int(color.GrayModel.Convert(img.At(x, y)).(color.Gray).Y)
}

// box is a bounding rectangle, inclusive.
type box struct{ x0, y0, x1, y1 int }

func (b box) w() int { return b.x1 - b.x0 + 1 }
func (b box) h() int { return b.y1 - b.y0 + 1 }

// boxesOf returns the bounding boxes of the 4-connected regions of pixels
// for which in is true, in reading order of their top-left pixel.
func boxesOf(img image.Image, in func(x, y int) bool) []box {
	r := img.Bounds()
	seen := make([]bool, r.Dx()*r.Dy())
	var out []box
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if seen[y*r.Dx()+x] || !in(x, y) {
				continue
			}
			b := box{x, y, x, y}
			stack := [][2]int{{x, y}}
			seen[y*r.Dx()+x] = true
			for len(stack) > 0 {
				p := stack[len(stack)-1]
				stack = stack[:len(stack)-1]
				b.x0, b.y0, b.x1, b.y1 = min(b.x0, p[0]), min(b.y0, p[1]), max(b.x1, p[0]), max(b.y1, p[1])
				for _, d := range [][2]int{{1, 0}, {-1, 0}, {0, 1}, {0, -1}} {
					q := [2]int{p[0] + d[0], p[1] + d[1]}
					if q[0] < r.Min.X || q[1] < r.Min.Y || q[0] >= r.Max.X || q[1] >= r.Max.Y || seen[q[1]*r.Dx()+q[0]] || !in(q[0], q[1]) {
						continue
					}
					seen[q[1]*r.Dx()+q[0]] = true
					stack = append(stack, q)
				}
			}
			out = append(out, b)
		}
	}
	return out
}

// largest returns the box of largest area.
func largest(bs []box) box {
	var best box
	for _, b := range bs {
		if b.w()*b.h() > best.w()*best.h() {
			best = b
		}
	}
	return best
}

func near(t *testing.T, what string, got, want, tol float64) {
	t.Helper()
	if math.Abs(got-want) > tol {
		t.Errorf("%s = %.1f, want %.1f ± %.1f", what, got, want, tol)
	}
}

// squareImage is a dark rows×cols image with a white block at rows
// [r0, r1) and columns [c0, c1).
func squareImage(rows, cols, r0, r1, c0, c1 int) *tensor.Tensor {
	x := make([]float32, rows*cols)
	for r := r0; r < r1; r++ {
		for c := c0; c < c1; c++ {
			x[r*cols+c] = 1
		}
	}
	return tensor.New(x, rows, cols)
}

// A white block in a dark image lands where it should, pixels stay square,
// and row 0 is at the top.
func TestImShowPlacesPixels(t *testing.T) {
	for _, sz := range [][2]int{{320, 320}, {500, 300}, {260, 400}} {
		img := render(t, ImShow(squareImage(20, 20, 4, 8, 10, 15), Title("block"), Size(sz[0], sz[1])))
		dark := largest(boxesOf(img, func(x, y int) bool { return grey(img, x, y) < 30 }))
		if dark.w() < sz[0]/3 {
			t.Fatalf("size %v: image area %+v too small", sz, dark)
		}
		near(t, "image aspect (width - height)", float64(dark.w()-dark.h()), 0, 2)
		// The block is a hole in the dark region: find it inside.
		inside := boxesOf(img, func(x, y int) bool {
			return x > dark.x0 && x < dark.x1 && y > dark.y0 && y < dark.y1 && grey(img, x, y) > 225
		})
		if len(inside) != 1 {
			t.Fatalf("size %v: %d white regions inside the image, want 1", sz, len(inside))
		}
		b, px := inside[0], float64(dark.w())/20
		near(t, "block left", float64(b.x0-dark.x0), 10*px, 2)
		near(t, "block right", float64(b.x1+1-dark.x0), 15*px, 2)
		near(t, "block top", float64(b.y0-dark.y0), 4*px, 2)
		near(t, "block bottom", float64(b.y1+1-dark.y0), 8*px, 2)
		// Nearest-neighbour: no blur, so the block's pixels are pure white.
		if g := grey(img, (b.x0+b.x1)/2, (b.y0+b.y1)/2); g != 255 {
			t.Errorf("block centre grey %d, want 255", g)
		}
	}
}

func TestImShowRange(t *testing.T) {
	x := tensor.New([]float32{0, 0.5, 0.5, 0.5}, 2, 2)
	img := render(t, ImShow(x, Range(0, 1), Size(200, 200)))
	area := largest(boxesOf(img, func(x, y int) bool { return grey(img, x, y) < 200 }))
	// Pixel (0,1) at 0.5 of [0, 1] is mid-grey; pixel (0,0) black.
	q := area.w() / 4
	if g := grey(img, area.x0+3*q, area.y0+q); g < 120 || g > 135 {
		t.Errorf("0.5 drawn as grey %d, want about 128", g)
	}
	if g := grey(img, area.x0+q, area.y0+q); g != 0 {
		t.Errorf("0 drawn as grey %d, want 0", g)
	}
}

func TestImShowVector(t *testing.T) {
	svg, err := ImShow(squareImage(6, 6, 1, 3, 2, 4), Title("svg digit")).SVG()
	if err != nil {
		t.Fatal(err)
	}
	s := string(svg)
	if !strings.Contains(s, "svg digit") || !strings.HasPrefix(strings.TrimSpace(s), "<?xml") {
		t.Fatalf("SVG lacks its title or header: %.200s", s)
	}
	// Vector rectangles, not an embedded bitmap; runs of equal pixels are
	// merged: rows 0, 3, 4, 5 are one run each, rows 1 and 2 three runs each
	// (plus the background and the frame).
	if strings.Contains(s, "<image") {
		t.Error("SVG embeds a bitmap")
	}
	if n := strings.Count(s, "Z\""); n < 10 || n > 14 {
		t.Errorf("%d closed paths in the SVG, want the 10 pixel runs and a few more", n)
	}
}

func TestImageGrid(t *testing.T) {
	// Image i is dark with white column i%4 (of 4) in its top three rows:
	// each tile must show its own image, in reading order.
	const n, side = 6, 4
	x := make([]float32, n*side*side)
	for i := range n {
		for r := range side - 1 {
			x[i*side*side+r*side+i%4] = 1
		}
	}
	f := ImageGrid(tensor.New(x, n, side*side), tensor.FromInts([]int{3, 1, 4, 1, 5, 9}, n), Classes(MNISTDigits()), Title("batch"))
	if w, h := f.Size(); w != 300 || h != 224 {
		t.Fatalf("grid of 6 is %d×%d, want 3 columns and 2 rows of 100 px plus the title", w, h)
	}
	img := render(t, f)
	var tiles []box
	for _, b := range boxesOf(img, func(x, y int) bool { return grey(img, x, y) < 30 }) {
		if b.w() > 40 {
			tiles = append(tiles, b)
		}
	}
	if len(tiles) != n {
		t.Fatalf("%d dark tiles, want %d: %+v", len(tiles), n, tiles)
	}
	for i, b := range tiles {
		near(t, "tile aspect", float64(b.w()-b.h()), 0, 2)
		col, row := i%3, i/3
		if b.x0 < col*100 || b.x1 >= (col+1)*100 || b.y0 < 24+row*100 || b.y1 >= 24+(row+1)*100 {
			t.Errorf("tile %d at %+v, not in grid cell (%d, %d)", i, b, col, row)
		}
		// The white column is where image i has it.
		white := boxesOf(img, func(x, y int) bool {
			return x > b.x0 && x < b.x1 && y > b.y0 && y < b.y1 && grey(img, x, y) > 225
		})
		if len(white) != 1 {
			t.Fatalf("tile %d: %d white regions", i, len(white))
		}
		near(t, "white column's left edge", float64(white[0].x0-b.x0), float64(i%4)*float64(b.w())/side, 2)
		near(t, "white column's height", float64(white[0].h()), float64(b.h())*3/4, 3)
	}
}

// MNISTDigits is a test helper: the class names "0".."9".
func MNISTDigits() []string { return strings.Split("0 1 2 3 4 5 6 7 8 9", " ") }

// colourPixels returns the pixels within 40 of c on every channel.
func colourPixels(img image.Image, c color.RGBA) (xs, ys []float64) {
	r := img.Bounds()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			rr, gg, bb, _ := img.At(x, y).RGBA()
			if absDiff(int(rr>>8), int(c.R)) < 40 && absDiff(int(gg>>8), int(c.G)) < 40 && absDiff(int(bb>>8), int(c.B)) < 40 {
				xs, ys = append(xs, float64(x)), append(ys, float64(y))
			}
		}
	}
	return xs, ys
}

func absDiff(a, b int) int {
	if a > b {
		return a - b
	}
	return b - a
}

// fitLine returns the least-squares slope of y on x and the RMS residual.
func fitLine(xs, ys []float64) (slope, rms float64) {
	n := float64(len(xs))
	var sx, sy, sxx, sxy float64
	for i := range xs {
		sx, sy, sxx, sxy = sx+xs[i], sy+ys[i], sxx+xs[i]*xs[i], sxy+xs[i]*ys[i]
	}
	slope = (n*sxy - sx*sy) / (n*sxx - sx*sx)
	icpt := (sy - slope*sx) / n
	for i := range xs {
		d := ys[i] - (icpt + slope*xs[i])
		rms += d * d
	}
	return slope, math.Sqrt(rms / n)
}

func TestPlotLines(t *testing.T) {
	xs := []float64{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}
	flat := make([]float64, len(xs))
	for i := range flat {
		flat[i] = 2
	}
	img := render(t, Plot(LineXY("", xs, flat), Line("", xs), Size(400, 300)))
	bx, by := colourPixels(img, palette10[0])
	ox, oy := colourPixels(img, palette10[1])
	if len(bx) < 200 || len(ox) < 200 {
		t.Fatalf("%d blue and %d orange pixels, want two drawn lines", len(bx), len(ox))
	}
	// The constant series is one horizontal line across most of the width.
	slope, rms := fitLine(bx, by)
	if math.Abs(slope) > 0.01 || rms > 1.5 || span(bx) < 250 {
		t.Errorf("flat series: slope %.3f rms %.2f span %.0f", slope, rms, span(bx))
	}
	// y = x rises to the right (image y falls): a straight diagonal.
	if slope, rms := fitLine(ox, oy); slope > -0.3 || rms > 2 {
		t.Errorf("diagonal series: slope %.3f rms %.2f", slope, rms)
	}
	// The flat line y=2 lies between the diagonal's ends (y from 0 to 9).
	if by[0] < minOf(oy) || by[0] > maxOf(oy) {
		t.Errorf("flat line at image row %.0f, outside the diagonal's rows %.0f..%.0f", by[0], minOf(oy), maxOf(oy))
	}
}

// An exponential is a straight line on a log axis and a curve on a linear one.
func TestPlotLogY(t *testing.T) {
	var ys []float64
	for i := range 50 {
		ys = append(ys, math.Pow(10, float64(i)/10))
	}
	for _, log := range []bool{true, false} {
		opts := []Option{Line("", ys), Size(400, 300)}
		if log {
			opts = append(opts, LogY())
		}
		img := render(t, Plot(opts...))
		xs, py := colourPixels(img, palette10[0])
		_, rms := fitLine(xs, py)
		if log && rms > 2 {
			t.Errorf("LogY: exponential is not straight (rms %.1f px)", rms)
		}
		if !log && rms < 10 {
			t.Errorf("linear axis: exponential looks straight (rms %.1f px)", rms)
		}
	}
}

func TestPlotLegend(t *testing.T) {
	xs := []float64{0, 1, 2, 3}
	plain := render(t, Plot(LineXY("", xs, xs), YLabel("value"), Size(400, 300)))
	named := render(t, Plot(LineXY("rising", xs, xs), YLabel("value"), Size(400, 300)))
	// The legend adds a short sample of the line in the emptiest corner
	// (top left for a line rising to the top right).
	px, _ := colourPixels(plain, palette10[0])
	nx, ny := colourPixels(named, palette10[0])
	if len(nx) <= len(px) {
		t.Fatalf("legend drew no line sample (%d vs %d pixels)", len(nx), len(px))
	}
	var inCorner int
	for i := range nx {
		if nx[i] < 200 && ny[i] < 80 {
			inCorner++
		}
	}
	if inCorner < 10 {
		t.Errorf("%d line pixels in the top-left corner, want the legend there", inCorner)
	}
	if top, left := emptiestCorner(nil, false, false); !top || left {
		t.Errorf("no data: legend top=%v left=%v, want top right", top, left)
	}
}

// svgTexts returns the strings an SVG figure draws, each with whether it is
// rotated (a vertical axis label), once per time it is drawn.
func svgTexts(t *testing.T, f *Figure) map[string][]bool {
	t.Helper()
	b, err := f.SVG()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]bool{}
	var walk func(n *xmlNode, rotated bool)
	walk = func(n *xmlNode, rotated bool) {
		rotated = rotated || strings.Contains(n.attr("transform"), "rotate")
		if n.XMLName.Local == "text" {
			out[n.Text] = append(out[n.Text], rotated)
		}
		for _, c := range n.Children {
			walk(c, rotated)
		}
	}
	walk(parseXML(t, string(b)), false)
	return out
}

func TestPlotYLabel(t *testing.T) {
	ys := []float64{2.3, 1.2, 0.7}
	for _, tc := range []struct {
		name string
		opts []Option
		// want lists the texts drawn once each, rotated (the y label) or
		// not (a legend entry); none lists texts not drawn at all.
		want map[string]bool
		none []string
	}{
		// A single named series labels the axis, and the legend goes.
		{"single", []Option{Line("loss", ys)}, map[string]bool{"loss": true}, nil},
		// An explicit label wins, and the series keeps its legend entry.
		{"explicit", []Option{Line("train", ys), YLabel("loss")}, map[string]bool{"loss": true, "train": false}, nil},
		{"same as label", []Option{Line("lr", ys), YLabel("lr")}, map[string]bool{"lr": true}, nil},
		// Several series: the legend names them, the axis only when told.
		{"several", []Option{Line("cos", ys), Line("exp", ys), YLabel("lr")}, map[string]bool{"lr": true, "cos": false, "exp": false}, nil},
		{"several unlabelled", []Option{Line("cos", ys), Line("exp", ys)}, map[string]bool{"cos": false, "exp": false}, []string{"lr"}},
		{"unnamed", []Option{Line("", ys)}, nil, []string{"loss"}},
	} {
		got := svgTexts(t, Plot(tc.opts...))
		for text, rotated := range tc.want {
			if r := got[text]; len(r) != 1 || r[0] != rotated {
				t.Errorf("%s: %q drawn with rotations %v, want once with %v (texts %v)", tc.name, text, r, rotated, got)
			}
		}
		for _, text := range tc.none {
			if len(got[text]) != 0 {
				t.Errorf("%s: %q drawn", tc.name, text)
			}
		}
		rotated := 0
		for _, rs := range got {
			for _, r := range rs {
				if r {
					rotated++
				}
			}
		}
		if wantRot := strings.Count(fmt.Sprint(tc.want), ":true"); rotated != wantRot {
			t.Errorf("%s: %d rotated texts, want %d (texts %v)", tc.name, rotated, wantRot, got)
		}
	}
}

func span(xs []float64) float64 { return maxOf(xs) - minOf(xs) }

func minOf(xs []float64) float64 {
	m := math.Inf(1)
	for _, x := range xs {
		m = min(m, x)
	}
	return m
}

func maxOf(xs []float64) float64 {
	m := math.Inf(-1)
	for _, x := range xs {
		m = max(m, x)
	}
	return m
}

func TestNiceTicks(t *testing.T) {
	for _, tc := range []struct {
		lo, hi float64
		want   string
	}{
		{0.3, 0.6, "0.30 0.35 0.40 0.45 0.50 0.55 0.60"},
		{0, 299, "0 50 100 150 200 250"},
		{-1, 1, "-1.0 -0.5 0.0 0.5 1.0"},
		{0, 1e-3, "0.0000 0.0002 0.0004 0.0006 0.0008 0.0010"},
		{2, 12, "2 4 6 8 10 12"},
		{0, 15, "0.0 2.5 5.0 7.5 10.0 12.5 15.0"},
	} {
		var labels []string
		for _, tk := range (niceTicks{}).Ticks(tc.lo, tc.hi) {
			if tk.Label != "" {
				labels = append(labels, tk.Label)
			}
		}
		if got := strings.Join(labels, " "); got != tc.want {
			t.Errorf("ticks of [%v, %v] = %q, want %q", tc.lo, tc.hi, got, tc.want)
		}
	}
}

func TestPanics(t *testing.T) {
	for name, f := range map[string]func(){
		"ImShow 1-D":       func() { ImShow(tensor.New(make([]float32, 784), 784)) },
		"ImageGrid shape":  func() { ImageGrid(tensor.New(make([]float32, 10), 2, 5), nil) },
		"ImageGrid labels": func() { ImageGrid(tensor.New(make([]float32, 8), 2, 4), tensor.FromInts([]int{1}, 1)) },
		"LogY zero":        func() { Plot(Line("loss", []float64{1, 0}), LogY()) },
		"no series":        func() { Plot(Title("x")) },
		"LineXY lengths":   func() { LineXY("a", []float64{1}, []float64{1, 2}) },
		"Table 3-D":        func() { Table(tensor.New(make([]float32, 8), 2, 2, 2)) },
		"Size":             func() { Size(0, 10) },
	} {
		func() {
			defer func() {
				msg := usageMsg(recover())
				if !strings.HasPrefix(msg, "plotting: ") {
					t.Errorf("%s: panic %q, want a plotting: message", name, msg)
				}
			}()
			f()
		}()
	}
	defer func() {
		if msg := usageMsg(recover()); !strings.Contains(msg, "[784]") || !strings.Contains(msg, "Reshape(28, 28)") {
			t.Errorf("ImShow panic %q should name the shape and the fix", msg)
		}
	}()
	ImShow(tensor.New(make([]float32, 784), 784))
}

func TestShowWritesFileOutsideNotebook(t *testing.T) {
	OutputDir = t.TempDir()
	defer func() { OutputDir = "" }()
	path, err := ImShow(squareImage(4, 4, 0, 2, 0, 2), Title("Digit 5!")).Show()
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Dir(path) != OutputDir || !strings.HasPrefix(filepath.Base(path), "digit_5-") || filepath.Ext(path) != ".png" {
		t.Fatalf("Show wrote %s", path)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if cfg, err := png.DecodeConfig(bytes.NewReader(b)); err != nil || cfg.Width != 320 {
		t.Fatalf("written PNG: %+v, %v", cfg, err)
	}
	hpath, err := Table(squareImage(2, 2, 0, 1, 0, 1)).Show()
	if err != nil || filepath.Ext(hpath) != ".html" {
		t.Fatalf("Table.Show: %s, %v", hpath, err)
	}
	page, _ := os.ReadFile(hpath)
	if !strings.Contains(string(page), "<table") || !strings.HasPrefix(string(page), "<!DOCTYPE html>") {
		t.Fatalf("HTML page: %.100s", page)
	}
}

func TestSaveFormats(t *testing.T) {
	dir := t.TempDir()
	f := Plot(Line("a", []float32{1, 3, 2}))
	for ext, magic := range map[string]string{".png": "\x89PNG", ".svg": "<?xml", ".pdf": "%PDF", ".jpg": "\xff\xd8"} {
		p := filepath.Join(dir, "fig"+ext)
		if err := f.Save(p); err != nil {
			t.Fatalf("Save %s: %v", ext, err)
		}
		b, _ := os.ReadFile(p)
		if !bytes.HasPrefix(b, []byte(magic)) {
			t.Errorf("%s starts with %q", ext, b[:min(8, len(b))])
		}
	}
	if err := f.Save(filepath.Join(dir, "fig.bmp")); err == nil || !strings.Contains(err.Error(), "bmp") {
		t.Errorf("Save .bmp: %v", err)
	}
	es, _ := os.ReadDir(dir)
	for _, e := range es {
		if strings.Contains(e.Name(), ".tmp") {
			t.Errorf("temporary file left: %s", e.Name())
		}
	}
}

func TestTable(t *testing.T) {
	x := tensor.New([]float32{0, 0.25, 0.5, 1}, 2, 2)
	h := Table(x, Title("a <b>"), FontSize(6)).String()
	for _, want := range []string{
		"font-size:6pt", "<caption>a &lt;b&gt;</caption>",
		`background-color:#ffffff;color:#000000">0.00<`, // the minimum: white, dark text
		`background-color:#000000;color:#f1f1f1">1.00<`, // the maximum: black, light text
		`background-color:#969696;color:#f1f1f1">0.50<`, // the middle stop of Greys
		`<th style="padding:1px 3px">1</th>`,
	} {
		if !strings.Contains(h, want) {
			t.Errorf("table lacks %q:\n%s", want, h)
		}
	}
	if n := strings.Count(h, "<td"); n != 4 {
		t.Errorf("%d cells, want 4", n)
	}
	ints := Table(tensor.FromInts([]int{0, 128, 255, 3}, 2, 2)).String()
	if !strings.Contains(ints, ">128<") || strings.Contains(ints, "128.00") {
		t.Errorf("integers not printed as integers: %s", ints)
	}
	for v, want := range map[float64]uint8{0: 0xff, 0.5: 0x96, 1: 0, 1.0 / 16: 0xf8} {
		if g := greysAt(v); g != want {
			t.Errorf("greysAt(%v) = %#x, want %#x", v, g, want)
		}
	}
}

// xmlNode is a generic element tree, to read the HTML and SVG we write
// (both are well-formed XML) by structure rather than by substring.
type xmlNode struct {
	XMLName  xml.Name
	Attrs    []xml.Attr `xml:",any,attr"`
	Text     string     `xml:",chardata"`
	Children []*xmlNode `xml:",any"`
}

func parseXML(t *testing.T, s string) *xmlNode {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(s))
	d.Strict = true
	d.Entity = xml.HTMLEntity
	var n xmlNode
	if err := d.Decode(&n); err != nil {
		t.Fatalf("not well-formed XML: %v\n%s", err, s)
	}
	return &n
}

// all returns the elements named local under n, in document order.
func (n *xmlNode) all(local string) []*xmlNode {
	var out []*xmlNode
	var walk func(m *xmlNode)
	walk = func(m *xmlNode) {
		if m.XMLName.Local == local {
			out = append(out, m)
		}
		for _, c := range m.Children {
			walk(c)
		}
	}
	walk(n)
	return out
}

func (n *xmlNode) attr(name string) string {
	for _, a := range n.Attrs {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

// texts returns the character data of every element named local under n.
func (n *xmlNode) texts(local string) []string {
	var out []string
	for _, m := range n.all(local) {
		out = append(out, m.Text)
	}
	return out
}

func TestTableLabels(t *testing.T) {
	classes := []string{"T-shirt/top", "Trouser", "Pull<over>"}
	cm := tensor.FromInts([]int{50, 1, 2, 0, 60, 3, 4, 5, 70}, 3, 3)
	tab := parseXML(t, Table(cm, RowLabels(classes), ColLabels(classes[:3])).String())
	heads := tab.texts("th")
	want := append(append([]string{""}, classes...), classes...) // corner, columns, rows
	if !slices.Equal(heads, want) {
		t.Errorf("headers %q, want %q", heads, want)
	}
	// Without labels the indices head rows and columns.
	plain := parseXML(t, Table(tensor.Zeros(2, 3)).String()).texts("th")
	if want := []string{"", "0", "1", "2", "0", "1"}; !slices.Equal(plain, want) {
		t.Errorf("headers %q, want %q", plain, want)
	}
	// Only rows labelled: columns keep their indices.
	rowsOnly := parseXML(t, Table(tensor.Zeros(2, 2), RowLabels([]string{"a", "b"})).String()).texts("th")
	if want := []string{"", "0", "1", "a", "b"}; !slices.Equal(rowsOnly, want) {
		t.Errorf("headers %q, want %q", rowsOnly, want)
	}
}

func TestTableHighlight(t *testing.T) {
	smPred := tensor.Zeros(4, 6)
	for i := range smPred.Data() {
		smPred.Data()[i] = float32(i) / 24
	}
	rows, cols := []int{0, 1, 2}, []int{5, 0, 4}
	tab := parseXML(t, Table(smPred, Highlight(rows, cols), Highlight([]int{3}, []int{3})).String())
	trs := tab.all("tbody")[0].all("tr")
	if len(trs) != 4 {
		t.Fatalf("%d rows, want 4", len(trs))
	}
	wantMarked := map[[2]int]bool{{0, 5}: true, {1, 0}: true, {2, 4}: true, {3, 3}: true}
	nMarked := 0
	for i, tr := range trs {
		for j, td := range tr.all("td") {
			style := td.attr("style")
			marked := strings.Contains(style, "outline:2px solid")
			if marked != wantMarked[[2]int{i, j}] {
				t.Errorf("cell (%d, %d): highlighted %v, want %v (style %q)", i, j, marked, !marked, style)
			}
			if marked {
				nMarked++
				// The shading stays under the outline.
				if !strings.Contains(style, "background-color:#") || !strings.Contains(style, "font-weight:bold") {
					t.Errorf("cell (%d, %d) lost its shading or weight: %q", i, j, style)
				}
			}
		}
	}
	if nMarked != 4 {
		t.Errorf("%d highlighted cells, want 4", nMarked)
	}
}

func TestTablePanics(t *testing.T) {
	for name, f := range map[string]func(){
		"row labels":     func() { Table(tensor.Zeros(2, 3), RowLabels([]string{"a"})) },
		"col labels":     func() { Table(tensor.Zeros(2, 3), ColLabels([]string{"a", "b"})) },
		"cell outside":   func() { Table(tensor.Zeros(2, 3), Highlight([]int{2}, []int{0})) },
		"negative cell":  func() { Table(tensor.Zeros(2, 3), Highlight([]int{0}, []int{-1})) },
		"ragged indices": func() { Highlight([]int{0, 1}, []int{0}) },
	} {
		func() {
			defer func() {
				r := recover()
				if msg := usageMsg(r); !strings.HasPrefix(msg, "plotting: ") {
					t.Errorf("%s: recovered %v, want a plotting panic", name, r)
				}
			}()
			f()
		}()
	}
}

// The golden image: a fixed digit-like pattern through ImShow with a title.
// Regenerate with: go test ./pkg/plotting -run Golden -update
func TestGoldenImShow(t *testing.T) {
	x := make([]float32, 28*28)
	for r := range 28 {
		for c := range 28 {
			d := math.Hypot(float64(r)-13.5, float64(c)-13.5)
			x[r*28+c] = float32(math.Max(0, 1-math.Abs(d-8)/3)) // a ring
		}
	}
	got := render(t, ImShow(tensor.New(x, 28, 28), Title("ring")))
	path := filepath.Join("testdata", "imshow_ring.png")
	if *update {
		var buf bytes.Buffer
		if err := png.Encode(&buf, got); err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s", path)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("%v (create it with -update)", err)
	}
	defer f.Close()
	want, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	if got.Bounds() != want.Bounds() {
		t.Fatalf("size %v, golden %v", got.Bounds(), want.Bounds())
	}
	// Tolerance for font rasterisation and anti-aliasing differences: a
	// small mean difference and few strongly differing pixels.
	var sum float64
	var bad int
	r := got.Bounds()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			d := absDiff(grey(got, x, y), grey(want, x, y))
			sum += float64(d)
			if d > 64 {
				bad++
			}
		}
	}
	n := float64(r.Dx() * r.Dy())
	if mean := sum / n; mean > 1.5 || float64(bad) > 0.005*n {
		t.Errorf("differs from %s: mean grey difference %.2f (max 1.5), %d pixels off by > 64 (max %.0f)", path, mean, bad, 0.005*n)
	}
}

// A log axis within one decade (a loss curve from 0.84 to 0.35) still gets
// numbers; one over many decades labels the powers of ten only.
func TestLogTicks(t *testing.T) {
	labels := func(lo, hi float64) []string {
		var ls []string
		for _, tk := range (logTicks{}).Ticks(lo, hi) {
			if tk.Value < lo || tk.Value > hi {
				t.Errorf("[%v, %v]: tick %v outside the range", lo, hi, tk.Value)
			}
			if tk.Label != "" {
				ls = append(ls, tk.Label)
			}
		}
		return ls
	}
	for _, tc := range []struct {
		lo, hi float64
		want   string
	}{
		{0.35, 0.84, "0.4 0.5 0.6 0.7 0.8"},
		{0.05, 2.3, "0.05 0.1 0.2 0.5 1 2"},
		{1e-4, 10, "0.0001 0.001 0.01 0.1 1 10"},
	} {
		if got := strings.Join(labels(tc.lo, tc.hi), " "); got != tc.want {
			t.Errorf("[%v, %v]: labels %q, want %q", tc.lo, tc.hi, got, tc.want)
		}
	}
}

// usageMsg returns the message of a recovered *tensor.UsageError, the type
// every misuse of this package panics with, or "" for any other value.
func usageMsg(r any) string {
	var ue *tensor.UsageError
	if err, ok := r.(error); ok && errors.As(err, &ue) {
		return err.Error()
	}
	return ""
}
