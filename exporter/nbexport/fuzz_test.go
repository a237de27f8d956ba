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
	f.Add([]byte(`{"nbformat": 4, "nbformat_minor": 4, "cells": [{"cell_type": "code", "source": "//| export\nfunc F() {}"}, {"cell_type": "code", "id": "x", "source": ""}]}`))
	f.Add([]byte(`{"nbformat": 4, "cells": [{"cell_type": "code", "id": "a", "source": "//| export\nfunc F() {}"}, {"cell_type": "code", "id": "a", "source": "//| export\nfunc G() {}"}]}`))
	f.Add([]byte(`{"nbformat": 4, "cells": [{"cell_type": "code", "id": "a b", "source": "//| export\nfunc F() {}"}]}`))
	f.Add([]byte(`{"nbformat": 4, "cells": [{"cell_type": "code", "id": "a", "outputs": [{"output_type": "stream", "name": "stdout", "text": "x"}, {"output_type": "stream", "name": "stdout", "text": ["y\n", "z"]}], "metadata": {"execution": {}}, "source": "%%"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		nb, err := ParseNotebook("notebooks/01_fuzz.ipynb", data)
		if err != nil {
			if nb != nil {
				t.Fatal("error with a notebook")
			}
			return
		}
		checkClean(t, nb, data)
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

// checkClean cleans a notebook that parses: cleaning must succeed, keep every
// cell's type, source and id, give every other cell a valid id unique in the
// notebook, and be idempotent.
func checkClean(t *testing.T, nb *Notebook, data []byte) {
	out, res, err := CleanNotebook(nb.Path, data)
	if err != nil {
		t.Fatalf("clean failed on a notebook that parses: %v", err)
	}
	cl, err := ParseNotebook(nb.Path, out)
	if err != nil {
		t.Fatalf("cleaned notebook does not parse: %v\n%s", err, out)
	}
	if len(cl.Cells) != len(nb.Cells) {
		t.Fatalf("clean changed the number of cells: %d → %d", len(nb.Cells), len(cl.Cells))
	}
	added := 0
	for i, c := range nb.Cells {
		d := cl.Cells[i]
		if d.Type != c.Type || d.Source != c.Source {
			t.Fatalf("clean changed cell %d: %+v → %+v", i, c, d)
		}
		switch {
		case c.ID == "":
			added++
		case d.ID != c.ID:
			t.Fatalf("clean changed the id of cell %d: %q → %q", i, c.ID, d.ID)
		}
		if !idRE.MatchString(d.ID) {
			t.Fatalf("cell %d has no valid id after clean: %q", i, d.ID)
		}
	}
	if added != res.IDs {
		t.Fatalf("clean reports %d ids added, %d cells had none", res.IDs, added)
	}
	again, res2, err := CleanNotebook(nb.Path, out)
	if err != nil || res2.Changed() || string(again) != string(out) {
		t.Fatalf("clean is not idempotent (%v, %+v):\n%s\n---\n%s", err, res2, out, again)
	}
}
