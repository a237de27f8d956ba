//go:build openblas || blis

package tensor

import "testing"

// BenchmarkMLPStepThreads compares the small model's step with its
// products on one BLAS thread (the default) and on all of them.
func BenchmarkMLPStepThreads(b *testing.B) {
	b.Run("1thread", func(b *testing.B) { benchMLP(b, 50, 64) })
	b.Run("allthreads", func(b *testing.B) {
		defer func(w int) { threadedMinWork = w }(threadedMinWork)
		threadedMinWork = 0
		benchMLP(b, 50, 64)
	})
}
