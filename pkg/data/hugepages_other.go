//go:build !linux

package data

// registerForHugePages does nothing where transparent huge pages and mremap
// are not available.
func registerForHugePages(images []float32) {}
