package plotting

import (
	"image"
	"image/color"
	"math"
	"strconv"

	"github.com/fastgo/fastgo/pkg/tensor"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// ImShow shows a 2-D tensor [rows cols] as a grey image, like matplotlib's
// imshow with the grey colour map: the minimum is black, the maximum white
// (or Range's ends), row 0 at the top, pixel indices on the axes.
// Options: Title, Size, Range.
//
//	plotting.ImShow(xTrain.Row(0).Reshape(28, 28), plotting.Title("5")).Show()
func ImShow(img *tensor.Tensor, opts ...Option) *Figure {
	c := newConfig(opts)
	if img == nil || img.Dim() != 2 {
		panic(tensor.NewUsageError("plotting.ImShow", "want a 2-D tensor [rows cols], got shape %v (a flat MNIST digit: img.Reshape(28, 28))", shapeOf(img)))
	}
	rows, cols := img.Shape()[0], img.Shape()[1]
	g := toGray(img.Data(), rows, cols, c, "ImShow")
	w, h := c.size(320, 320)
	return newFigure(c.title, w, h, func(dc draw.Canvas) {
		p := newPlot(c.title)
		p.X.Tick.Marker = pixelTicks{}
		p.Y.Tick.Marker = pixelTicks{}
		p.Y.Scale = plot.InvertedScale{Normalizer: p.Y.Scale}
		p.Add(&raster{img: g})
		drawSquare(p, dc, float64(cols)/float64(rows))
	})
}

// ImageGrid shows a batch of images in a grid, each titled with its label,
// as fastai's show_batch does. images is [n rows cols], or [n rows*cols] for
// square images (an MNIST batch [64 784]); labels is nil or [n] (class
// indices, shown through Classes when given). Options: Title, Cols (default:
// a square-ish grid, at most 8 columns), Classes, Size, Range.
func ImageGrid(images, labels *tensor.Tensor, opts ...Option) *Figure {
	c := newConfig(opts)
	if images == nil || (images.Dim() != 3 && images.Dim() != 2) {
		panic(tensor.NewUsageError("plotting.ImageGrid", "want images [n rows cols] or [n rows*cols], got shape %v", shapeOf(images)))
	}
	sh := images.Shape()
	n, rows, cols := sh[0], 0, 0
	if images.Dim() == 3 {
		rows, cols = sh[1], sh[2]
	} else {
		rows = int(math.Round(math.Sqrt(float64(sh[1]))))
		if rows*rows != sh[1] {
			panic(tensor.NewUsageError("plotting.ImageGrid", "images of shape %v: %d values per image is no square; reshape to [n rows cols]", sh, sh[1]))
		}
		cols = rows
	}
	var titles []string
	if labels != nil {
		if labels.Dim() != 1 || labels.Shape()[0] != n {
			panic(tensor.NewUsageError("plotting.ImageGrid", "labels of shape %v for %d images, want [%d]", labels.Shape(), n, n))
		}
		for _, v := range labels.Data() {
			titles = append(titles, labelText(v, c.classes))
		}
	}
	// One range for the whole batch, so the images compare.
	if !c.hasRange {
		lo, hi, _ := finiteRange(images.Data())
		c.vmin, c.vmax, c.hasRange = lo, max(hi, lo+1e-12), true
	}
	imgs := make([]*image.Gray, n)
	m := rows * cols
	for i := range imgs {
		imgs[i] = toGray(images.Data()[i*m:(i+1)*m], rows, cols, c, "ImageGrid")
	}
	nc := c.cols
	if nc == 0 {
		nc = min(8, int(math.Ceil(math.Sqrt(float64(n)))))
	}
	nc = max(1, min(nc, n))
	nr := (n + nc - 1) / nc
	const tile = 100 // pixels per image, title included
	top := 0
	if c.title != "" {
		top = 24
	}
	w, h := c.size(nc*tile, nr*tile+top)
	return newFigure(c.title, w, h, func(dc draw.Canvas) {
		dc.SetColor(color.White)
		dc.Fill(dc.Rectangle.Path())
		if c.title != "" {
			sty := titleStyle(12)
			dc.FillText(sty, vg.Point{X: dc.Center().X, Y: dc.Max.Y - 4}, c.title)
			dc = draw.Crop(dc, 0, 0, 0, -vg.Length(top)*vg.Inch/DPI)
		}
		tiles := draw.Tiles{Rows: nr, Cols: nc, PadX: 4, PadY: 4, PadTop: 2, PadBottom: 2, PadLeft: 2, PadRight: 2}
		for i, g := range imgs {
			p := newPlot("")
			if titles != nil {
				p.Title.Text = titles[i]
				p.Title.TextStyle.Font.Size = 9
				p.Title.Padding = 2
			}
			p.HideAxes()
			p.X.Padding, p.Y.Padding = 0, 0
			p.Y.Scale = plot.InvertedScale{Normalizer: p.Y.Scale}
			p.Add(&raster{img: g})
			drawSquare(p, tiles.At(dc, i%nc, i/nc), float64(cols)/float64(rows))
		}
	})
}

// labelText shows an integer label through the class names when it is one of them.
func labelText(v float32, classes []string) string {
	if k := int(v); float32(k) == v {
		if k >= 0 && k < len(classes) {
			return classes[k]
		}
		return strconv.Itoa(k)
	}
	return strconv.FormatFloat(float64(v), 'g', 4, 32)
}

func shapeOf(t *tensor.Tensor) any {
	if t == nil {
		return "nil"
	}
	return t.Shape()
}

// toGray maps values to grey levels: vmin (or the minimum) black, vmax (or
// the maximum) white, NaN black.
func toGray(xs []float32, rows, cols int, c *config, fn string) *image.Gray {
	if len(xs) != rows*cols || rows == 0 || cols == 0 {
		panic(tensor.NewUsageError("plotting."+fn, "%d values for a %d×%d image", len(xs), rows, cols))
	}
	lo, hi := c.vmin, c.vmax
	if !c.hasRange {
		var ok bool
		if lo, hi, ok = finiteRange(xs); !ok {
			lo, hi = 0, 1
		}
	}
	scale := 0.0
	if hi > lo {
		scale = 255 / (hi - lo)
	}
	g := image.NewGray(image.Rect(0, 0, cols, rows))
	for i, v := range xs {
		f := (float64(v) - lo) * scale
		if math.IsNaN(f) {
			f = 0
		}
		g.Pix[i] = uint8(math.Round(min(255, max(0, f))))
	}
	return g
}

// newPlot is a plot.New with matplotlib's sans-serif fonts.
func newPlot(title string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.Title.TextStyle.Font = font.From(sansFont, 12)
	p.Title.Padding = 6
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		a.Label.TextStyle.Font = font.From(sansFont, 11)
		a.Tick.Label.Font = font.From(sansFont, 9)
	}
	p.Legend.TextStyle.Font = font.From(sansFont, 10)
	return p
}

func titleStyle(size vg.Length) text.Style {
	return text.Style{Color: color.Black, Font: font.From(sansFont, size), XAlign: draw.XCenter, YAlign: draw.YTop, Handler: plot.DefaultTextHandler}
}

// drawSquare draws p with its data area of the given width/height ratio, so
// pixels stay square: the canvas is narrowed (or shortened) by the excess.
func drawSquare(p *plot.Plot, dc draw.Canvas, aspect float64) {
	da := p.DataCanvas(dc)
	w, h := float64(da.Max.X-da.Min.X), float64(da.Max.Y-da.Min.Y)
	if w <= 0 || h <= 0 {
		p.Draw(dc)
		return
	}
	if w > h*aspect {
		d := vg.Length(w-h*aspect) / 2
		dc = draw.Crop(dc, d, -d, 0, 0)
	} else {
		d := vg.Length(h-w/aspect) / 2
		dc = draw.Crop(dc, 0, 0, d, -d)
	}
	p.Draw(dc)
}

// raster is a plot.Plotter drawing a grey image with pixel (r, c) centred on
// data point (c, r), as imshow does. On a raster canvas it draws the image
// enlarged by nearest neighbour to exactly the device pixels it covers (gg
// would otherwise smooth it); on vector canvases, one rectangle per run of
// equal pixels.
type raster struct{ img *image.Gray }

// DataRange implements plot.DataRanger.
func (r *raster) DataRange() (xmin, xmax, ymin, ymax float64) {
	b := r.img.Bounds()
	return -0.5, float64(b.Dx()) - 0.5, -0.5, float64(b.Dy()) - 0.5
}

// Plot implements plot.Plotter.
func (r *raster) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	b := r.img.Bounds()
	cols, rows := b.Dx(), b.Dy()
	x0, x1 := trX(-0.5), trX(float64(cols)-0.5)
	yTop, yBot := trY(-0.5), trY(float64(rows)-0.5)
	if dpi, ok := canvasDPI(c.Canvas); ok {
		toDots := func(l vg.Length) int { return int(math.Round(l.Dots(dpi))) }
		toLen := func(d int) vg.Length { return vg.Length(float64(d) / dpi * vg.Inch.Points()) }
		dx0, dx1 := toDots(min(x0, x1)), toDots(max(x0, x1))
		dy0, dy1 := toDots(min(yTop, yBot)), toDots(max(yTop, yBot))
		if dx1 <= dx0 || dy1 <= dy0 {
			return
		}
		w, h := dx1-dx0, dy1-dy0
		big := image.NewGray(image.Rect(0, 0, w, h))
		for y := range h {
			// Image row 0 is at the top of the canvas rectangle.
			src := r.img.Pix[(y*rows/h)*r.img.Stride:]
			dst := big.Pix[y*big.Stride:]
			for x := range w {
				dst[x] = src[x*cols/w]
			}
		}
		c.DrawImage(vg.Rectangle{Min: vg.Point{X: toLen(dx0), Y: toLen(dy0)}, Max: vg.Point{X: toLen(dx1), Y: toLen(dy1)}}, big)
		return
	}
	// Vector output: rows of same-coloured runs.
	px := func(i int) vg.Length { return trX(float64(i) - 0.5) }
	py := func(j int) vg.Length { return trY(float64(j) - 0.5) }
	for y := range rows {
		row := r.img.Pix[y*r.img.Stride : y*r.img.Stride+cols]
		for x := 0; x < cols; {
			end := x + 1
			for end < cols && row[end] == row[x] {
				end++
			}
			rect := vg.Rectangle{
				Min: vg.Point{X: min(px(x), px(end)), Y: min(py(y), py(y+1))},
				Max: vg.Point{X: max(px(x), px(end)), Y: max(py(y), py(y+1))},
			}
			c.SetColor(color.Gray{Y: row[x]})
			c.Fill(rect.Path())
			x = end
		}
	}
}

// canvasDPI finds the resolution of a raster canvas under draw.Canvas wrappers.
func canvasDPI(c vg.Canvas) (float64, bool) {
	for {
		switch v := c.(type) {
		case interface{ DPI() float64 }:
			return v.DPI(), true
		case draw.Canvas:
			c = v.Canvas
		case *draw.Canvas:
			c = v.Canvas
		default:
			return 0, false
		}
	}
}

// pixelTicks labels pixel indices 0, 5, 10, … as matplotlib does for images.
type pixelTicks struct{}

// Ticks implements plot.Ticker.
func (pixelTicks) Ticks(lo, hi float64) []plot.Tick {
	n := hi - lo
	step := 1
	for _, s := range []int{1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000} {
		step = s
		if n/float64(s) <= 6 {
			break
		}
	}
	var ts []plot.Tick
	for v := int(math.Ceil(lo)); float64(v) <= hi; v++ {
		if v%step == 0 {
			ts = append(ts, plot.Tick{Value: float64(v), Label: strconv.Itoa(v)})
		}
	}
	return ts
}
