package learner

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/fastgo/fastgo/pkg/data"
	"github.com/fastgo/fastgo/pkg/nn"
	"github.com/fastgo/fastgo/pkg/tensor"
)

// blobs returns n points in 2-D, class 0 around (-1,-1) and class 1 around
// (1,1), drawn from a generator seeded with seed.
func blobs(n int, seed uint64) *data.Dataset {
	rng := tensor.NewRNG(seed)
	x := make([]float32, 2*n)
	y := make([]int, n)
	for i := range n {
		c := i % 2
		y[i] = c
		for j := range 2 {
			x[2*i+j] = float32(2*c-1) + 0.5*float32(rng.NormFloat64())
		}
	}
	return data.NewDataset(tensor.New(x, n, 2), tensor.FromInts(y, n))
}

// testBunch returns unshuffled loaders over nTrain and nValid points with
// batch sizes bs and validBS, so every run sees the same batches.
func testBunch(nTrain, nValid, bs, validBS int) *DataBunch {
	train, valid := blobs(nTrain, 1), blobs(nValid, 2)
	return &DataBunch{
		TrainDL: data.NewDataLoader(train, data.NewSampler(nTrain, bs, false, nil), nil),
		ValidDL: data.NewDataLoader(valid, data.NewSampler(nValid, validBS, false, nil), nil),
		C:       2,
	}
}

func testLearner(db *DataBunch, lr float64) *Learner {
	tensor.Seed(42)
	model, opt := GetModel(db, lr, 8)
	return &Learner{Model: model, Opt: opt, LossFunc: nn.CrossEntropy, Data: db}
}

// spy records every event it receives into a shared log, as "name:event",
// and returns stopAt[event] from the event's method.
type spy struct {
	CallbackBase
	label  string
	order  int
	log    *[]string
	stopAt map[string]bool
}

func (s *spy) Order() int { return s.order }

func (s *spy) rec(ev string) bool {
	*s.log = append(*s.log, s.label+":"+ev)
	return s.stopAt[ev]
}

func (s *spy) BeginFit() bool      { return s.rec("begin_fit") }
func (s *spy) BeginEpoch() bool    { return s.rec("begin_epoch") }
func (s *spy) BeginBatch() bool    { return s.rec("begin_batch") }
func (s *spy) AfterPred() bool     { return s.rec("after_pred") }
func (s *spy) AfterLoss() bool     { return s.rec("after_loss") }
func (s *spy) AfterBackward() bool { return s.rec("after_backward") }
func (s *spy) AfterStep() bool     { return s.rec("after_step") }
func (s *spy) AfterBatch() bool    { return s.rec("after_batch") }
func (s *spy) BeginValidate() bool { return s.rec("begin_validate") }
func (s *spy) AfterEpoch() bool    { return s.rec("after_epoch") }
func (s *spy) AfterFit() bool      { return s.rec("after_fit") }

// only keeps the events of one spy, without its label.
func only(log []string, label string) []string {
	var out []string
	for _, e := range log {
		if l, ev, _ := strings.Cut(e, ":"); l == label {
			out = append(out, ev)
		}
	}
	return out
}

func TestEventOrder(t *testing.T) {
	db := testBunch(10, 6, 4, 4) // train batches 4,4,2; valid 4,2
	var log []string
	run := NewRunner([]Callback{&spy{label: "s", log: &log}})
	run.Fit(2, testLearner(db, 0.1))

	trainBatch := []string{"begin_batch", "after_pred", "after_loss", "after_backward", "after_step", "after_batch"}
	validBatch := []string{"begin_batch", "after_pred", "after_loss", "after_batch"}
	want := []string{"begin_fit"}
	for range 2 {
		want = append(want, "begin_epoch")
		for range 3 {
			want = append(want, trainBatch...)
		}
		want = append(want, "begin_validate")
		for range 2 {
			want = append(want, validBatch...)
		}
		want = append(want, "after_epoch")
	}
	want = append(want, "after_fit")
	if got := only(log, "s"); !slices.Equal(got, want) {
		t.Errorf("events:\n got %v\nwant %v", got, want)
	}
	if run.NIter != 6 || math.Abs(run.NEpochs-2) > 1e-12 {
		t.Errorf("after 2 epochs of 3 batches: NIter = %d, NEpochs = %v; want 6, 2", run.NIter, run.NEpochs)
	}
}

func TestOrderKey(t *testing.T) {
	db := testBunch(4, 4, 4, 4)
	var log []string
	// Given late, "first" still runs first; "a" and "b" tie and keep their order.
	run := NewRunner([]Callback{
		&spy{label: "a", log: &log},
		&spy{label: "late", order: 5, log: &log},
		&spy{label: "b", log: &log},
		&spy{label: "first", order: -3, log: &log},
	})
	run.Fit(1, testLearner(db, 0.1))
	var labels []string
	for _, e := range log {
		if l, ev, _ := strings.Cut(e, ":"); ev == "begin_fit" {
			labels = append(labels, l)
		}
	}
	if want := []string{"first", "a", "b", "late"}; !slices.Equal(labels, want) {
		t.Errorf("begin_fit reached %v, want %v", labels, want)
	}
}

func TestTrueStopsDispatchAndStep(t *testing.T) {
	db := testBunch(8, 4, 4, 4)
	learn := testLearner(db, 0.5)
	before := snapshot(nn.Parameters(learn.Model))
	var log []string
	// "a" stops every begin_batch: "b" never sees it, and no batch trains.
	run := NewRunner([]Callback{
		&spy{label: "a", log: &log, stopAt: map[string]bool{"begin_batch": true}},
		&spy{label: "b", log: &log},
	})
	run.Fit(1, learn)

	if got := snapshot(nn.Parameters(learn.Model)); !slices.Equal(got, before) {
		t.Error("parameters changed although begin_batch stopped every batch")
	}
	got := only(log, "b")
	for _, ev := range []string{"begin_batch", "after_pred", "after_loss", "after_step"} {
		if slices.Contains(got, ev) {
			t.Errorf("b received %s after a stopped begin_batch: %v", ev, got)
		}
	}
	// after_batch still comes for each of the 2 training and 1 validation batches.
	if n := count(got, "after_batch"); n != 3 {
		t.Errorf("after_batch reached b %d times, want 3: %v", n, got)
	}
	if run.NIter != 2 {
		t.Errorf("NIter = %d, want 2 (stopped batches still count)", run.NIter)
	}
}

// A callback that stops in after_backward skips the step: no learning.
func TestStopAfterBackwardSkipsStep(t *testing.T) {
	db := testBunch(8, 4, 4, 4)
	learn := testLearner(db, 0.5)
	before := snapshot(nn.Parameters(learn.Model))
	var log []string
	NewRunner([]Callback{&spy{label: "a", log: &log, stopAt: map[string]bool{"after_backward": true}}}).Fit(1, learn)
	if got := snapshot(nn.Parameters(learn.Model)); !slices.Equal(got, before) {
		t.Error("parameters changed although after_backward stopped every step")
	}
	// And without the stop, the same fit does change them.
	learn = testLearner(db, 0.5)
	NewRunner(nil).Fit(1, learn)
	if got := snapshot(nn.Parameters(learn.Model)); slices.Equal(got, before) {
		t.Error("parameters did not change in a normal fit")
	}
}

func TestAfterEpochTrueEndsFit(t *testing.T) {
	var log []string
	run := NewRunner([]Callback{&spy{label: "s", log: &log, stopAt: map[string]bool{"after_epoch": true}}})
	run.Fit(3, testLearner(testBunch(8, 4, 4, 4), 0.1))
	got := only(log, "s")
	if n := count(got, "begin_epoch"); n != 1 {
		t.Errorf("%d epochs began, want 1", n)
	}
	if got[len(got)-1] != "after_fit" {
		t.Errorf("last event %q, want after_fit", got[len(got)-1])
	}
}

// stopper sets Runner.Stop after n training steps, like the lesson's TestCallback.
type stopper struct {
	CallbackBase
	n, steps int
}

func (s *stopper) AfterStep() bool {
	s.steps++
	if s.steps >= s.n {
		s.Stop = true
	}
	return false
}

func TestStopEndsPass(t *testing.T) {
	db := testBunch(64, 8, 4, 4) // 16 training batches
	s := &stopper{n: 10}
	run := NewRunner([]Callback{s})
	run.Fit(1, testLearner(db, 0.1))
	if s.steps != 10 || run.NIter != 10 {
		t.Errorf("steps = %d, NIter = %d; want 10, 10", s.steps, run.NIter)
	}
	if run.Stop {
		t.Error("Stop still set after the pass")
	}
}

func TestCallbackLookup(t *testing.T) {
	avg := NewAvgStatsCallback(nn.Accuracy)
	run := NewRunner(nil, func() Callback { return avg }, func() Callback { return &Recorder{} })
	for name, want := range map[string]Callback{"train_eval": run.Cbs[0], "avg_stats": avg, "recorder": run.Cbs[2]} {
		if got := run.Callback(name); got != want {
			t.Errorf("run.Callback(%q) = %v, want %v", name, got, want)
		}
	}
	if run.Callback("nope") != nil {
		t.Error(`run.Callback("nope") found something`)
	}
	if avg.Name() != "avg_stats" || avg.Runner != run {
		t.Errorf("callback not attached: name %q, runner %p want %p", avg.Name(), avg.Runner, run)
	}
}

func TestAvgStatsWeightsByBatchSize(t *testing.T) {
	// Three batches of sizes 2, 2, 1 with mean losses 1, 1, 4 and accuracies
	// 1, 0.5, 0: weighted means are 8/5 and 3/5; unweighted would be 2 and 0.5.
	accs := []float32{1, 0.5, 0}
	call := 0
	metric := func(pred, target *tensor.Tensor) float32 { call++; return accs[call-1] }
	s := NewAvgStats([]Metric{metric}, true)
	run := &Runner{}
	for i, b := range []struct {
		n    int
		loss float32
	}{{2, 1}, {2, 1}, {1, 4}} {
		run.XB = tensor.Zeros(b.n, 3)
		run.Loss = tensor.Scalar(b.loss)
		s.Accumulate(run)
		if s.Count != []int{2, 4, 5}[i] {
			t.Fatalf("count after batch %d = %d", i, s.Count)
		}
	}
	got := s.AvgStats()
	if math.Abs(got[0]-1.6) > 1e-9 || math.Abs(got[1]-0.6) > 1e-9 {
		t.Errorf("AvgStats = %v, want [1.6 0.6]", got)
	}
	if str := s.String(); str != "train: [1.600000 0.600000]" {
		t.Errorf("String() = %q", str)
	}
	s.Reset()
	if s.String() != "" || s.Count != 0 || s.TotMets[0] != 0 {
		t.Errorf("after Reset: %q count %d mets %v", s.String(), s.Count, s.TotMets)
	}
}

// Through a real fit, the weighted validation averages over uneven batches
// equal the loss and accuracy computed on the whole validation set at once.
func TestAvgStatsCallbackMatchesWholeSet(t *testing.T) {
	db := testBunch(40, 11, 8, 4) // validation batches 4, 4, 3
	learn := testLearner(db, 0.3)
	stats := NewAvgStatsCallback(nn.Accuracy)
	NewRunner([]Callback{stats}).Fit(2, learn)

	valid := db.ValidDS().(*data.Dataset)
	var loss, acc float64
	tensor.NoGrad(func() {
		pred := learn.Model.Forward(valid.X)
		loss = float64(nn.CrossEntropy(pred, valid.Y).Item())
		acc = float64(nn.Accuracy(pred, valid.Y))
	})
	got := stats.ValidStats.AvgStats()
	if stats.ValidStats.Count != 11 || math.Abs(got[0]-loss) > 1e-5 || math.Abs(got[1]-acc) > 1e-6 {
		t.Errorf("valid stats %v over %d samples; whole set: loss %v acc %v", got, stats.ValidStats.Count, loss, acc)
	}
	if stats.TrainStats.Count != 40 {
		t.Errorf("train count %d, want 40", stats.TrainStats.Count)
	}
}

func snapshot(ps []*tensor.Tensor) []float32 {
	var out []float32
	for _, p := range ps {
		out = append(out, p.Data()...)
	}
	return out
}

func count(xs []string, x string) int {
	n := 0
	for _, e := range xs {
		if e == x {
			n++
		}
	}
	return n
}

// ExampleCamel2Snake shows the names callbacks are registered under.
func ExampleCamel2Snake() {
	fmt.Println(Camel2Snake("TrainEvalCallback"))
	fmt.Println(CallbackName(&TrainEvalCallback{}))
	// Output:
	// train_eval_callback
	// train_eval
}

// quiet handles AfterPred and does nothing.
type quiet struct{ CallbackBase }

func (q *quiet) AfterPred() bool { return false }

// BenchmarkDispatch measures one event sent to a runner's five callbacks
// (the per-event cost the training loop pays, eleven times a batch).
func BenchmarkDispatch(b *testing.B) {
	run := NewRunner([]Callback{NewAvgStatsCallback(nn.Accuracy), &Recorder{}, NewParamScheduler("lr", SchedNo(1, 1)),
		&quiet{}})
	for b.Loop() {
		call(run, AfterPred.AfterPred)
	}
}

// BenchmarkOneBatchOverhead is a training step of a tiny model through the
// Runner with its events, to compare with the step itself.
func BenchmarkOneBatchOverhead(b *testing.B) {
	db := testBunch(64, 8, 64, 8)
	learn := testLearner(db, 0.1)
	run := NewRunner([]Callback{NewAvgStatsCallback(nn.Accuracy)})
	run.Learn, run.InTrain = learn, true
	var xb, yb *tensor.Tensor
	for xb, yb = range db.TrainDL.All() {
	}
	for b.Loop() {
		run.OneBatch(xb, yb)
	}
}
