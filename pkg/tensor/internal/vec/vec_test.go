package vec

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"testing"
)

// TestVectorLoopsMatchGo checks ClampMin and AddWhereGreater, whatever loop they
// run (vec_amd64.s where the CPU has AVX2), against the Go loops bit for bit,
// over lengths around the vector loop's 32 and the values where vector
// instructions and Go's max disagree: NaN, -0, +0 and the bound itself.
func TestVectorLoopsMatchGo(t *testing.T) {
	nan := float32(math.NaN())
	negZero := math.Float32frombits(1 << 31)
	special := []float32{nan, negZero, 0, 1, -1, 0.5, float32(math.Inf(1)), float32(math.Inf(-1))}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, v := range []float32{0, negZero, 0.5, -1, nan} {
		for _, n := range []int{0, 1, 31, 32, 33, 64, 100, 1000} {
			x, g, da := make([]float32, n), make([]float32, n), make([]float32, n)
			for i := range x {
				x[i] = float32(rng.NormFloat64())
				if rng.IntN(4) == 0 {
					x[i] = special[rng.IntN(len(special))]
				}
				g[i], da[i] = float32(rng.NormFloat64()), float32(rng.NormFloat64())
			}
			checkLoops(t, x, g, da, v)
		}
	}
}

// checkLoops runs ClampMin on x and AddWhereGreater onto a copy of da, and
// compares each with its Go loop.
func checkLoops(t *testing.T, x, g, da []float32, v float32) {
	t.Helper()
	n := len(x)
	got, want := make([]float32, n), make([]float32, n)
	ClampMin(got, x, v)
	clampMinGo(want, x, v)
	sameBits(t, "ClampMin", v, n, x, got, want)
	got, want = append([]float32(nil), da...), append([]float32(nil), da...)
	AddWhereGreater(got, x, g, v)
	addWhereGreaterGo(want, x, g, v)
	sameBits(t, "AddWhereGreater", v, n, x, got, want)
}

func sameBits(t *testing.T, name string, v float32, n int, x, got, want []float32) {
	t.Helper()
	for i := range got {
		nan := got[i] != got[i] && want[i] != want[i] // which NaN max returns is not specified
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) && !nan {
			t.Fatalf("%s(v=%v) n=%d: element %d (x=%v) is %v, want %v", name, v, n, i, x[i], got[i], want[i])
		}
	}
}

func BenchmarkReLU(b *testing.B) {
	const n = 100352 // lesson 9's first ReLU at batch 64: 64×8×14×14
	x, g, y := normal(1, n), normal(2, n), make([]float32, n)
	b.Run("fwd", func(b *testing.B) {
		b.SetBytes(8 * n)
		for b.Loop() {
			ClampMin(y, x, 0)
		}
	})
	b.Run("fwdGo", func(b *testing.B) {
		b.SetBytes(8 * n)
		for b.Loop() {
			clampMinGo(y, x, 0)
		}
	})
	b.Run("bwd", func(b *testing.B) {
		b.SetBytes(12 * n)
		for b.Loop() {
			AddWhereGreater(y, x, g, 0)
		}
	})
	b.Run("bwdGo", func(b *testing.B) {
		b.SetBytes(12 * n)
		for b.Loop() {
			addWhereGreaterGo(y, x, g, 0)
		}
	})
}

func normal(seed uint64, n int) []float32 {
	rng := rand.New(rand.NewPCG(seed, 0))
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	return x
}

// FuzzVectorLoops compares the vector loops with the Go loops on arbitrary
// bit patterns (every NaN payload, denormals, both zeros) and bounds.
func FuzzVectorLoops(f *testing.F) {
	f.Add([]byte{0, 0, 0x80, 0x7f, 0, 0, 0, 0x80, 1, 0, 0, 0}, uint32(0))
	f.Add(make([]byte, 4*70), uint32(0x3f000000))
	f.Fuzz(func(t *testing.T, raw []byte, vbits uint32) {
		n := len(raw) / 4
		x, g := make([]float32, n), make([]float32, n)
		for i := range n {
			b := binary.LittleEndian.Uint32(raw[4*i:])
			x[i], g[i] = math.Float32frombits(b), math.Float32frombits(b^0x5a5a5a5a)
		}
		checkLoops(t, x, g, g, math.Float32frombits(vbits))
	})
}
