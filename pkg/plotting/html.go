package plotting

import (
	"fmt"
	"html"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/fastgo/fastgo/pkg/tensor"
	"github.com/janpfeifer/gonb/gonbui"
)

// HTML is an HTML fragment to show in a notebook or save as a page.
type HTML struct {
	name string
	s    string
}

// String returns the fragment.
func (h *HTML) String() string { return h.s }

// Show displays the fragment inline in a GoNB notebook and returns "";
// elsewhere it writes an .html page in OutputDir and returns its path.
func (h *HTML) Show() (string, error) {
	if gonbui.IsNotebook {
		gonbui.DisplayHTML(h.s)
		gonbui.Sync() // see Figure.Show
		return "", gonbui.Error()
	}
	return showFile(h.name, ".html", h.writePage)
}

// Save writes the fragment as a complete HTML page to path.
func (h *HTML) Save(path string) error { return saveAtomic(path, h.writePage) }

func (h *HTML) writePage(w io.Writer) error {
	_, err := fmt.Fprintf(w, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>%s</title></head><body>\n%s\n</body></html>\n",
		html.EscapeString(h.name), h.s)
	return err
}

// greys is ColorBrewer's 9-class "Greys", the stops of matplotlib's 'Greys'
// colour map: white for the smallest value to black for the largest.
var greys = [9]uint8{0xff, 0xf0, 0xd9, 0xbd, 0x96, 0x73, 0x52, 0x25, 0x00}

// greysAt interpolates the Greys map at t in [0, 1].
func greysAt(t float64) uint8 {
	t = min(1, max(0, t)) * float64(len(greys)-1)
	i := min(int(t), len(greys)-2)
	f := t - float64(i)
	return uint8(math.Round(float64(greys[i])*(1-f) + float64(greys[i+1])*f))
}

// Table renders a 2-D tensor as an HTML table whose cells are shaded by
// value like pandas' DataFrame.style.background_gradient('Greys'): the
// smallest value white, the largest black, with the text turning white on
// dark cells. Values are normalised over the whole table (Range fixes the
// ends). Options: Title (the caption), FontSize (points), Range. Row and
// column numbers head the rows and columns, as a DataFrame's index does.
//
//	plotting.Table(img.Reshape(28, 28).Slice(4, 15), plotting.FontSize(6)).Show()
func Table(t *tensor.Tensor, opts ...Option) *HTML {
	c := newConfig(opts)
	if t == nil || t.Dim() != 2 {
		panic(fmt.Sprintf("plotting: Table: want a 2-D tensor, got shape %v", shapeOf(t)))
	}
	rows, cols := t.Shape()[0], t.Shape()[1]
	xs := t.Data()
	lo, hi := c.vmin, c.vmax
	if !c.hasRange {
		lo, hi, _ = finiteRange(xs)
	}
	integral := t.DType() == tensor.Int
	if !integral {
		integral = true
		for _, v := range xs {
			if v != float32(math.Trunc(float64(v))) {
				integral = false
				break
			}
		}
	}
	fs := c.fontSize
	if fs <= 0 {
		fs = 9
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<table style="border-collapse:collapse;font-family:sans-serif;font-size:%gpt;text-align:right">`, fs)
	if c.title != "" {
		fmt.Fprintf(&b, "<caption>%s</caption>", html.EscapeString(c.title))
	}
	b.WriteString("<thead><tr><th></th>")
	for j := range cols {
		fmt.Fprintf(&b, `<th style="padding:1px 3px">%d</th>`, j)
	}
	b.WriteString("</tr></thead><tbody>")
	for i := range rows {
		fmt.Fprintf(&b, `<tr><th style="padding:1px 3px">%d</th>`, i)
		for j := range cols {
			v := float64(xs[i*cols+j])
			g := uint8(0xff)
			if hi > lo && finite(v) {
				g = greysAt((v - lo) / (hi - lo))
			}
			// pandas' rule: white text where the background's relative
			// luminance is below 0.408.
			fg := "#000000"
			if luminance(g) < 0.408 {
				fg = "#f1f1f1"
			}
			fmt.Fprintf(&b, `<td style="padding:1px 3px;background-color:#%02x%02x%02x;color:%s">%s</td>`, g, g, g, fg, formatCell(v, integral))
		}
		b.WriteString("</tr>")
	}
	b.WriteString("</tbody></table>")
	name := c.title
	if name == "" {
		name = "table"
	}
	return &HTML{name: name, s: b.String()}
}

// luminance is the relative luminance (WCAG) of a grey level.
func luminance(g uint8) float64 {
	v := float64(g) / 255
	if v <= 0.03928 {
		return v / 12.92
	}
	return math.Pow((v+0.055)/1.055, 2.4)
}

func formatCell(v float64, integral bool) string {
	switch {
	case math.IsNaN(v):
		return "NaN"
	case integral:
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return strconv.FormatFloat(v, 'f', 2, 64)
}
