// Package vec holds the elementwise loops of pkg/tensor that run in vector
// registers: the Go loop of each is its definition, and on amd64 with AVX2
// an assembly loop (vec_amd64.s) computes the same bits (NaN payloads
// aside, which Go's max leaves unspecified) for most of a slice, eight
// values per instruction. Built with -tags purego, or on other
// architectures, only the Go loops run.
//
// It is a package of its own because Go assembly cannot sit in a package
// that uses cgo, as pkg/tensor does for its BLAS.
package vec

import "math"

// clampMinGo sets y[i] = max(x[i], v), with Go's max: NaN stays NaN, and
// max(-0, +0) is +0.
func clampMinGo(y, x []float32, v float32) {
	y = y[:len(x)]
	for i, a := range x {
		y[i] = max(a, v)
	}
}

// addWhereGreaterGo adds g[i] onto da[i] where x[i] > v (never where x[i] is
// NaN) and +0 elsewhere.
func addWhereGreaterGo(da, x, g []float32, v float32) {
	x, g = x[:len(da)], g[:len(da)]
	for i, a := range x {
		var m uint32 // all ones where a > v; the compiler sets it without a branch
		if a > v {
			m = ^uint32(0)
		}
		da[i] += math.Float32frombits(math.Float32bits(g[i]) & m)
	}
}
