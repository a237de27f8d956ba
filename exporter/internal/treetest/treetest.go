// Package treetest holds what the exporter's tests share for building
// throwaway repositories: copying a directory tree and a go.mod for it.
package treetest

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// GoMod is the go.mod written into a test repository that has none.
const GoMod = "module example.com/nbtest\n\ngo 1.26\n"

// Copy copies the regular files under src into dst, leaving out what skip
// selects (skip may be nil; it gets slash-separated paths relative to src, and
// a skipped directory is left out whole). It fails the test on any error.
func Copy(t testing.TB, src, dst string, skip func(rel string, d fs.DirEntry) bool) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if rel != "." && skip != nil && skip(filepath.ToSlash(rel), d) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}
