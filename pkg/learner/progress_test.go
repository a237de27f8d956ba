package learner

import (
	"bytes"
	"regexp"
	"strings"
	"testing"

	"github.com/fastgo/fastgo/pkg/nn"
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
		re := regexp.MustCompile(`^epoch ` + string(rune('1'+e)) + `/2  \d\d:\d\d  train: \[[0-9.]+ [0-9.]+\]  valid: \[[0-9.]+ [0-9.]+\]$`)
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
	bar := NewTextProgressBar(&buf) // default interval: a fast fit draws only pass ends
	db := testBunch(64, 8, 4, 4)    // 16 training batches
	NewRunner([]Callback{bar}).Fit(1, testLearner(db, 0.1))
	draws := strings.Count(buf.String(), "\r") + 1
	if draws >= 16 {
		t.Errorf("%d draws for 18 batches within %v", draws, bar.MinInterval)
	}
	if !strings.Contains(buf.String(), "16/16") || !strings.Contains(buf.String(), "2/2") {
		t.Errorf("the ends of the passes were not drawn: %q", buf.String())
	}
}

func TestProgressBarOffWritesNothing(t *testing.T) {
	bar := &ProgressBar{MinInterval: 0, Width: 10} // neither notebook nor terminal
	if bar.on() {
		t.Fatal("a bar without output is on")
	}
	NewRunner([]Callback{bar}).Fit(1, testLearner(testBunch(8, 4, 4, 4), 0.1))
}

func TestHTMLBlock(t *testing.T) {
	bar := &ProgressBar{Width: 10}
	run := NewRunner([]Callback{bar})
	run.Epochs, run.Iters, run.InTrain = 3, 98, true
	bar.batch, bar.rows = 45, []string{"epoch 1/3  00:01  train: [0.5 0.9] <x>"}
	h := bar.htmlBlock()
	for _, want := range []string{
		`<progress value="1" max="3"`, "1/3 epochs", `<progress value="45" max="98"`, "train 45/98", "&lt;x&gt;",
	} {
		if !strings.Contains(h, want) {
			t.Errorf("HTML block lacks %q:\n%s", want, h)
		}
	}
}
