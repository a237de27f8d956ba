//go:build unix

package nbexport

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// Lock takes the repository's exporter lock, waiting while another exporter run
// (export, sync or clean) holds it, and returns the function that releases it.
// It is an flock(2) on a file in the temporary directory named after the
// repository's absolute path, so that the repository holds no lock file and a
// run that dies releases the lock with its process. Together with whole-file
// atomic renames this means two runs never interleave: each writes every file
// of one consistent plan, read after the other run finished.
func (r *Repo) Lock() (func(), error) {
	root, err := filepath.Abs(r.Root)
	if err != nil {
		return nil, err
	}
	h := sha256.Sum256([]byte(root))
	name := filepath.Join(os.TempDir(), "fastgo-exporter-"+hex.EncodeToString(h[:8])+".lock")
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o666)
	if err != nil {
		return nil, fmt.Errorf("exporter lock: %v", err)
	}
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX)
		if err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("exporter lock %s: %v", name, err)
	}
	return func() {
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}
