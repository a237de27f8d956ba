package nbexport

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzNotebook feeds arbitrary bytes to the parser and the exporter: neither may
// panic, and when either reports an error, writing must not happen (Plan returns
// no plan, so there is nothing to write); when both succeed, every output must
// carry the header and parse back into the cells it came from.
func FuzzNotebook(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("..", "testdata", "*", "*", "notebooks", "*.ipynb"))
	more, _ := filepath.Glob(filepath.Join("..", "testdata", "*", "notebooks", "*.ipynb"))
	for _, s := range append(seeds, more...) {
		data, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(`{"nbformat": 4, "cells": [{"cell_type": "code", "source": "//| export\nfunc F() {}"}]}`))
	f.Add([]byte(`{"nbformat": 4, "cells": [{"cell_type": "code", "source": ["//| export pkg/x\r\n", "import \"fmt\"\r\n", "func F() { fmt.Println() }"]}]}`))
	f.Add([]byte(`{"nbformat": 3}`))
	f.Add([]byte(`{"nbformat": 4, "cells": [{"cell_type": "code", "source": 1}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		nb, err := ParseNotebook("notebooks/01_fuzz.ipynb", data)
		if err != nil {
			if nb != nil {
				t.Fatal("error with a notebook")
			}
			return
		}
		outs, _, err := ExportNotebook(nb, "example.com/nbtest")
		if err != nil {
			if outs != nil {
				t.Fatal("error with outputs")
			}
			return
		}
		for _, o := range outs {
			if got, ok := readHeaderBytes(o.Content); !ok || got != nb.Path {
				t.Fatalf("%s lacks the header:\n%s", o.Path, o.Content)
			}
			rgs := regions(o.Content)
			if len(rgs) != len(o.cells) {
				t.Fatalf("%s: %d markers for %d cells", o.Path, len(rgs), len(o.cells))
			}
			for _, rg := range rgs {
				idx := nb.index(rg.id)
				if idx < 0 || idx != rg.index || nb.Cells[idx].Type != "code" {
					t.Fatalf("%s has a marker for cell %d id %q, which is no code cell of that id", o.Path, rg.index, rg.id)
				}
				if Sum(rg.text) != rg.sum || o.cells[rg.id] != rg.text {
					t.Fatalf("%s: the marker of cell %d has sum %s for code with sum %s", o.Path, rg.index, rg.sum, Sum(rg.text))
				}
			}
		}
	})
}

// TestBadNotebookWritesNothing exports a repository holding one good and one
// malformed notebook: the export must fail and the disk stay as it was.
func TestBadNotebookWritesNothing(t *testing.T) {
	for name, bad := range map[string]string{
		"truncated":  `{"nbformat": 4, "cells": [`,
		"nbformat 3": `{"nbformat": 3, "worksheets": []}`,
		"bad source": `{"nbformat": 4, "cells": [{"cell_type": "code", "source": {"a": 1}}]}`,
		"bad cell":   `{"nbformat": 4, "cells": [{"cell_type": "code", "source": "//| export\nfunc F( {}"}]}`,
	} {
		t.Run(name, func(t *testing.T) {
			r := testRepo(t, "sync")
			writeFile(t, r, "notebooks/02_bad.ipynb", bad)
			nbs, _ := r.Notebooks()
			if _, err := r.Export(nbs, true, false); err == nil {
				t.Fatal("Export accepted a bad notebook")
			}
			if _, err := os.Stat(filepath.Join(r.Root, "pkg", "demo", "nb01_sync.go")); err == nil {
				t.Fatal("the good notebook was written")
			}
		})
	}
}
