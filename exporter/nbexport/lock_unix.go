//go:build unix

package nbexport

import (
	"fmt"
	"os"
	"syscall"
)

// Lock takes the repository's exporter lock, waiting while another exporter run
// (export, sync or clean, in this process or another) holds it, and returns the
// function that releases it. The lock is an flock(2) on the repository's root
// directory itself: no lock file to leave behind or to ignore in git, the same
// lock whatever the environment of the run (a notebook kernel's or a
// terminal's), and a run that dies releases it with its process. With
// whole-file atomic renames this means two runs never interleave: each writes
// every file of one consistent plan, read after the other run finished.
func (r *Repo) Lock() (func(), error) {
	f, err := os.Open(r.Root)
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
		return nil, fmt.Errorf("exporter lock on %s: %v", r.Root, err)
	}
	return func() {
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}
