package nbexport

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
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
	dir := t.TempDir()
	var tmps []string
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
		tmp := filepath.Join(dir, strconv.Itoa(len(tmps))+".ipynb")
		if err := os.WriteFile(tmp, out, 0o644); err != nil {
			t.Fatal(err)
		}
		tmps = append(tmps, tmp)
	}
	if len(tmps) < 10 {
		t.Fatalf("found only %d notebooks", len(tmps))
	}
	// One Python run prints the name of each file that Python would write
	// differently.
	script := `import json, sys
for p in sys.argv[1:]:
    raw = open(p, encoding='utf-8').read()
    if json.dumps(json.loads(raw), sort_keys=True, indent=1, ensure_ascii=False) + '\n' != raw:
        print(p)
`
	out, err := exec.Command(py, append([]string{"-c", script}, tmps...)...).Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range strings.Fields(string(out)) {
		data, _ := os.ReadFile(p)
		t.Errorf("clean's layout differs from Jupyter's:\n%s", data)
	}
}
