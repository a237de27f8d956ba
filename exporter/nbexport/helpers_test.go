package nbexport

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fastgo/fastgo/exporter/internal/treetest"
)

// testRepo copies testdata/<name> into a temporary directory with a go.mod.
func testRepo(t testing.TB, name string) *Repo {
	t.Helper()
	root := t.TempDir()
	treetest.Copy(t, filepath.Join("..", "testdata", name), root, nil)
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		if err := os.WriteFile(filepath.Join(root, "go.mod"), []byte(treetest.GoMod), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	r, err := OpenRepo(root)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// exportAll plans and writes every notebook of r.
func exportAll(t testing.TB, r *Repo) *Plan {
	t.Helper()
	p := mustPlan(t, r)
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
