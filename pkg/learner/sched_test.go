package learner

import (
	"fmt"
	"math"
	"strings"
	"testing"
)

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

func TestSchedulersAtPositions(t *testing.T) {
	// Expected values from the formulas by hand: cos(0.7π) = −0.5877852523,
	// 4^0.3 = 1.5157165665.
	tests := []struct {
		name  string
		sched Sched
		want  [3]float64 // at pos 0, 0.3, 1
	}{
		{"lin(1,2)", SchedLin(1, 2), [3]float64{1, 1.3, 2}},
		{"lin(2,0)", SchedLin(2, 0), [3]float64{2, 1.4, 0}},
		{"cos(1,2)", SchedCos(1, 2), [3]float64{1, 1 + (1-0.5877852523)/2, 2}},
		{"cos(2,1)", SchedCos(2, 1), [3]float64{2, 2 - (1-0.5877852523)/2, 1}},
		{"no(2,9)", SchedNo(2, 9), [3]float64{2, 2, 2}},
		{"exp(1,4)", SchedExp(1, 4), [3]float64{1, 1.5157165665, 4}},
	}
	for _, tc := range tests {
		for i, pos := range []float64{0, 0.3, 1} {
			if got := tc.sched(pos); !near(got, tc.want[i], 1e-9) {
				t.Errorf("%s at %v = %v, want %v", tc.name, pos, got, tc.want[i])
			}
		}
	}
	// The cosine schedule is symmetric about its midpoint.
	if got := SchedCos(0, 1)(0.5); !near(got, 0.5, 1e-12) {
		t.Errorf("cos(0,1) at 0.5 = %v", got)
	}
}

func TestAnnealerIsPartial(t *testing.T) {
	var seen [3]float64
	mk := Annealer(func(start, end, pos float64) float64 {
		seen = [3]float64{start, end, pos}
		return start * end * pos
	})
	f := mk(2, 3)
	if got := f(0.5); got != 3 || seen != [3]float64{2, 3, 0.5} {
		t.Errorf("annealed f(0.5) = %v with args %v", got, seen)
	}
}

func TestCos1CycleAnneal(t *testing.T) {
	s := Cos1CycleAnneal(0.3, 0.6, 0.2)
	if len(s) != 2 || !near(s[0](0), 0.3, 1e-12) || !near(s[0](1), 0.6, 1e-12) ||
		!near(s[1](0), 0.6, 1e-12) || !near(s[1](1), 0.2, 1e-12) {
		t.Errorf("ends of the two phases: %v %v %v %v", s[0](0), s[0](1), s[1](0), s[1](1))
	}
}

func TestCombineSchedsContinuity(t *testing.T) {
	sched, err := CombineScheds([]float64{0.3, 0.7}, Cos1CycleAnneal(0.3, 0.6, 0.2))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ pos, want float64 }{
		{0, 0.3}, {0.15, 0.45}, {0.3, 0.6}, {0.3 + 0.35, 0.4}, {1, 0.2},
	} {
		if got := sched(c.pos); !near(got, c.want, 1e-9) {
			t.Errorf("sched(%v) = %v, want %v", c.pos, got, c.want)
		}
	}
	// Continuous at the boundary: the values just before and after 0.3 agree.
	const eps = 1e-7
	if a, b := sched(0.3-eps), sched(0.3+eps); !near(a, b, 1e-6) {
		t.Errorf("jump at 0.3: %v then %v", a, b)
	}
	// Three linear pieces meeting at 0.2 and 0.5 make one continuous function.
	lin, err := CombineScheds([]float64{0.2, 0.3, 0.5}, []Sched{SchedLin(0, 2), SchedLin(2, 5), SchedLin(5, 10)})
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range []float64{0.2, 0.5} {
		if l, r := lin(b-eps), lin(b+eps); !near(l, r, 1e-4) {
			t.Errorf("jump at %v: %v then %v", b, l, r)
		}
	}
	if !near(lin(0.2), 2, 1e-12) || !near(lin(0.5), 5, 1e-12) || !near(lin(1), 10, 1e-12) {
		t.Errorf("values at 0.2, 0.5, 1: %v %v %v", lin(0.2), lin(0.5), lin(1))
	}
}

func TestCombineSchedsEmptyPhases(t *testing.T) {
	// A zero-length phase is skipped wherever it is, pos 1 included.
	for _, pcts := range [][]float64{{0, 1}, {1, 0}, {0.5, 0, 0.5}} {
		scheds := make([]Sched, len(pcts))
		for i := range scheds {
			scheds[i] = SchedLin(float64(i), float64(i)+1)
		}
		s, err := CombineScheds(pcts, scheds)
		if err != nil {
			t.Fatal(err)
		}
		for _, pos := range []float64{0, 0.5, 1} {
			if v := s(pos); math.IsNaN(v) || math.IsInf(v, 0) {
				t.Errorf("pcts %v: sched(%v) = %v", pcts, pos, v)
			}
		}
	}
}

func TestCombineSchedsErrors(t *testing.T) {
	two := []Sched{SchedNo(1, 1), SchedNo(2, 2)}
	for _, c := range []struct {
		pcts   []float64
		scheds []Sched
		msg    string
	}{
		{[]float64{0.25, 0.5}, two, "sum to 0.75"},
		{[]float64{0.5, 0.6}, two, "sum to 1.1"},
		{[]float64{1.5, -0.5}, two, "must not be negative"},
		{[]float64{math.NaN(), 1}, two, "must not be negative"},
		{[]float64{1}, two, "1 percentages and 2 schedules"},
		{nil, nil, "0 percentages"},
	} {
		s, err := CombineScheds(c.pcts, c.scheds)
		if err == nil || s != nil {
			t.Errorf("CombineScheds(%v) accepted", c.pcts)
			continue
		}
		if !strings.Contains(err.Error(), c.msg) {
			t.Errorf("CombineScheds(%v): error %q does not say %q", c.pcts, err, c.msg)
		}
	}
	// Sums off by rounding only are fine.
	if _, err := CombineScheds([]float64{0.1, 0.2, 0.7}, []Sched{SchedNo(1, 1), SchedNo(1, 1), SchedNo(1, 1)}); err != nil {
		t.Errorf("0.1+0.2+0.7 rejected: %v", err)
	}
}

// The scheduler sets the learning rate of every batch from the position in
// training, and the recorder sees exactly those rates.
func TestParamSchedulerAndRecorder(t *testing.T) {
	db := testBunch(20, 4, 4, 4) // 5 training batches
	learn := testLearner(db, 0.1)
	sched, err := CombineScheds([]float64{0.3, 0.7}, Cos1CycleAnneal(0.3, 0.6, 0.2))
	if err != nil {
		t.Fatal(err)
	}
	rec := &Recorder{}
	run := NewRunner([]Callback{rec, NewParamScheduler("lr", sched)})
	run.Fit(3, learn)
	if len(rec.LRs) != 15 || len(rec.Losses) != 15 {
		t.Fatalf("recorded %d lrs and %d losses, want 15", len(rec.LRs), len(rec.Losses))
	}
	for i, lr := range rec.LRs {
		epoch, batch := i/5, i%5
		pos := (float64(epoch) + float64(batch)/5) / 3
		if !near(lr, sched(pos), 1e-12) {
			t.Errorf("lr of step %d = %v, want sched(%v) = %v", i, lr, pos, sched(pos))
		}
	}
	for _, pg := range learn.Opt.ParamGroups() {
		if got := pg.Hyper("lr"); got != rec.LRs[14] {
			t.Errorf("group lr %v after fit, want last recorded %v", got, rec.LRs[14])
		}
	}
	for i, l := range rec.Losses {
		if !(l > 0) || math.IsInf(l, 0) {
			t.Errorf("loss %d = %v", i, l)
		}
	}
	// A second fit starts new records.
	run.Fit(1, learn)
	if len(rec.LRs) != 5 {
		t.Errorf("after a 1-epoch fit, %d lrs recorded, want 5", len(rec.LRs))
	}
}

// A misspelt hyper-parameter name is an error at the first batch, not a fit
// at the constant initial rate.
func TestParamSchedulerUnknownName(t *testing.T) {
	learn := testLearner(testBunch(20, 4, 4, 4), 0.1)
	run := NewRunner([]Callback{NewParamScheduler("Lr", SchedLin(0.1, 0.5))})
	defer func() {
		msg := fmt.Sprint(recover())
		if !strings.Contains(msg, `"Lr"`) || !strings.Contains(msg, "lr") {
			t.Fatalf(`fit with ParamScheduler("Lr") panicked with %q, want a message naming "Lr" and the names there are`, msg)
		}
		if got := learn.Opt.ParamGroups()[0].Hyper("lr"); got != 0.1 {
			t.Errorf("lr = %v after the failed fit, want 0.1", got)
		}
	}()
	run.Fit(1, learn)
}
