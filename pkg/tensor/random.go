package tensor

import (
	"math/rand/v2"
)

// defaultRNG is the generator used when a nil *rand.Rand is passed. Like
// any *rand.Rand it is not safe for concurrent use.
var defaultRNG = NewRNG(42)

// NewRNG returns a seeded generator (PCG); the same seed gives the same
// stream on every machine.
func NewRNG(seed uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
}

// Seed resets the package default generator, like torch.manual_seed.
func Seed(seed uint64) { defaultRNG = NewRNG(seed) }

func rngOr(rng *rand.Rand) *rand.Rand {
	if rng == nil {
		return defaultRNG
	}
	return rng
}

// Rand returns a Float32 tensor of values uniform in [0, 1).
func Rand(rng *rand.Rand, shape ...int) *Tensor {
	r := rngOr(rng)
	t := Zeros(shape...)
	for i := range t.data {
		t.data[i] = r.Float32()
	}
	return t
}

// Randn returns a Float32 tensor of standard normal values.
func Randn(rng *rand.Rand, shape ...int) *Tensor {
	r := rngOr(rng)
	t := Zeros(shape...)
	for i := range t.data {
		t.data[i] = float32(r.NormFloat64())
	}
	return t
}

// Uniform returns a Float32 tensor of values uniform in [lo, hi).
func Uniform(rng *rand.Rand, lo, hi float32, shape ...int) *Tensor {
	r := rngOr(rng)
	t := Zeros(shape...)
	for i := range t.data {
		t.data[i] = lo + (hi-lo)*r.Float32()
	}
	return t
}

// RandPerm returns a random permutation of 0..n-1 as an Int tensor.
func RandPerm(rng *rand.Rand, n int) *Tensor {
	r := rngOr(rng)
	p := r.Perm(n)
	t := newTensor(make([]float32, n), []int{n}, Int)
	for i, v := range p {
		t.data[i] = float32(v)
	}
	return t
}
