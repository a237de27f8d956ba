package nbexport

import (
	"os"
	"path/filepath"
	"regexp"
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

var sumRE = regexp.MustCompile(`(?m)^(// %% .* \(id [^,]*), sum [0-9a-f]{8}\)$`)

// stripSums removes the checksums from the markers of a generated file, to
// compare code that sync and export rewrote around the same edits.
func stripSums(s string) string {
	return sumRE.ReplaceAllString(s, "$1)")
}

// markerLine returns the marker line (with its newline) of the cell with the
// given id in a generated file.
func markerLine(t testing.TB, content, id string) string {
	t.Helper()
	for _, l := range strings.SplitAfter(content, "\n") {
		if m := markerRE.FindStringSubmatch(strings.TrimSuffix(l, "\n")); m != nil && m[3] == id {
			return l
		}
	}
	t.Fatalf("no marker for cell id %s in:\n%s", id, content)
	return ""
}
