package learner

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fastgo/fastgo/pkg/nn"
	"github.com/fastgo/fastgo/pkg/tensor"
)

func TestTextProgressBar(t *testing.T) {
	var buf bytes.Buffer
	bar := NewTextProgressBar(&buf)
	bar.MinInterval = 0 // draw every batch
	bar.Width = 10
	db := testBunch(12, 8, 4, 4) // 3 training, 2 validation batches
	run := NewRunner([]Callback{bar, NewAvgStatsCallback(nn.Accuracy)})
	run.Fit(2, testLearner(db, 0.1))

	out := buf.String()
	lines := strings.Split(out, "\n")
	if len(lines) != 3 || lines[2] != "" {
		t.Fatalf("want one line per epoch ending in a newline, got %q", out)
	}
	for e, line := range lines[:2] {
		// Each epoch's line holds redraws separated by \r: 3 training and
		// 2 validation batches, then the epoch summary.
		draws := strings.Split(line, "\r")
		if len(draws) != 6 {
			t.Fatalf("epoch %d: %d draws, want 6: %q", e+1, len(draws), draws)
		}
		wantBars := []string{
			`train \[###.......\] 1/3`, `train \[######....\] 2/3`, `train \[##########\] 3/3 .*train: \[`,
			`valid \[#####.....\] 1/2 .*valid: \[`, `valid \[##########\] 2/2`,
		}
		for i, pat := range wantBars {
			re := regexp.MustCompile(`^epoch ` + string(rune('1'+e)) + `/2 ` + pat)
			if !re.MatchString(draws[i]) {
				t.Errorf("epoch %d draw %d = %q, want match %q", e+1, i, draws[i], re)
			}
		}
		summary := strings.TrimRight(draws[5], " ")
		re := regexp.MustCompile(`^epoch ` + string(rune('1'+e)) + `/2  \d+\.\ds  train: \[[0-9.]+ [0-9.]+\]  valid: \[[0-9.]+ [0-9.]+\]$`)
		if !re.MatchString(summary) {
			t.Errorf("epoch %d summary %q", e+1, summary)
		}
		// A redraw covers the whole previous one.
		for i := 1; i < len(draws); i++ {
			if len(draws[i]) < len(strings.TrimRight(draws[i-1], " ")) {
				t.Errorf("draw %d (%d chars) does not cover draw %d (%d chars)", i, len(draws[i]), i-1, len(draws[i-1]))
			}
		}
	}
}

func TestProgressBarThrottles(t *testing.T) {
	var buf bytes.Buffer
	bar := NewTextProgressBar(&buf)
	bar.MinInterval = time.Hour // only the first draw and the ends of the passes
	bar.Width = 10
	db := testBunch(64, 8, 4, 4) // 16 training and 2 validation batches
	NewRunner([]Callback{bar}).Fit(1, testLearner(db, 0.1))
	draws := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\r")
	if len(draws) != 4 {
		t.Fatalf("%d draws, want 4 (first batch, 16/16, 2/2, summary): %q", len(draws), draws)
	}
	for i, want := range []string{"train [..........] 1/16", "train [##########] 16/16", "valid [##########] 2/2", "epoch 1/1  "} {
		if !strings.Contains(draws[i], want) {
			t.Errorf("draw %d = %q, want it to contain %q", i, draws[i], want)
		}
	}
}

func TestProgressBarChoosesOutput(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	// A pipe is neither a notebook nor a terminal: the bar is off and a fit
	// writes nothing to it.
	bar := newProgressBar(false, w)
	if bar.on() {
		t.Fatal("bar on for a pipe")
	}
	NewRunner([]Callback{bar}).Fit(1, testLearner(testBunch(8, 4, 4, 4), 0.1))
	w.Close()
	if out, _ := io.ReadAll(r); len(out) != 0 {
		t.Errorf("an off bar wrote %q", out)
	}
	if b := newProgressBar(true, w); !b.html || b.out != nil {
		t.Errorf("in a notebook: html %v, text output %v", b.html, b.out)
	}
	// /dev/null is a character device, as a terminal is.
	if null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0); err == nil {
		defer null.Close()
		if b := newProgressBar(false, null); b.out != null || b.html {
			t.Errorf("on a character device: text output %v, html %v", b.out, b.html)
		}
	}
}

func TestHTMLBlock(t *testing.T) {
	bar := &ProgressBar{Width: 10}
	run := NewRunner([]Callback{bar, NewAvgStatsCallback(nn.Accuracy, func(p, t *tensor.Tensor) float32 { return 0 })})
	run.Epochs, run.Iters, run.InTrain = 3, 98, true
	bar.batch = 45
	bar.rows = []epochRow{{epoch: 0, train: []float64{0.5, 0.9, 0}, valid: []float64{0.25, 0.95, 0}, took: 1500 * time.Millisecond}}
	h := bar.render(false)
	for _, want := range []string{
		`<progress value="1" max="3"`, "1/3 epochs",
		"<th>epoch</th><th>train loss</th><th>train accuracy</th><th>train metric 1</th><th>valid loss</th><th>valid accuracy</th><th>valid metric 1</th><th>time</th>",
		"<tr><td>1</td><td>0.500000</td><td>0.900000</td><td>0.000000</td><td>0.250000</td><td>0.950000</td><td>0.000000</td><td>1.5s</td></tr>",
		`<progress value="45" max="98"`, "train 45/98",
	} {
		if !strings.Contains(h, want) {
			t.Errorf("HTML block lacks %q:\n%s", want, h)
		}
	}
	// A finished fit shows no bar over a pass.
	run.Epochs = 1
	if h := bar.render(false); strings.Count(h, "<progress") != 1 {
		t.Errorf("finished fit: %d progress bars in %s", strings.Count(h, "<progress"), h)
	}
}

// recordedDisplay keeps what an HTML bar sends to the notebook.
type recordedDisplay struct {
	updates []string // "id: html"
	shown   []string
	synced  int
}

func (d *recordedDisplay) Update(id, html string) { d.updates = append(d.updates, id+": "+html) }
func (d *recordedDisplay) Show(html string)       { d.shown = append(d.shown, html) }
func (d *recordedDisplay) Sync()                  { d.synced++ }

func TestHTMLBarEndsWithOneFinalRender(t *testing.T) {
	disp := &recordedDisplay{}
	bar := &ProgressBar{MinInterval: 0, Width: 10, html: true, disp: disp}
	var logged []string
	run := NewRunner([]Callback{bar, NewAvgStatsCallback(nn.Accuracy)})
	run.Logger = func(a ...any) { logged = append(logged, fmt.Sprint(a...)) }
	run.Fit(2, testLearner(testBunch(12, 8, 4, 4), 0.1))

	if len(disp.updates) == 0 {
		t.Fatal("no live updates")
	}
	for _, u := range disp.updates[:len(disp.updates)-1] {
		if !strings.Contains(u, `data-progress="live"`) {
			t.Errorf("live update without its mark: %s", u)
		}
	}
	if last := disp.updates[len(disp.updates)-1]; !strings.HasSuffix(last, ": ") {
		t.Errorf("the live block is not emptied at the end: last update %q", last)
	}
	if len(disp.shown) != 1 || disp.synced != 1 {
		t.Fatalf("want one final output, synced once; got %d outputs, %d syncs", len(disp.shown), disp.synced)
	}
	final := disp.shown[0]
	if !strings.Contains(final, `data-progress="final"`) || strings.Count(final, "<progress") != 1 ||
		strings.Count(final, "<tr><td>") != 2 || !strings.Contains(final, "2/2 epochs") {
		t.Errorf("final render: want the epochs bar and both rows, no pass bar:\n%s", final)
	}
	// AvgStats' lines are in the table, so they were not logged; the
	// runner's logger is back after the fit.
	if len(logged) != 0 {
		t.Errorf("logged during the fit: %q", logged)
	}
	run.Log("after")
	if len(logged) != 1 || logged[0] != "after" {
		t.Errorf("logger not restored: %q", logged)
	}
}

func TestTextBarPassesOtherLogs(t *testing.T) {
	var buf bytes.Buffer
	bar := NewTextProgressBar(&buf)
	var logged []string
	run := NewRunner([]Callback{bar, NewAvgStatsCallback(nn.Accuracy), &logEpoch{}})
	run.Logger = func(a ...any) { logged = append(logged, fmt.Sprint(a...)) }
	run.Fit(2, testLearner(testBunch(12, 8, 4, 4), 0.1))
	if want := []string{"epoch 0 done", "epoch 1 done"}; !slices.Equal(logged, want) {
		t.Errorf("logged %q, want %q (AvgStats' lines dropped, others kept)", logged, want)
	}
}

// logEpoch logs a line that is not statistics after each epoch.
type logEpoch struct{ CallbackBase }

func (cb *logEpoch) AfterEpoch() bool {
	cb.Log(fmt.Sprintf("epoch %d done", cb.Epoch))
	return false
}

func TestFmtDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0: "0.0s", 1234 * time.Millisecond: "1.2s", 59*time.Second + 940*time.Millisecond: "59.9s",
		time.Minute: "01:00", 83*time.Second + 600*time.Millisecond: "01:24", 61 * time.Minute: "61:00",
	} {
		if got := fmtDuration(d); got != want {
			t.Errorf("fmtDuration(%v) = %q, want %q", d, got, want)
		}
	}
}
