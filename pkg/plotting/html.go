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
// ends). Row and column numbers head the rows and columns, as a DataFrame's
// index does, unless RowLabels and ColLabels name them. Highlight outlines
// the cells a lesson points at (in red, bold, over the shading). Other
// options: Title (the caption), FontSize (points), Range.
//
//	plotting.Table(img.Reshape(28, 28).Slice(4, 15), plotting.FontSize(6)).Show()
//	plotting.Table(confusion, plotting.RowLabels(classes), plotting.ColLabels(classes)).Show()
//	plotting.Table(smPred.Slice(0, 3), plotting.Highlight([]int{0, 1, 2}, []int{5, 0, 4})).Show()
func Table(t *tensor.Tensor, opts ...Option) *HTML {
	c := newConfig(opts)
	if t == nil || t.Dim() != 2 {
		panic(tensor.NewUsageError("plotting.Table", "want a 2-D tensor, got shape %v", shapeOf(t)))
	}
	rows, cols := t.Shape()[0], t.Shape()[1]
	if c.rowLabels != nil && len(c.rowLabels) != rows {
		panic(tensor.NewUsageError("plotting.Table", "%d row labels for %d rows (shape %v)", len(c.rowLabels), rows, t.Shape()))
	}
	if c.colLabels != nil && len(c.colLabels) != cols {
		panic(tensor.NewUsageError("plotting.Table", "%d column labels for %d columns (shape %v)", len(c.colLabels), cols, t.Shape()))
	}
	marked := make(map[[2]int]bool, len(c.highlights))
	for _, rc := range c.highlights {
		if rc[0] < 0 || rc[0] >= rows || rc[1] < 0 || rc[1] >= cols {
			panic(tensor.NewUsageError("plotting.Table", "highlighted cell (%d, %d) is outside shape %v", rc[0], rc[1], t.Shape()))
		}
		marked[rc] = true
	}
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
		fmt.Fprintf(&b, `<th style="padding:1px 3px">%s</th>`, header(c.colLabels, j))
	}
	b.WriteString("</tr></thead><tbody>")
	for i := range rows {
		fmt.Fprintf(&b, `<tr><th style="padding:1px 3px;text-align:left">%s</th>`, header(c.rowLabels, i))
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
			mark := ""
			if marked[[2]int{i, j}] {
				// An outline inside the cell, so the table's layout does
				// not move; bold survives where a viewer drops outlines.
				mark = ";outline:2px solid #d62728;outline-offset:-2px;font-weight:bold"
			}
			fmt.Fprintf(&b, `<td style="padding:1px 3px;background-color:#%02x%02x%02x;color:%s%s">%s</td>`, g, g, g, fg, mark, formatCell(v, integral))
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

// header is the escaped label k, or k itself without labels.
func header(labels []string, k int) string {
	if labels == nil {
		return strconv.Itoa(k)
	}
	return html.EscapeString(labels[k])
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
