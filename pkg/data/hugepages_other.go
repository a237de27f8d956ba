//go:build !linux

package data

import (
	"errors"
	"os"
)

// readHuge is Linux only: elsewhere the cache is mapped.
func readHuge(f *os.File, size int) ([]byte, error) { return nil, errors.ErrUnsupported }
