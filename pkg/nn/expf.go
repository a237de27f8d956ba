package nn

import "math"

// expShifted sets p[j] = exp(x[j] − m) for every j and returns their sum in
// float64. It is the inner loop of cross entropy and log-softmax, where m is
// the row maximum, so every argument is ≤ 0.
//
// math.Exp works in float64 and costs a call per element; this is the
// float32 algorithm of Cephes' expf (as in SLEEF and PyTorch's vectorised
// exp): write x = n·ln2 + r with |r| ≤ ln2/2, approximate eʳ by a degree-6
// polynomial, and scale by 2ⁿ through the exponent bits. Its error stays
// under 1 ulp of float32 (TestExpShiftedAccuracy), and it takes 57% of
// math.Exp's time here (BenchmarkExpShifted). An
// argument below −87.3 (where the result leaves float32's normal range)
// gives 0, and NaN stays NaN.
func expShifted(p, x []float32, m float32) (sum float64) {
	p = p[:len(x)]
	for j, v := range x {
		v -= m
		var e float32
		switch {
		case v >= -87.33654:
			// Adding 1.5·2²³ rounds v·log₂e to the nearest integer n, which
			// then sits in t's low mantissa bits.
			const shift = 12582912
			t := v*math.Log2E + shift
			n := t - shift
			r := v - n*0.693359375 - n*-2.12194440e-4 // ln2 in two parts, so r is exact
			q := float32(1.9875691500e-4)
			q = q*r + 1.3981999507e-3
			q = q*r + 8.3334519073e-3
			q = q*r + 4.1665795894e-2
			q = q*r + 1.6666665459e-1
			q = q*r + 5.0000001201e-1
			q = q*r*r + r + 1
			e = q * math.Float32frombits((math.Float32bits(t)-0x4B400000+127)<<23)
		case v != v:
			e = v // NaN
		}
		p[j] = e
		sum += float64(e)
	}
	return sum
}
