package main

import (
	"bytes"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/fastgo/fastgo/exporter/internal/treetest"

	"golang.org/x/tools/txtar"
)

var update = flag.Bool("update", false, "rewrite the golden want.txtar files of testdata/cases")

// snapshot reads every file under root.
func snapshot(t testing.TB, root string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			rel, _ := filepath.Rel(root, p)
			data, _ := os.ReadFile(p)
			files[filepath.ToSlash(rel)] = data
		}
		return nil
	})
	return files
}

// TestGolden runs the command on each repository in testdata/cases (with a go.mod
// added) and compares its exit code, output, and the files it wrote or removed
// with want.txtar. Run `go test ./exporter -update` to rewrite the goldens.
func TestGolden(t *testing.T) {
	t.Setenv("GOWORK", "off") // the temporary repositories stand alone
	dirs, err := filepath.Glob(filepath.Join("testdata", "cases", "*"))
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no cases in testdata/cases: %v", err)
	}
	for _, dir := range dirs {
		dir, _ := filepath.Abs(dir)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			root := t.TempDir()
			treetest.Copy(t, dir, root, func(rel string, d fs.DirEntry) bool {
				return rel == "want.txtar" || rel == "args"
			})
			if err := os.WriteFile(filepath.Join(root, "go.mod"), []byte(treetest.GoMod), 0o644); err != nil {
				t.Fatal(err)
			}
			args := []string{"-root", root}
			if a, err := os.ReadFile(filepath.Join(dir, "args")); err == nil {
				args = append(args, strings.Fields(string(a))...)
			}
			before := snapshot(t, root)
			var stdout, stderr bytes.Buffer
			t.Chdir(root)
			code := run(args, &stdout, &stderr)
			after := snapshot(t, root)

			clean := func(s string) []byte { return []byte(strings.ReplaceAll(s, root, "$ROOT")) }
			ar := &txtar.Archive{Comment: []byte("exit " + strconv.Itoa(code) + "\n")}
			ar.Files = append(ar.Files, txtar.File{Name: "stdout", Data: clean(stdout.String())},
				txtar.File{Name: "stderr", Data: clean(stderr.String())})
			var names []string
			for name := range union(before, after) {
				names = append(names, name)
			}
			sort.Strings(names)
			for _, name := range names {
				b, inBefore := before[name]
				a, inAfter := after[name]
				switch {
				case !inAfter:
					ar.Files = append(ar.Files, txtar.File{Name: "removed " + name})
				case !inBefore || !bytes.Equal(a, b):
					ar.Files = append(ar.Files, txtar.File{Name: "wrote " + name, Data: a})
				}
			}
			got := txtar.Format(ar)
			wantFile := filepath.Join(dir, "want.txtar")
			if *update {
				if err := os.WriteFile(wantFile, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(wantFile)
			if err != nil {
				t.Fatalf("%v (run go test ./exporter -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("output differs from %s (go test ./exporter -update rewrites it):\n--- got\n%s\n--- want\n%s", wantFile, got, want)
			}
			if code != 0 {
				for _, f := range ar.Files {
					if strings.HasPrefix(f.Name, "wrote ") || strings.HasPrefix(f.Name, "removed ") {
						t.Errorf("exit %d but the run changed %s", code, f.Name)
					}
				}
			}
		})
	}
}

func union(a, b map[string][]byte) map[string]bool {
	u := map[string]bool{}
	for k := range a {
		u[k] = true
	}
	for k := range b {
		u[k] = true
	}
	return u
}
