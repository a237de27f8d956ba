//go:build unix

package data

import (
	"os"
	"syscall"
)

// mapFile maps the first size bytes of f copy-on-write: the data is shared
// with the page cache until written, and writes (e.g. normalising a tensor in
// place) never reach the file. The mapping lives as long as the process.
func mapFile(f *os.File, size int) ([]byte, error) {
	return syscall.Mmap(int(f.Fd()), 0, size, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE)
}
