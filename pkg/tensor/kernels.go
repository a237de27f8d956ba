package tensor

import "gonum.org/v1/gonum/blas/blas32"

// Slice kernels: the inner loops of every elementwise op. Each works on
// whole contiguous slices, so the per-element cost is a plain loop the
// compiler can keep in registers (no calls, no interface dispatch).

// blasMinLen is the length from which addTo and axpy hand the loop to
// BLAS's vectorised Saxpy (assembly in gonum, AVX in OpenBLAS); below it
// the call costs more than the plain loop.
const blasMinLen = 256

// addTo computes dst[i] += x[i].
func addTo(dst, x []float32) { axpy(dst, 1, x) }

// axpy computes dst[i] += a*x[i].
func axpy(dst []float32, a float32, x []float32) {
	x = x[:len(dst)]
	if len(dst) >= blasMinLen {
		blas32.Implementation().Saxpy(len(dst), a, x, 1, dst, 1)
		return
	}
	for i, v := range x {
		dst[i] += a * v
	}
}

// sum returns Σ x[i], accumulated in float64 for accuracy on long slices.
func sum(x []float32) float32 {
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(x); i += 4 {
		s0 += float64(x[i])
		s1 += float64(x[i+1])
		s2 += float64(x[i+2])
		s3 += float64(x[i+3])
	}
	for ; i < len(x); i++ {
		s0 += float64(x[i])
	}
	return float32(s0 + s1 + s2 + s3)
}

// kernel is the set of slice loops of one binary elementwise operation:
// vector∘vector, vector∘scalar and scalar∘vector.
type kernel struct {
	vv func(dst, x, y []float32)
	vs func(dst, x []float32, s float32)
	sv func(dst []float32, s float32, y []float32)
}

var addK = kernel{
	vv: func(dst, x, y []float32) {
		x, y = x[:len(dst)], y[:len(dst)]
		for i := range dst {
			dst[i] = x[i] + y[i]
		}
	},
	vs: func(dst, x []float32, s float32) {
		x = x[:len(dst)]
		for i := range dst {
			dst[i] = x[i] + s
		}
	},
	sv: func(dst []float32, s float32, y []float32) {
		y = y[:len(dst)]
		for i := range dst {
			dst[i] = s + y[i]
		}
	},
}

var subK = kernel{
	vv: func(dst, x, y []float32) {
		x, y = x[:len(dst)], y[:len(dst)]
		for i := range dst {
			dst[i] = x[i] - y[i]
		}
	},
	vs: func(dst, x []float32, s float32) {
		x = x[:len(dst)]
		for i := range dst {
			dst[i] = x[i] - s
		}
	},
	sv: func(dst []float32, s float32, y []float32) {
		y = y[:len(dst)]
		for i := range dst {
			dst[i] = s - y[i]
		}
	},
}

var mulK = kernel{
	vv: func(dst, x, y []float32) {
		x, y = x[:len(dst)], y[:len(dst)]
		for i := range dst {
			dst[i] = x[i] * y[i]
		}
	},
	vs: func(dst, x []float32, s float32) {
		x = x[:len(dst)]
		for i := range dst {
			dst[i] = x[i] * s
		}
	},
	sv: func(dst []float32, s float32, y []float32) {
		y = y[:len(dst)]
		for i := range dst {
			dst[i] = s * y[i]
		}
	},
}

var divK = kernel{
	vv: func(dst, x, y []float32) {
		x, y = x[:len(dst)], y[:len(dst)]
		for i := range dst {
			dst[i] = x[i] / y[i]
		}
	},
	vs: func(dst, x []float32, s float32) {
		x = x[:len(dst)]
		for i := range dst {
			dst[i] = x[i] / s
		}
	},
	sv: func(dst []float32, s float32, y []float32) {
		y = y[:len(dst)]
		for i := range dst {
			dst[i] = s / y[i]
		}
	},
}

var eqK = kernel{
	vv: func(dst, x, y []float32) {
		x, y = x[:len(dst)], y[:len(dst)]
		for i := range dst {
			dst[i] = b2f(x[i] == y[i])
		}
	},
	vs: func(dst, x []float32, s float32) {
		x = x[:len(dst)]
		for i := range dst {
			dst[i] = b2f(x[i] == s)
		}
	},
	sv: func(dst []float32, s float32, y []float32) {
		y = y[:len(dst)]
		for i := range dst {
			dst[i] = b2f(s == y[i])
		}
	},
}

func b2f(b bool) float32 {
	if b {
		return 1
	}
	return 0
}
