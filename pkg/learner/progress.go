package learner

import (
	"fmt"
	"html"
	"io"
	"os"
	"reflect"
	"runtime"
	"strings"
	"time"

	"github.com/janpfeifer/gonb/gonbui"
)

// ProgressBar is a callback that shows how far training has come, as
// fastprogress does for fastai: in a GoNB notebook, an HTML block updated in
// place (a bar over the epochs, a table of the finished epochs' statistics,
// a bar over the current loader's batches); in a terminal, a text bar
// redrawn with carriage returns and one line per finished epoch; nothing
// otherwise (output to a file or a pipe). Statistics come from the runner's
// "avg_stats" callback when it has one.
//
// GoNB keeps a block updated in place (UpdateHTML) only for the kernel
// session, and what a saved notebook holds of it depends on the front end.
// So at the end of the fit the bar empties that block and displays its
// final render as an ordinary output, which every notebook saves: one
// table, marked data-progress="final" (the live block is "live").
//
// While it draws, the bar takes over the runner's Logger, since its table
// shows what AvgStatsCallback would print: *AvgStats values are dropped,
// anything else logged goes to the previous logger. The logger is restored
// after the fit.
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
	disp   display        // where the HTML goes: GoNB, or a test's recorder
	id     string         // GoNB display id of the HTML block
	logger func(a ...any) // the runner's Logger before the fit
	start  time.Time
	epochT time.Time
	drawn  time.Time
	batch  int
	rows   []epochRow
	width  int  // length of the last text line, to blank it out
	closed bool // text line ended with a newline
}

// epochRow is one finished epoch: its statistics (loss then metrics; nil
// when the pass did not run or there is no avg_stats callback) and duration.
type epochRow struct {
	epoch        int
	train, valid []float64
	took         time.Duration
}

// NewProgressBar returns a progress bar that draws HTML in GoNB, text when
// standard output is a terminal, and nothing otherwise.
func NewProgressBar() *ProgressBar { return newProgressBar(gonbui.IsNotebook, os.Stdout) }

// newProgressBar chooses the bar's output: HTML in a notebook, text on stdout
// when it is a character device (a terminal, or /dev/null), none otherwise.
func newProgressBar(inNotebook bool, stdout *os.File) *ProgressBar {
	p := &ProgressBar{MinInterval: 100 * time.Millisecond, Width: 30}
	switch {
	case inNotebook:
		p.html, p.disp = true, gonbDisplay{}
	case isTerminal(stdout):
		p.out = stdout
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

// display is what the HTML bar needs from the notebook: a block updated in
// place by id, an ordinary output, and a wait until both have arrived.
type display interface {
	Update(id, html string)
	Show(html string)
	Sync()
}

// gonbDisplay is display in GoNB.
type gonbDisplay struct{}

func (gonbDisplay) Update(id, html string) { gonbui.UpdateHTML(id, html) }
func (gonbDisplay) Show(html string)       { gonbui.DisplayHTML(html) }
func (gonbDisplay) Sync()                  { gonbui.Sync() }

// BeginFit starts the clock and takes over the runner's Logger.
func (p *ProgressBar) BeginFit() bool {
	p.start, p.rows = time.Now(), nil
	if p.html {
		p.id = "progress_" + gonbui.UniqueId()
	}
	if p.on() {
		p.logger = p.Logger
		p.Logger = p.log
	}
	return false
}

// log drops the statistics that the bar's table shows and passes anything
// else to the logger the runner had before.
func (p *ProgressBar) log(a ...any) {
	rest := a[:0:0]
	for _, v := range a {
		if _, ok := v.(*AvgStats); !ok {
			rest = append(rest, v)
		}
	}
	if len(rest) == 0 {
		return
	}
	if p.logger != nil {
		p.logger(rest...)
	} else {
		fmt.Println(rest...)
	}
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
	row := epochRow{epoch: p.Epoch, took: time.Since(p.epochT)}
	if s := p.avgStats(); s != nil {
		row.train, row.valid = statsOf(s.TrainStats), statsOf(s.ValidStats)
	}
	p.rows = append(p.rows, row)
	p.batch = 0
	if p.out != nil {
		p.writeLine(p.rowLine(row))
		fmt.Fprintln(p.out)
		p.closed = true
	}
	if p.html {
		p.draw()
	}
	return false
}

// AfterFit replaces the live block by the final render and gives the
// runner its logger back.
func (p *ProgressBar) AfterFit() bool {
	if p.html {
		p.disp.Update(p.id, "")
		p.disp.Show(p.render(true))
		p.disp.Sync() // the output must reach the notebook before the program ends
	}
	if p.on() {
		p.Logger, p.logger = p.logger, nil
	}
	return false
}

// avgStats returns the runner's AvgStatsCallback, or nil.
func (p *ProgressBar) avgStats() *AvgStatsCallback {
	cb, _ := p.Callback("avg_stats").(*AvgStatsCallback)
	return cb
}

// statsOf returns the averages of s, or nil before its first batch.
func statsOf(s *AvgStats) []float64 {
	if s.Count == 0 {
		return nil
	}
	return s.AvgStats()
}

// liveStats returns the running statistics as text ("train: [...]").
func (p *ProgressBar) liveStats() string {
	cb := p.avgStats()
	if cb == nil {
		return ""
	}
	var parts []string
	for _, s := range []*AvgStats{cb.TrainStats, cb.ValidStats} {
		if s.Count > 0 {
			parts = append(parts, s.String())
		}
	}
	return strings.Join(parts, "  ")
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
		done = min(p.batch*p.Width/p.Iters, p.Width)
	}
	s := fmt.Sprintf("epoch %d/%d %s [%s%s] %d/%d %s", p.Epoch+1, p.Epochs, p.phase(),
		strings.Repeat("#", done), strings.Repeat(".", p.Width-done), p.batch, p.Iters,
		fmtDuration(time.Since(p.start)))
	if st := p.liveStats(); st != "" {
		s += "  " + st
	}
	return s
}

// rowLine is the text of a finished epoch.
func (p *ProgressBar) rowLine(r epochRow) string {
	s := fmt.Sprintf("epoch %d/%d  %s", r.epoch+1, p.Epochs, fmtDuration(r.took))
	if r.train != nil {
		s += fmt.Sprintf("  train: %.6f", r.train)
	}
	if r.valid != nil {
		s += fmt.Sprintf("  valid: %.6f", r.valid)
	}
	return s
}

func (p *ProgressBar) draw() {
	p.drawn = time.Now()
	if p.out != nil {
		p.writeLine(p.line())
	}
	if p.html {
		p.disp.Update(p.id, p.render(false))
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

// render returns the state as HTML: the bar over epochs, a table of the
// finished epochs, and, while live, the bar over the current pass. The
// outer div says which it is: data-progress="live" or "final".
func (p *ProgressBar) render(final bool) string {
	var b strings.Builder
	done := len(p.rows)
	state := "live"
	if final {
		state = "final"
	}
	fmt.Fprintf(&b, `<div data-progress="%s" style="font-family:monospace">`+
		`<div><progress value="%d" max="%d" style="width:300px"></progress> %d/%d epochs %s</div>`,
		state, done, p.Epochs, done, p.Epochs, fmtDuration(time.Since(p.start)))
	if done > 0 {
		b.WriteString(`<table style="margin:4px 0"><tr><th>epoch</th>`)
		names := p.columns()
		for _, n := range names {
			fmt.Fprintf(&b, "<th>%s</th>", html.EscapeString(n))
		}
		b.WriteString("<th>time</th></tr>")
		for _, r := range p.rows {
			fmt.Fprintf(&b, "<tr><td>%d</td>", r.epoch+1)
			for _, v := range cells(r, len(names)) {
				fmt.Fprintf(&b, "<td>%s</td>", v)
			}
			fmt.Fprintf(&b, "<td>%s</td></tr>", fmtDuration(r.took))
		}
		b.WriteString("</table>")
	}
	if !final && done < p.Epochs {
		fmt.Fprintf(&b, `<div><progress value="%d" max="%d" style="width:300px"></progress> %s %d/%d %s</div>`,
			p.batch, p.Iters, p.phase(), p.batch, p.Iters, html.EscapeString(p.liveStats()))
	}
	b.WriteString("</div>")
	return b.String()
}

// columns names the statistics of the table: "train loss", "train
// accuracy", ..., "valid loss", ...; none without an avg_stats callback.
func (p *ProgressBar) columns() []string {
	cb := p.avgStats()
	if cb == nil {
		return nil
	}
	var names []string
	for _, phase := range []string{"train", "valid"} {
		names = append(names, phase+" loss")
		for i, m := range cb.TrainStats.Metrics {
			names = append(names, phase+" "+metricName(m, i))
		}
	}
	return names
}

// cells formats a row's statistics for n columns (train then valid), with
// blanks where a pass did not run.
func cells(r epochRow, n int) []string {
	out := make([]string, 0, n)
	for _, vals := range [][]float64{r.train, r.valid} {
		for i := range n / 2 {
			if i < len(vals) {
				out = append(out, fmt.Sprintf("%.6f", vals[i]))
			} else {
				out = append(out, "")
			}
		}
	}
	return out
}

// metricName names a metric after its function (nn.Accuracy is "accuracy"),
// or "metric i" for a closure.
func metricName(m Metric, i int) string {
	f := runtime.FuncForPC(reflect.ValueOf(m).Pointer())
	if f == nil {
		return fmt.Sprintf("metric %d", i)
	}
	name := f.Name()
	name = name[strings.LastIndex(name, ".")+1:]
	if name == "" || strings.HasPrefix(name, "func") || strings.HasSuffix(name, "-fm") {
		return fmt.Sprintf("metric %d", i)
	}
	return Camel2Snake(name)
}

// fmtDuration prints d as seconds with a tenth ("4.2s") under a minute, as
// mm:ss above, as fastprogress does.
func fmtDuration(d time.Duration) string {
	if d < time.Minute {
		return fmt.Sprintf("%.1fs", d.Seconds())
	}
	s := int(d.Round(time.Second) / time.Second)
	return fmt.Sprintf("%02d:%02d", s/60, s%60)
}
