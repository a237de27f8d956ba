package nbexport

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"golang.org/x/tools/imports"
)

const syncNB = "notebooks/01_sync.ipynb"

// TestSyncRoundTrip edits the generated files, syncs them into the notebook, and
// exports again: the edited files must come back byte for byte, and the notebook
// must differ only in the edited cells' sources.
func TestSyncRoundTrip(t *testing.T) {
	t.Setenv("GOWORK", "off") // the copy stands alone
	r := testRepo(t, "sync")
	exportAll(t, r)
	nbFile := filepath.Join(r.Root, syncNB)
	orig, err := os.ReadFile(nbFile)
	if err != nil {
		t.Fatal(err)
	}

	// With no edits, sync changes nothing.
	res, err := r.Sync([]string{syncNB})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Cells) != 0 {
		t.Fatalf("sync without edits updated %v", res.Cells)
	}
	if now, _ := os.ReadFile(nbFile); string(now) != string(orig) {
		t.Fatal("sync without edits changed the notebook")
	}

	// Edit as a person with an editor running goimports would.
	main := readFile(t, r, "pkg/demo/nb01_sync.go")
	main = replaceOnce(t, main, `Greet("a"), 1)`, `Greet("a"), 2)`) // unqualified in the file
	main = replaceOnce(t, main, "return 1 }", "return 11 }")
	m3 := markerLine(t, main, "c3")
	main = replaceOnce(t, main, m3, "// Shout greets loudly.\nfunc Shout() string { return strings.ToUpper(Greet(\"b\")) }\n\n"+m3)
	formatted, err := imports.Process("nb01_sync.go", []byte(main), nil)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, r, "pkg/demo/nb01_sync.go", string(formatted))
	test := replaceOnce(t, readFile(t, r, "pkg/demo/nb01_sync_test.go"), `t.Fatal("two")`, `t.Fatal("not two")`)
	writeFile(t, r, "pkg/demo/nb01_sync_test.go", test)

	res, err = r.Sync([]string{syncNB})
	if err != nil {
		t.Fatal(err)
	}
	var got []int
	for _, c := range res.Cells {
		got = append(got, c.Index)
	}
	if want := []int{2, 3, 4}; !reflect.DeepEqual(got, want) {
		t.Errorf("synced cells %v, want %v", got, want)
	}
	after, err := os.ReadFile(nbFile)
	if err != nil {
		t.Fatal(err)
	}
	nb, err := ParseNotebook(syncNB, after)
	if err != nil {
		t.Fatal(err)
	}
	c2 := nb.Cells[2].Source
	for _, want := range []string{"demo.Greet(\"a\"), 2)", "strings.ToUpper(demo.Greet(\"b\"))", "import \"strings\"", "//| export\n"} {
		if !strings.Contains(c2, want) {
			t.Errorf("cell 2 lacks %q:\n%s", want, c2)
		}
	}
	if c3 := nb.Cells[3]; c3.AsLines || !c3.CRLF || !strings.Contains(c3.Source, "return 11") {
		t.Errorf("cell 3 should stay one CRLF string and hold the edit: %+v", c3)
	}
	if !strings.Contains(nb.Cells[4].Source, `t.Fatal("not two")`) {
		t.Errorf("cell 4 lacks the test edit:\n%s", nb.Cells[4].Source)
	}

	// Everything but the edited sources is untouched.
	var before, now map[string]any
	json.Unmarshal(orig, &before)
	json.Unmarshal(after, &now)
	bc, nc := before["cells"].([]any), now["cells"].([]any)
	for i := range bc {
		b, n := bc[i].(map[string]any), nc[i].(map[string]any)
		if i >= 2 && i <= 4 {
			delete(b, "source")
			delete(n, "source")
		}
		if !reflect.DeepEqual(b, n) {
			t.Errorf("cell %d changed beyond its source:\n%v\n%v", i, b, n)
		}
	}
	delete(before, "cells")
	delete(now, "cells")
	if !reflect.DeepEqual(before, now) {
		t.Errorf("notebook metadata changed")
	}

	// Jupyter's own layout: Python's json.dumps(indent=1, sort_keys=True,
	// ensure_ascii=False) of the result gives the same bytes.
	if py, err := exec.LookPath("python3"); err == nil {
		cmd := exec.Command(py, "-c", "import json,sys; d=json.load(open(sys.argv[1], encoding='utf-8')); sys.stdout.write(json.dumps(d, sort_keys=True, indent=1, ensure_ascii=False)+'\\n')", nbFile)
		out, err := cmd.Output()
		if err != nil {
			t.Fatal(err)
		}
		if string(out) != string(after) {
			t.Errorf("synced notebook is not in Jupyter's layout:\n%s", after)
		}
	} else {
		t.Log("python3 not found: Jupyter layout not compared")
	}

	// Sync exported the notebook again: the files hold the edits byte for byte
	// but for the markers' checksums, and the packages agree with the notebook.
	if got := readFile(t, r, "pkg/demo/nb01_sync.go"); stripSums(got) != stripSums(string(formatted)) {
		t.Errorf("the file after sync differs from the edited file:\n--- got\n%s\n--- edited\n%s", got, formatted)
	}
	if got := readFile(t, r, "pkg/demo/nb01_sync_test.go"); stripSums(got) != stripSums(test) {
		t.Errorf("the test file after sync differs from the edited test file:\n--- got\n%s\n--- edited\n%s", got, test)
	}
	if diff, err := r.Check(mustPlan(t, r)); err != nil || diff != "" {
		t.Errorf("-check after sync: %v\n%s", err, diff)
	}
	// A second sync finds nothing to do.
	if res, err := r.Sync([]string{syncNB}); err != nil || len(res.Cells) != 0 {
		t.Errorf("second sync: %v, %v", res.Cells, err)
	}
	// And the package builds and its notebook test passes.
	cmd := exec.Command("go", "test", "./pkg/demo")
	cmd.Dir = r.Root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("go test ./pkg/demo: %v\n%s", err, out)
	}
}

// TestSyncRefusesPartialCell: a cell part of which a later cell redefined is not
// whole in the file, so sync must refuse it and write nothing.
func TestSyncRefusesPartialCell(t *testing.T) {
	r := testRepo(t, "sync")
	exportAll(t, r)
	orig := readFile(t, r, syncNB)
	main := replaceOnce(t, readFile(t, r, "pkg/demo/nb01_sync.go"), "return 4 }", "return 44 }")
	writeFile(t, r, "pkg/demo/nb01_sync.go", main)
	_, err := r.Sync([]string{syncNB})
	if err == nil || !strings.Contains(err.Error(), "cell 5") || !strings.Contains(err.Error(), "Three") {
		t.Fatalf("want an error naming cell 5 and Three, got %v", err)
	}
	if readFile(t, r, syncNB) != orig {
		t.Error("the notebook was written despite the error")
	}
}

// TestSyncRejectsForeignMarker: edited code under a marker naming a cell that
// is not exported, or a marker of an older exporter, is refused.
func TestSyncRejectsForeignMarker(t *testing.T) {
	for name, marker := range map[string]string{
		"not exported": Marker(syncNB, 7, "c7", "00000000"),
		"old format":   "// %% notebooks/01_sync.ipynb cell 7",
	} {
		t.Run(name, func(t *testing.T) {
			r := testRepo(t, "sync")
			exportAll(t, r)
			orig := readFile(t, r, syncNB)
			main := readFile(t, r, "pkg/demo/nb01_sync.go") + "\n" + marker + "\n\nfunc Seven() {}\n"
			writeFile(t, r, "pkg/demo/nb01_sync.go", main)
			_, err := r.Sync([]string{syncNB})
			if err == nil || !strings.Contains(err.Error(), "cell 7") {
				t.Fatalf("want an error naming cell 7, got %v", err)
			}
			if readFile(t, r, syncNB) != orig || readFile(t, r, "pkg/demo/nb01_sync.go") != main {
				t.Error("a file was written despite the error")
			}
		})
	}
}

// TestSyncAfterCellsMoved: a cell inserted at the top of the notebook after the
// export shifts every index, but markers name cells by id: the edit lands in
// the cell it came from, and no other cell changes.
func TestSyncAfterCellsMoved(t *testing.T) {
	r := testRepo(t, "sync")
	exportAll(t, r)
	var nb map[string]any
	if err := json.Unmarshal([]byte(readFile(t, r, syncNB)), &nb); err != nil {
		t.Fatal(err)
	}
	cells := nb["cells"].([]any)
	nb["cells"] = append([]any{map[string]any{"cell_type": "markdown", "id": "new", "metadata": map[string]any{}, "source": []any{"new"}}}, cells...)
	moved, err := json.MarshalIndent(nb, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, r, syncNB, string(moved))
	writeFile(t, r, "pkg/demo/nb01_sync.go", replaceOnce(t, readFile(t, r, "pkg/demo/nb01_sync.go"), "return 1 }", "return 11 }"))
	res, err := r.Sync([]string{syncNB})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Cells) != 1 || res.Cells[0].ID != "c3" || res.Cells[0].Index != 4 {
		t.Fatalf("synced %+v, want cell c3 (now index 4) alone", res.Cells)
	}
	before, _ := ParseNotebook(syncNB, moved)
	after, err := ParseNotebook(syncNB, []byte(readFile(t, r, syncNB)))
	if err != nil {
		t.Fatal(err)
	}
	for i := range before.Cells {
		b, a := before.Cells[i].Source, after.Cells[i].Source
		if i == 4 {
			if want := strings.Replace(b, "return 1 }", "return 11 }", 1); a != want {
				t.Errorf("cell 4:\n%q\nwant\n%q", a, want)
			}
		} else if a != b {
			t.Errorf("cell %d changed:\n%q\nwas\n%q", i, a, b)
		}
	}
}

// TestSyncKeepsOtherLayouts: in a notebook not written by Jupyter (compact JSON,
// or two-space indentation), sync still changes only the edited cell's source.
func TestSyncKeepsOtherLayouts(t *testing.T) {
	for name, marshal := range map[string]func(any) ([]byte, error){
		"compact":  json.Marshal,
		"indent 2": func(v any) ([]byte, error) { return json.MarshalIndent(v, "", "  ") },
		"python compact": func(v any) ([]byte, error) {
			b, err := json.Marshal(v)
			return bytes.ReplaceAll(bytes.ReplaceAll(b, []byte(`":`), []byte(`": `)), []byte(`","`), []byte(`", "`)), err
		},
	} {
		t.Run(name, func(t *testing.T) {
			r := testRepo(t, "sync")
			var nb any
			if err := json.Unmarshal([]byte(readFile(t, r, syncNB)), &nb); err != nil {
				t.Fatal(err)
			}
			before, err := marshal(nb)
			if err != nil {
				t.Fatal(err)
			}
			writeFile(t, r, syncNB, string(before))
			exportAll(t, r)
			writeFile(t, r, "pkg/demo/nb01_sync.go", replaceOnce(t, readFile(t, r, "pkg/demo/nb01_sync.go"), "func Two() int { return 2 }", "func Two() int { return 2 + 0 }"))
			if _, err := r.Sync([]string{syncNB}); err != nil {
				t.Fatal(err)
			}
			after := []byte(readFile(t, r, syncNB))
			sb, err := sourceSpans(before)
			if err != nil {
				t.Fatal(err)
			}
			sa, err := sourceSpans(after)
			if err != nil {
				t.Fatal(err)
			}
			const edited = 4
			if string(before[:sb[edited][0]]) != string(after[:sa[edited][0]]) || string(before[sb[edited][1]:]) != string(after[sa[edited][1]:]) {
				t.Errorf("bytes outside cell %d's source changed:\n%s", edited, after)
			}
			got, err := ParseNotebook(syncNB, after)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(got.Cells[edited].Source, "return 2 + 0") || !got.Cells[edited].AsLines {
				t.Errorf("cell %d: %+v", edited, got.Cells[edited])
			}
			exportAll(t, r)
			if diff, _ := r.Check(mustPlan(t, r)); diff != "" {
				t.Errorf("not clean after sync and export:\n%s", diff)
			}
		})
	}
}

func mustPlan(t testing.TB, r *Repo) *Plan {
	t.Helper()
	nbs, err := r.Notebooks()
	if err != nil {
		t.Fatal(err)
	}
	p, err := r.Plan(nbs, true)
	if err != nil {
		t.Fatal(err)
	}
	return p
}
