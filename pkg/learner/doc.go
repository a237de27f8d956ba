// Package learner is the training loop of fast.ai's lessons 04_callbacks and
// 05_anneal, in Go: a DataBunch and a Learner holding what training needs, a
// Runner that owns the loop and sends events (BeginFit, BeginBatch, AfterLoss,
// ...) to callbacks, and the callbacks of the lessons: TrainEvalCallback,
// AvgStatsCallback, Recorder, ParamScheduler with its annealers, plus a
// ProgressBar.
//
// Most of the package is exported from notebooks/04_callbacks.ipynb and
// notebooks/05_anneal.ipynb (the files named nb*.go, which say so at their
// top: edit the notebooks, then run the exporter); doc.go, progress.go and the
// hand-written tests are ordinary files.
//
// A callback is a struct that embeds CallbackBase and has any of the event
// methods; each returns true to stop (see Runner.OneBatch and Runner.Fit for
// what each stop skips):
//
//	type PrintLoss struct{ learner.CallbackBase }
//
//	func (cb *PrintLoss) AfterLoss() bool {
//		cb.Log(cb.Loss.Item()) // cb.Loss is the runner's field
//		return false
//	}
//
// Callbacks print through Runner.Log, which goes to Runner.Logger (nil means
// fmt.Println); a ProgressBar takes the logger over while it draws, so that
// AvgStatsCallback's numbers appear once, in its table.
package learner
