package learner

import (
	"fmt"
	"html"
	"io"
	"os"
	"strings"
	"time"

	"github.com/janpfeifer/gonb/gonbui"
)

// ProgressBar is a callback that shows how far training has come, as
// fastprogress does for fastai: in a GoNB notebook, an HTML block updated in
// place (a bar over the epochs, one over the current loader's batches, and a
// table of the finished epochs' statistics); in a terminal, a text bar
// redrawn with carriage returns and one line per finished epoch; nothing
// otherwise (output to a file or a pipe). Statistics come from the runner's
// "avg_stats" callback when it has one.
type ProgressBar struct {
	CallbackBase
	// MinInterval is the least time between two redraws within a pass (the
	// end of a pass is always drawn): redrawing on every batch would cost
	// more than a small model's training step.
	MinInterval time.Duration
	// Width is the number of characters of the text bar.
	Width int

	out    io.Writer // text mode; nil with html false means off
	html   bool
	id     string // GoNB display id of the HTML block
	start  time.Time
	epochT time.Time
	drawn  time.Time
	batch  int
	rows   []string // finished epochs, as text lines
	width  int      // length of the last text line, to blank it out
	closed bool     // text line ended with a newline
}

// NewProgressBar returns a progress bar that draws HTML in GoNB, text when
// standard output is a terminal, and nothing otherwise.
func NewProgressBar() *ProgressBar {
	p := &ProgressBar{MinInterval: 100 * time.Millisecond, Width: 30}
	switch {
	case gonbui.IsNotebook:
		p.html = true
	case isTerminal(os.Stdout):
		p.out = os.Stdout
	}
	return p
}

// NewTextProgressBar returns a progress bar that always draws text to w.
func NewTextProgressBar(w io.Writer) *ProgressBar {
	return &ProgressBar{MinInterval: 100 * time.Millisecond, Width: 30, out: w}
}

// isTerminal reports whether f is a character device (a terminal), without
// a dependency on golang.org/x/term.
func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

func (p *ProgressBar) on() bool { return p.html || p.out != nil }

// Order runs the bar before other callbacks, so its epoch line is written
// before AvgStatsCallback prints.
func (p *ProgressBar) Order() int { return -1 }

// BeginFit starts the clock.
func (p *ProgressBar) BeginFit() bool {
	p.start, p.rows = time.Now(), nil
	if p.html {
		p.id = "progress_" + gonbui.UniqueId()
	}
	return false
}

// BeginEpoch starts the epoch's training bar.
func (p *ProgressBar) BeginEpoch() bool {
	p.epochT, p.batch = time.Now(), 0
	return false
}

// BeginValidate starts the epoch's validation bar.
func (p *ProgressBar) BeginValidate() bool {
	p.batch = 0
	return false
}

// AfterBatch advances the bar, redrawing at most every MinInterval.
func (p *ProgressBar) AfterBatch() bool {
	p.batch++
	if p.on() && (p.batch == p.Iters || time.Since(p.drawn) >= p.MinInterval) {
		p.draw()
	}
	return false
}

// AfterEpoch adds the epoch's statistics.
func (p *ProgressBar) AfterEpoch() bool {
	row := fmt.Sprintf("epoch %d/%d  %s", p.Epoch+1, p.Epochs, fmtDuration(time.Since(p.epochT)))
	for _, s := range p.stats() {
		row += "  " + s
	}
	p.rows = append(p.rows, row)
	p.batch = 0
	if p.out != nil {
		p.writeLine(row)
		fmt.Fprintln(p.out)
		p.closed = true
	}
	if p.html {
		p.draw()
	}
	return false
}

// AfterFit draws the final state.
func (p *ProgressBar) AfterFit() bool {
	if p.html {
		p.draw()
		gonbui.Sync() // the last update must reach the notebook before the program ends
	}
	return false
}

// stats returns the latest statistics of the runner's AvgStatsCallback.
func (p *ProgressBar) stats() []string {
	cb, ok := p.Callback("avg_stats").(*AvgStatsCallback)
	if !ok {
		return nil
	}
	var out []string
	for _, s := range []*AvgStats{cb.TrainStats, cb.ValidStats} {
		if s.Count > 0 {
			out = append(out, s.String())
		}
	}
	return out
}

func (p *ProgressBar) phase() string {
	if p.InTrain {
		return "train"
	}
	return "valid"
}

// line is the text of the current state: epoch, pass, bar, batch, time, stats.
func (p *ProgressBar) line() string {
	done := 0
	if p.Iters > 0 {
		done = p.batch * p.Width / p.Iters
	}
	s := fmt.Sprintf("epoch %d/%d %s [%s%s] %d/%d %s", p.Epoch+1, p.Epochs, p.phase(),
		strings.Repeat("#", done), strings.Repeat(".", p.Width-done), p.batch, p.Iters,
		fmtDuration(time.Since(p.start)))
	for _, st := range p.stats() {
		s += "  " + st
	}
	return s
}

func (p *ProgressBar) draw() {
	p.drawn = time.Now()
	if p.out != nil {
		p.writeLine(p.line())
	}
	if p.html {
		gonbui.UpdateHTML(p.id, p.htmlBlock())
	}
}

// writeLine redraws the text line in place: back to its start, the new text,
// spaces over what is left of a longer previous line.
func (p *ProgressBar) writeLine(s string) {
	pad := ""
	if !p.closed && len(s) < p.width {
		pad = strings.Repeat(" ", p.width-len(s))
	}
	prefix := "\r"
	if p.closed || p.width == 0 {
		prefix = ""
	}
	fmt.Fprint(p.out, prefix+s+pad)
	p.width, p.closed = len(s), false
}

// htmlBlock renders the state as HTML: the bar over epochs, the finished
// epochs, and the bar over the current pass.
func (p *ProgressBar) htmlBlock() string {
	var b strings.Builder
	epochsDone := len(p.rows)
	fmt.Fprintf(&b, `<div style="font-family:monospace;white-space:pre">`+
		`<progress value="%d" max="%d" style="width:300px"></progress> %d/%d epochs %s<br>`,
		epochsDone, p.Epochs, epochsDone, p.Epochs, fmtDuration(time.Since(p.start)))
	for _, r := range p.rows {
		b.WriteString(html.EscapeString(r) + "<br>")
	}
	if epochsDone < p.Epochs {
		fmt.Fprintf(&b, `<progress value="%d" max="%d" style="width:300px"></progress> %s %d/%d`,
			p.batch, p.Iters, p.phase(), p.batch, p.Iters)
		for _, st := range p.stats() {
			b.WriteString("  " + html.EscapeString(st))
		}
	}
	b.WriteString("</div>")
	return b.String()
}

// fmtDuration prints d as mm:ss, as fastprogress does.
func fmtDuration(d time.Duration) string {
	s := int(d.Round(time.Second) / time.Second)
	return fmt.Sprintf("%02d:%02d", s/60, s%60)
}
