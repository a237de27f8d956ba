// Package gatherhint lets the package that owns a large block of memory act
// on it when pkg/tensor starts gathering rows from it, without pkg/tensor
// knowing who owns what: pkg/data moves a mapped dataset to huge pages the
// first time a training loop gathers batches from it (see pkg/data's
// hugepages_linux.go).
package gatherhint

// MinElements is the size, in float32 elements, from which a row gather
// reports its source: smaller tensors are not worth a call.
const MinElements = 1 << 20

// Source, when set (once, at package initialisation), is called by
// pkg/tensor's row gathers with the whole source tensor's data before
// copying from it, in the gathering goroutine. It must return quickly when
// it has nothing to do, and must leave the values of data unchanged.
var Source func(data []float32)
