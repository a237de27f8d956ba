package nbexport

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const testGoMod = "module example.com/nbtest\n\ngo 1.26\n"

// testRepo copies testdata/<name> into a temporary directory with a go.mod.
func testRepo(t testing.TB, name string) *Repo {
	t.Helper()
	root := t.TempDir()
	copyTree(t, filepath.Join("..", "testdata", name), root, nil)
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		if err := os.WriteFile(filepath.Join(root, "go.mod"), []byte(testGoMod), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	r, err := OpenRepo(root)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// copyTree copies the regular files under src into dst, leaving out what skip
// selects (a directory is skipped whole).
func copyTree(t testing.TB, src, dst string, skip func(rel string, d fs.DirEntry) bool) {
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

// exportAll plans and writes every notebook of r.
func exportAll(t testing.TB, r *Repo) *Plan {
	t.Helper()
	nbs, err := r.Notebooks()
	if err != nil {
		t.Fatal(err)
	}
	p, err := r.Plan(nbs, true)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Write(p); err != nil {
		t.Fatal(err)
	}
	return p
}

func readFile(t testing.TB, r *Repo, rel string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(r.Root, filepath.FromSlash(rel)))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func writeFile(t testing.TB, r *Repo, rel, content string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(r.Root, filepath.FromSlash(rel)), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// replaceOnce replaces old, which must occur exactly once in s.
func replaceOnce(t testing.TB, s, old, new string) string {
	t.Helper()
	if n := strings.Count(s, old); n != 1 {
		t.Fatalf("%q occurs %d times, want once, in:\n%s", old, n, s)
	}
	return strings.Replace(s, old, new, 1)
}
