//go:build !unix

package data

import (
	"io"
	"os"
)

// mapFile reads the first size bytes of f where mmap is not available.
func mapFile(f *os.File, size int) ([]byte, error) {
	b := make([]byte, size)
	_, err := f.ReadAt(b, 0)
	if err == io.EOF {
		err = nil
	}
	return b, err
}
