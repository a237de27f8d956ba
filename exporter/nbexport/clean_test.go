package nbexport

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestCleanLayoutIsJupyters: what clean writes is byte for byte what Jupyter
// writes for the same notebook (Python's json.dumps(indent=1, sort_keys=True,
// ensure_ascii=False)), for every notebook of the test data and the repository.
func TestCleanLayoutIsJupyters(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not found")
	}
	a, _ := filepath.Glob(filepath.Join("..", "testdata", "*", "*", "notebooks", "*.ipynb"))
	b, _ := filepath.Glob(filepath.Join("..", "testdata", "*", "notebooks", "*.ipynb"))
	c, _ := filepath.Glob(filepath.Join("..", "..", "notebooks", "*.ipynb"))
	n := 0
	for _, file := range append(append(a, b...), c...) {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ParseNotebook(file, data); err != nil {
			continue // the error cases' bad notebooks
		}
		out, _, err := CleanNotebook(file, data)
		if err != nil {
			t.Errorf("%s: %v", file, err)
			continue
		}
		tmp := filepath.Join(t.TempDir(), "nb.ipynb")
		if err := os.WriteFile(tmp, out, 0o644); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(py, "-c", "import json,sys; d=json.load(open(sys.argv[1], encoding='utf-8')); sys.stdout.write(json.dumps(d, sort_keys=True, indent=1, ensure_ascii=False)+'\\n')", tmp)
		want, err := cmd.Output()
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		if string(want) != string(out) {
			t.Errorf("%s: clean's layout differs from Jupyter's:\n%s", file, out)
		}
		n++
	}
	if n < 10 {
		t.Errorf("compared only %d notebooks", n)
	}
}
