package plotting

import (
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/fastgo/fastgo/pkg/tensor"
)

// needDot skips a test on a machine without Graphviz (the set-up installs it).
func needDot(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("dot"); err != nil {
		t.Skip("Graphviz's dot is not installed (Debian: apt-get install graphviz)")
	}
}

// svgGraph reads back the graph dot drew: each node's text lines by its
// DOT id, and the edges as "from->to".
func svgGraph(t *testing.T, svg []byte) (nodes map[string]string, edges []string) {
	t.Helper()
	doc := parseXML(t, string(svg))
	if doc.XMLName.Local != "svg" {
		t.Fatalf("root element is %q, want svg", doc.XMLName.Local)
	}
	nodes = map[string]string{}
	for _, g := range doc.all("g") {
		title := strings.TrimSpace(strings.Join(g.texts("title"), ""))
		switch g.attr("class") {
		case "node":
			nodes[title] = strings.Join(g.texts("text"), "\n")
		case "edge":
			edges = append(edges, title)
		}
	}
	slices.Sort(edges)
	return nodes, edges
}

// mlp is the lesson's model on a small batch: relu(x·w1 + b1)·w2 + b2, and
// a loss on it; the parameters are named as nn.NamedParameters names them.
func mlp() (loss *tensor.Tensor, names map[*tensor.Tensor]string) {
	rng := tensor.NewRNG(1)
	x := tensor.Randn(rng, 4, 5)
	w1, b1 := tensor.Randn(rng, 5, 3).SetRequiresGrad(true), tensor.Zeros(3).SetRequiresGrad(true)
	w2, b2 := tensor.Randn(rng, 3, 2).SetRequiresGrad(true), tensor.Zeros(2).SetRequiresGrad(true)
	out := x.MatMul(w1).Add(b1).Relu().MatMul(w2).Add(b2)
	loss = out.Pow(2).Mean()
	names = map[*tensor.Tensor]string{
		w1: "layers.0.weight", b1: "layers.0.bias", w2: "layers.2.weight", b2: "layers.2.bias",
		x: "xb", loss: "loss",
	}
	return loss, names
}

func TestGraph(t *testing.T) {
	needDot(t)
	loss, names := mlp()
	svg, err := Graph(loss, names)
	if err != nil {
		t.Fatal(err)
	}
	nodes, edges := svgGraph(t, svg)

	// What dot drew must be the graph the tensors recorded: the same
	// labels joined by the same edges. Walk it here independently.
	wantLabels := map[string]int{}
	var wantEdges []string
	seen := map[*tensor.Tensor]string{}
	var walk func(v *tensor.Tensor) string
	walk = func(v *tensor.Tensor) string {
		var label string
		if v.GradFn() == "" {
			label = names[v] + "\n" + shapeString(v.Shape())
		} else {
			label = v.GradFn() + "\n" + shapeString(v.Shape())
		}
		if _, ok := seen[v]; ok {
			return label
		}
		seen[v] = label
		wantLabels[label]++
		for _, in := range v.GraphInputs() {
			wantEdges = append(wantEdges, walk(in)+" -> "+label)
		}
		return label
	}
	op := walk(loss)
	wantLabels["loss\n()"]++
	wantEdges = append(wantEdges, op+" -> loss\n()")
	slices.Sort(wantEdges)

	gotLabels := map[string]int{}
	for _, l := range nodes {
		gotLabels[l]++
	}
	if !maps.Equal(gotLabels, wantLabels) {
		t.Errorf("node labels:\n got %v\nwant %v", gotLabels, wantLabels)
	}
	var gotEdges []string
	for _, e := range edges {
		from, to, ok := strings.Cut(e, "->")
		if !ok {
			t.Fatalf("edge title %q", e)
		}
		gotEdges = append(gotEdges, nodes[from]+" -> "+nodes[to])
	}
	slices.Sort(gotEdges)
	if !slices.Equal(gotEdges, wantEdges) {
		t.Errorf("edges:\n got %q\nwant %q", gotEdges, wantEdges)
	}

	// The names API.md promises, PyTorch's, and the parameters by name.
	for _, want := range []string{
		"MmBackward0\n(4, 3)", "AddBackward0\n(4, 3)", "ReluBackward0\n(4, 3)", "MmBackward0\n(4, 2)",
		"layers.0.weight\n(5, 3)", "layers.0.bias\n(3)", "layers.2.weight\n(3, 2)", "xb\n(4, 5)", "loss\n()",
	} {
		if gotLabels[want] != 1 {
			t.Errorf("no node %q in %v", want, gotLabels)
		}
	}
	// Parameters are blue, the input white, the loss green, as in make_dot.
	s := string(svg)
	for _, fill := range []string{"lightblue", "white", "#caff70" /* darkolivegreen1 */, "lightgrey"} {
		if !strings.Contains(s, `fill="`+fill+`"`) {
			t.Errorf("no node filled %s", fill)
		}
	}
}

func TestGraphLeafAndNames(t *testing.T) {
	needDot(t)
	w := tensor.Zeros(2, 2).SetRequiresGrad(true)
	// A leaf alone is one box; a name with DOT's special characters is kept.
	svg, err := Graph(w, map[*tensor.Tensor]string{w: `w "quoted" \ back`})
	if err != nil {
		t.Fatal(err)
	}
	nodes, edges := svgGraph(t, svg)
	if len(nodes) != 1 || len(edges) != 0 || nodes["n0"] != "w \"quoted\" \\ back\n(2, 2)" {
		t.Errorf("nodes %q, edges %q", nodes, edges)
	}
	// A tensor used twice is one node with two edges out; no names at all
	// is fine.
	sq := w.Mul(w).Sum()
	svg, err = Graph(sq, nil)
	if err != nil {
		t.Fatal(err)
	}
	nodes, edges = svgGraph(t, svg)
	if len(nodes) != 4 || len(edges) != 4 { // w, Mul, Sum, output
		t.Errorf("w*w: nodes %q, edges %q", nodes, edges)
	}
	if nodes["n3"] != "output\n()" {
		t.Errorf("unnamed root: %q", nodes["n3"])
	}
}

func TestGraphWithoutDot(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	_, err := runDot("digraph { a -> b }")
	if err == nil || !strings.Contains(err.Error(), "graphviz") || !strings.Contains(err.Error(), "apt-get install graphviz") {
		t.Fatalf("error %v, want one naming the graphviz package", err)
	}
}

func TestGraphDotError(t *testing.T) {
	needDot(t)
	if _, err := runDot("digraph { a -> "); err == nil || !strings.Contains(err.Error(), "syntax error") {
		t.Fatalf("a DOT syntax error gave %v, want dot's message", err)
	}
}

func TestShowGraphWritesFileOutsideNotebook(t *testing.T) {
	needDot(t)
	loss, names := mlp()
	dir := t.TempDir()
	t.Setenv("FASTGO_PLOT_DIR", dir)
	p, err := ShowGraph(loss, names)
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Dir(p) != dir || !strings.HasPrefix(filepath.Base(p), "loss_graph-") || filepath.Ext(p) != ".svg" {
		t.Fatalf("ShowGraph wrote %q", p)
	}
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if nodes, _ := svgGraph(t, b); len(nodes) == 0 {
		t.Fatal("empty graph")
	}
}

// After Backward the graph is released: Graph still draws the root's op,
// saying why its inputs are gone; with RetainGraph the whole graph stays.
func TestGraphAfterBackward(t *testing.T) {
	needDot(t)
	for _, retain := range []bool{false, true} {
		loss, names := mlp()
		if retain {
			loss.Backward(tensor.RetainGraph())
		} else {
			loss.Backward()
		}
		svg, err := Graph(loss, names)
		if err != nil {
			t.Fatal(err)
		}
		nodes, _ := svgGraph(t, svg)
		released := 0
		for _, l := range nodes {
			if strings.HasSuffix(l, "\n(released by Backward)") {
				released++
			}
		}
		if retain && (released != 0 || len(nodes) < 10) {
			t.Errorf("RetainGraph: %d released nodes of %d: %q", released, len(nodes), nodes)
		}
		if !retain && (released != 1 || len(nodes) != 2) {
			t.Errorf("released graph: nodes %q, want the root's op (released) and the loss", nodes)
		}
	}
}
