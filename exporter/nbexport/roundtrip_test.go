package nbexport

import (
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"testing"

	"time"

	"github.com/fastgo/fastgo/exporter/internal/treetest"
)

// repoRoot is this repository, two levels up from exporter/nbexport.
func repoRoot(t testing.TB) *Repo {
	t.Helper()
	r, err := OpenRepo(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// copyRepo copies a repository without its VCS data, virtual environments and
// other hidden or bulky directories.
func copyRepo(t testing.TB, src string) *Repo {
	t.Helper()
	root := t.TempDir()
	treetest.Copy(t, src, root, func(rel string, d fs.DirEntry) bool {
		base := path.Base(rel)
		return strings.HasPrefix(base, ".") || base == "node_modules" || base == "__pycache__" ||
			(!d.IsDir() && strings.HasSuffix(base, ".test"))
	})
	r, err := OpenRepo(root)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// realPlan exports this repository's notebooks in memory, or skips the test while
// no notebook has exported cells.
func realPlan(t testing.TB) (*Repo, []string) {
	r := repoRoot(t)
	nbs, err := r.Notebooks()
	if err != nil {
		t.Fatal(err)
	}
	p, err := r.Plan(nbs, true)
	if err != nil {
		t.Fatalf("exporting the repository's notebooks: %v", err)
	}
	if len(p.Files) == 0 {
		t.Skipf("notebooks/ has no exported cells yet (%d notebooks): nothing to round-trip", len(nbs))
	}
	return r, nbs
}

func goCmd(t testing.TB, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	start := time.Now()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	t.Logf("go %s: %.1fs", strings.Join(args, " "), time.Since(start).Seconds())
}

// roundTrip exports every notebook of a copy of src, type-checks, builds, vets and
// tests the targets, then edits each generated file, syncs, and exports again:
// the edited files must come back byte for byte and -check must be clean.
func roundTrip(t *testing.T, src string) {
	t.Setenv("GOWORK", "off") // the copy stands alone
	r := copyRepo(t, src)
	p := exportAll(t, r)
	if len(p.Files) == 0 {
		t.Fatal("no files exported")
	}
	targets := p.Targets()
	if err := r.TypeCheck(p); err != nil {
		t.Fatal(err)
	}
	pkgs := make([]string, len(targets))
	for i, tg := range targets {
		pkgs[i] = "./" + tg
	}
	goCmd(t, r.Root, append([]string{"build"}, pkgs...)...)
	goCmd(t, r.Root, append([]string{"vet"}, pkgs...)...)
	goCmd(t, r.Root, append([]string{"test", "-count=1"}, pkgs...)...)

	edited := map[string]string{}
	for i, o := range p.Files {
		if strings.HasSuffix(o.Path, "_test.go") {
			continue
		}
		// Add a function at the end of a cell, as a person fixing the package by
		// hand would.
		probe := fmt.Sprintf("// roundTripProbe%d was added in the generated file.\nfunc roundTripProbe%d() int { return %d }\n", i, i, i)
		content := insertInCell(t, r, o, readFile(t, r, o.Path), probe)
		writeFile(t, r, o.Path, content)
		edited[o.Path] = content
	}
	nbs, _ := r.Notebooks()
	res, err := r.Sync(nbs)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Cells) != len(edited) {
		t.Errorf("sync updated %d cells for %d edited files: %v", len(res.Cells), len(edited), res.Cells)
	}
	// Sync exported the synced notebooks: the files hold the edits, under
	// markers with new checksums, and exporting again changes nothing.
	for file, want := range edited {
		if got := readFile(t, r, file); stripSums(got) != stripSums(want) {
			t.Errorf("%s: the file after sync differs from the edited file:\n--- got\n%s\n--- edited\n%s", file, got, want)
		}
	}
	p2, err := r.Plan(nbs, true)
	if err != nil {
		t.Fatal(err)
	}
	if diff, err := r.Check(p2); err != nil || diff != "" {
		t.Errorf("-check after the round trip: %v\n%s", err, diff)
	}
}

// TestRoundTripTestdata round-trips the rules repository of the golden tests.
func TestRoundTripTestdata(t *testing.T) {
	src := t.TempDir()
	treetest.Copy(t, filepath.Join("..", "testdata", "cases", "rules"), src, nil)
	if err := os.WriteFile(filepath.Join(src, "go.mod"), []byte(treetest.GoMod), 0o644); err != nil {
		t.Fatal(err)
	}
	roundTrip(t, src)
}

// TestRoundTripRepo round-trips this repository's own notebooks.
func TestRoundTripRepo(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and tests the exported packages; skipped with -short")
	}
	r, _ := realPlan(t)
	roundTrip(t, r.Root)
}

// TestExportSpeed: exporting all notebooks (reading, assembling, formatting and
// writing; not the type check, measured apart) takes at most a second once the
// program is built.
func TestExportSpeed(t *testing.T) {
	src := filepath.Join("..", "testdata", "sync")
	if r, err := OpenRepo(filepath.Join("..", "..")); err == nil {
		if nbs, _ := r.Notebooks(); len(nbs) > 0 {
			if p, err := r.Plan(nbs, true); err == nil && len(p.Files) > 0 {
				src = r.Root
			}
		}
	}
	r := copyRepo(t, src)
	if _, err := os.Stat(filepath.Join(r.Root, "go.mod")); err != nil {
		t.Fatal(err)
	}
	exportAll(t, r) // warm up: first write, caches
	best := time.Hour
	for range 3 {
		start := time.Now()
		p := exportAll(t, r)
		best = min(best, time.Since(start))
		if len(p.Files) == 0 {
			t.Fatal("nothing exported")
		}
	}
	start := time.Now()
	p := exportAll(t, r)
	// Whether the packages compile is TestRoundTripRepo's question; here only the
	// time counts.
	typeErr := r.TypeCheck(p)
	withTypes := time.Since(start)
	t.Logf("export of %s (%d files): best %v; with type check %v (type errors: %v)", src, len(p.Files), best, withTypes, typeErr != nil)
	if best > time.Second {
		t.Errorf("exporting all notebooks took %v, want at most 1s", best)
	}
}

// BenchmarkExportAll measures Plan+Write of all notebooks of testdata/sync, or of
// the repository's notebooks once they have exported cells.
func BenchmarkExportAll(b *testing.B) {
	src := filepath.Join("..", "testdata", "sync")
	if r, err := OpenRepo(filepath.Join("..", "..")); err == nil {
		if nbs, _ := r.Notebooks(); len(nbs) > 0 {
			if p, err := r.Plan(nbs, true); err == nil && len(p.Files) > 0 {
				src = r.Root
			}
		}
	}
	r := copyRepo(b, src)
	for b.Loop() {
		exportAll(b, r)
	}
}

// insertInCell adds code at the end of the last cell of o that sync can take back
// whole (one none of whose declarations a later cell replaced).
func insertInCell(t testing.TB, r *Repo, o Output, content, code string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(r.Root, filepath.FromSlash(o.Notebook)))
	if err != nil {
		t.Fatal(err)
	}
	nb, err := ParseNotebook(o.Notebook, data)
	if err != nil {
		t.Fatal(err)
	}
	cells, _, err := selectCells(nb)
	if err != nil {
		t.Fatal(err)
	}
	var same []*cellCode
	for _, c := range cells {
		if c.target == o.Target {
			same = append(same, c)
		}
	}
	markReplaced(nb, same)
	pick := ""
	for _, c := range same {
		if _, ok := o.cells[c.id]; ok && len(c.replaced) == 0 {
			pick = c.id
		}
	}
	if pick == "" {
		t.Fatalf("%s: no cell that sync can take back whole", o.Path)
	}
	lines := strings.SplitAfter(content, "\n")
	at := len(lines)
	for i, l := range lines {
		if m := markerRE.FindStringSubmatch(strings.TrimSuffix(l, "\n")); m != nil && m[3] == pick {
			at = len(lines)
			for j := i + 1; j < len(lines); j++ {
				if markerRE.MatchString(strings.TrimSuffix(lines[j], "\n")) {
					at = j
					break
				}
			}
		}
	}
	if at == len(lines) {
		return content + "\n" + code
	}
	return strings.Join(lines[:at], "") + code + "\n" + strings.Join(lines[at:], "")
}
