package nn

import (
	"math"
	"testing"
)

// expShifted is within 1 ulp of the correctly rounded exp over the whole
// range it computes, 0 below it, and keeps NaN.
func TestExpShiftedAccuracy(t *testing.T) {
	const chunk = 1024
	x := make([]float32, 0, chunk)
	p := make([]float32, chunk)
	worst, at := 0.0, float32(0)
	check := func() {
		expShifted(p, x, 0)
		for j, v := range x {
			want := math.Exp(float64(v))
			ulp := float64(math.Nextafter32(float32(want), float32(math.Inf(1))) - float32(want))
			if d := math.Abs(float64(p[j])-want) / ulp; d > worst {
				worst, at = d, v
			}
		}
		x = x[:0]
	}
	for v := float32(-87.3); v <= 0; v += 0.000137 {
		if x = append(x, v); len(x) == chunk {
			check()
		}
	}
	x = append(x, 0, -1e-30, -0.5, -1, -2, -10, -87.33)
	check()
	if worst > 1 {
		t.Errorf("largest error %.2f ulp at x = %v, want at most 1", worst, at)
	}
	t.Logf("largest error %.2f ulp (at %v)", worst, at)

	nan := float32(math.NaN())
	in := []float32{-88, -1000, float32(math.Inf(-1)), nan}
	out := make([]float32, len(in))
	sum := expShifted(out, in, 0)
	if out[0] != 0 || out[1] != 0 || out[2] != 0 || out[3] == out[3] || sum == sum {
		t.Errorf("exp of %v = %v (sum %v), want 0 0 0 NaN (sum NaN)", in, out, sum)
	}
	if got := expShifted(out[:1], []float32{3}, 3); out[0] != 1 || got != 1 {
		t.Errorf("exp(3 − 3) = %v (sum %v), want exactly 1", out[0], got)
	}
}

// BenchmarkExpShifted against math.Exp on a lesson-sized batch of logits.
func BenchmarkExpShifted(b *testing.B) {
	x := make([]float32, 640)
	for i := range x {
		x[i] = -float32(i%37) * 0.4
	}
	p := make([]float32, len(x))
	b.Run("expShifted", func(b *testing.B) {
		for b.Loop() {
			for r := 0; r < len(x); r += 10 {
				expShifted(p[r:r+10], x[r:r+10], 0)
			}
		}
	})
	b.Run("math.Exp", func(b *testing.B) {
		for b.Loop() {
			for r := 0; r < len(x); r += 10 {
				var s float64
				for j, v := range x[r : r+10] {
					e := math.Exp(float64(v))
					p[r+j] = float32(e)
					s += e
				}
			}
		}
	})
}
