//go:build !amd64 || purego

package vec

// ClampMin sets y[i] = max(x[i], v) for every i of x.
func ClampMin(y, x []float32, v float32) { clampMinGo(y, x, v) }

// AddWhereGreater adds g[i] onto da[i] for every i of da where x[i] > v.
func AddWhereGreater(da, x, g []float32, v float32) { addWhereGreaterGo(da, x, g, v) }
