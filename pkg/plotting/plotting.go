// Package plotting draws what the lessons look at — digits, batches of
// images, loss and learning-rate curves, histograms of activations, on
// gonum.org/v1/plot; small tables of numbers as shaded HTML; the backward
// graph of a tensor, laid out by Graphviz — and shows it inline when the
// program runs in a GoNB notebook:
//
//	plotting.ImShow(x.Row(0).Reshape(28, 28), plotting.Title("5")).Show()
//	plotting.Plot(plotting.Line("train", losses), plotting.LogY()).Show()
//	plotting.ShowGraph(loss, names)
//
// Every constructor returns a value with Show and Save. Show displays it in
// the notebook (PNG or HTML through gonbui) and, outside a notebook, writes a
// file in OutputDir and returns its path. Save writes a file anywhere.
// ShowGraph is the one function that shows at once (an SVG).
//
// Programmer errors (a 1-D tensor given to ImShow, an empty series, a
// non-positive value on a log axis) panic with a message naming the function
// and the shape or value at fault, as the tensor package does.
package plotting

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"

	"github.com/fastgo/fastgo/pkg/tensor"
	"github.com/janpfeifer/gonb/gonbui"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgpdf"
	"gonum.org/v1/plot/vg/vgsvg"
)

// DPI is the resolution of PNG output: a figure of Size(w, h) pixels is
// w/DPI by h/DPI inches in SVG and PDF.
const DPI = 96

// OutputDir is where Show writes files outside a notebook. Empty means
// $FASTGO_PLOT_DIR, or else os.TempDir()/fastgo-plots.
var OutputDir = ""

// sansFont is matplotlib's look (a sans-serif face) from the fonts gonum/plot embeds.
var sansFont = font.Font{Typeface: "Liberation", Variant: "Sans"}

// Option changes a plot: Title, XLabel, LogY, Size and the like. A Series
// is an Option too, so Plot takes series and settings in one list.
type Option interface{ apply(*config) }

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

// config collects the options; each constructor reads what applies to it.
type config struct {
	title, xLabel, yLabel string
	logX, logY            bool
	width, height         int // pixels; 0 = the constructor's default
	cols                  int
	classes               []string
	vmin, vmax            float64
	hasRange              bool
	fontSize              float64
	series                []Series
	rowLabels, colLabels  []string
	highlights            [][2]int // Table cells, (row, column)
	bins                  int
}

func newConfig(opts []Option) *config {
	c := &config{}
	for _, o := range opts {
		if o != nil {
			o.apply(c)
		}
	}
	return c
}

// Title sets the figure's title (or an HTML table's caption).
func Title(s string) Option { return optionFunc(func(c *config) { c.title = s }) }

// XLabel labels the horizontal axis.
func XLabel(s string) Option { return optionFunc(func(c *config) { c.xLabel = s }) }

// YLabel labels the vertical axis.
func YLabel(s string) Option { return optionFunc(func(c *config) { c.yLabel = s }) }

// LogX puts the horizontal axis on a log scale (all x must be positive).
func LogX() Option { return optionFunc(func(c *config) { c.logX = true }) }

// LogY puts the vertical axis on a log scale (all y must be positive).
func LogY() Option { return optionFunc(func(c *config) { c.logY = true }) }

// Size sets the figure's size in pixels (of the PNG; see DPI).
func Size(width, height int) Option {
	if width <= 0 || height <= 0 {
		panic(tensor.NewUsageError("plotting.Size", "%d×%d: both sizes must be positive", width, height))
	}
	return optionFunc(func(c *config) { c.width, c.height = width, height })
}

// Cols sets how many images a row of an ImageGrid holds.
func Cols(n int) Option {
	if n <= 0 {
		panic(tensor.NewUsageError("plotting.Cols", "%d columns: must be positive", n))
	}
	return optionFunc(func(c *config) { c.cols = n })
}

// Classes names the labels of an ImageGrid: label k is shown as names[k].
func Classes(names []string) Option { return optionFunc(func(c *config) { c.classes = names }) }

// Range fixes the values mapped to black and white in ImShow and ImageGrid
// (matplotlib's vmin and vmax), the ends of Table's gradient, and the span
// of Hist's bins (plt.hist's range). Without it the data's minimum and
// maximum are used.
func Range(lo, hi float64) Option {
	if !(lo < hi) {
		panic(tensor.NewUsageError("plotting.Range", "[%v, %v]: want lo < hi", lo, hi))
	}
	return optionFunc(func(c *config) { c.vmin, c.vmax, c.hasRange = lo, hi, true })
}

// RowLabels heads a Table's rows with names (class names, say) instead of
// their indices; there must be one name per row.
func RowLabels(names []string) Option {
	return optionFunc(func(c *config) { c.rowLabels = names })
}

// ColLabels heads a Table's columns with names instead of their indices;
// there must be one name per column.
func ColLabels(names []string) Option {
	return optionFunc(func(c *config) { c.colLabels = names })
}

// Highlight outlines the Table cells (rows[k], cols[k]), the cells that
// PyTorch's advanced indexing t[rows, cols] picks:
// Highlight([]int{0, 1, 2}, []int{5, 0, 4}) marks sm_pred[[0,1,2],[5,0,4]],
// and Highlight(rows.Ints(), cols.Ints()) the cells t.Index(rows, cols)
// picks. Several Highlight options add up.
func Highlight(rows, cols []int) Option {
	if len(rows) != len(cols) {
		panic(tensor.NewUsageError("plotting.Highlight", "%d rows and %d columns; want one column per row", len(rows), len(cols)))
	}
	return optionFunc(func(c *config) {
		for k := range rows {
			c.highlights = append(c.highlights, [2]int{rows[k], cols[k]})
		}
	})
}

// FontSize sets the font size of a Table, in points.
func FontSize(pt float64) Option { return optionFunc(func(c *config) { c.fontSize = pt }) }

func (c *config) size(defW, defH int) (int, int) {
	if c.width > 0 {
		return c.width, c.height
	}
	return defW, defH
}

// Figure is a plot ready to render. Its drawing is done when it is shown or
// saved, from data copied when it was made.
type Figure struct {
	width, height int // pixels
	name          string
	draw          func(dc draw.Canvas)
}

func newFigure(name string, w, h int, f func(dc draw.Canvas)) *Figure {
	return &Figure{width: w, height: h, name: name, draw: f}
}

// Size returns the figure's size in pixels.
func (f *Figure) Size() (width, height int) { return f.width, f.height }

func (f *Figure) lengths() (vg.Length, vg.Length) {
	return vg.Length(f.width) * vg.Inch / DPI, vg.Length(f.height) * vg.Inch / DPI
}

// PNG renders the figure as a PNG image of Size() pixels.
func (f *Figure) PNG() ([]byte, error) {
	var buf bytes.Buffer
	if err := f.writeTo(&buf, "png"); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// SVG renders the figure as an SVG document.
func (f *Figure) SVG() ([]byte, error) {
	var buf bytes.Buffer
	if err := f.writeTo(&buf, "svg"); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func (f *Figure) writeTo(w io.Writer, format string) error {
	wl, hl := f.lengths()
	var c vg.CanvasWriterTo
	switch format {
	case "png":
		c = vgimg.PngCanvas{Canvas: vgimg.NewWith(vgimg.UseWH(wl, hl), vgimg.UseDPI(DPI))}
	case "jpg", "jpeg":
		c = vgimg.JpegCanvas{Canvas: vgimg.NewWith(vgimg.UseWH(wl, hl), vgimg.UseDPI(DPI))}
	case "svg":
		c = vgsvg.New(wl, hl)
	case "pdf":
		c = vgpdf.New(wl, hl)
	default:
		return fmt.Errorf("plotting: unsupported format %q (want png, svg, pdf or jpg)", format)
	}
	f.draw(draw.New(c))
	_, err := c.WriteTo(w)
	return err
}

// Save writes the figure to path, in the format its extension names (.png,
// .svg, .pdf, .jpg), through a temporary file renamed into place.
func (f *Figure) Save(path string) error {
	format := strings.TrimPrefix(strings.ToLower(filepath.Ext(path)), ".")
	return saveAtomic(path, func(w io.Writer) error { return f.writeTo(w, format) })
}

// Show displays the figure inline in a GoNB notebook (as PNG) and returns
// "". Elsewhere it saves a PNG in OutputDir and returns the file's path.
func (f *Figure) Show() (string, error) {
	if gonbui.IsNotebook {
		png, err := f.PNG()
		if err != nil {
			return "", err
		}
		gonbui.DisplayPNG(png)
		// GoNB stops reading the display pipe when the program ends; Sync
		// waits until the kernel has taken the image, so a plot in a cell's
		// last line is never lost.
		gonbui.Sync()
		return "", gonbui.Error()
	}
	return showFile(f.name, ".png", func(w io.Writer) error { return f.writeTo(w, "png") })
}

// outputDir resolves OutputDir (see there).
func outputDir() string {
	switch {
	case OutputDir != "":
		return OutputDir
	case os.Getenv("FASTGO_PLOT_DIR") != "":
		return os.Getenv("FASTGO_PLOT_DIR")
	}
	return filepath.Join(os.TempDir(), "fastgo-plots")
}

// showFile writes a new uniquely named file in the output directory.
func showFile(name, ext string, write func(w io.Writer) error) (string, error) {
	dir := outputDir()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("plotting: %w", err)
	}
	f, err := os.CreateTemp(dir, fileStem(name)+"-*"+ext)
	if err != nil {
		return "", fmt.Errorf("plotting: %w", err)
	}
	path := f.Name()
	f.Close()
	if err := saveAtomic(path, write); err != nil {
		os.Remove(path)
		return "", err
	}
	return path, nil
}

// fileStem makes a short file-name-safe stem of a title.
func fileStem(name string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(name) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		case b.Len() > 0 && !strings.HasSuffix(b.String(), "_"):
			b.WriteByte('_')
		}
		if b.Len() >= 40 {
			break
		}
	}
	s := strings.Trim(b.String(), "_")
	if s == "" {
		return "plot"
	}
	return s
}

// saveAtomic writes path through a temporary file in its directory.
func saveAtomic(path string, write func(w io.Writer) error) (err error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("plotting: %w", err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := write(tmp); err != nil {
		return fmt.Errorf("plotting: writing %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("plotting: writing %s: %w", path, err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// finiteRange returns the minimum and maximum of the finite values of xs.
func finiteRange(xs []float32) (lo, hi float64, ok bool) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, v := range xs {
		f := float64(v)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			continue
		}
		lo, hi, ok = min(lo, f), max(hi, f), true
	}
	return lo, hi, ok
}
