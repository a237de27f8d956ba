package plotting

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strconv"
	"strings"

	"github.com/fastgo/fastgo/pkg/tensor"
	"github.com/janpfeifer/gonb/gonbui"
	"github.com/janpfeifer/gonb/gonbui/protocol"
)

// Graph draws the backward graph of root as SVG, as pytorchviz's make_dot
// does for a PyTorch tensor: a grey box per op, labelled with the name of
// its backward node (t.GradFn(), "MmBackward0") and its output's shape; a
// blue box per leaf that requires a gradient (a parameter), a white one per
// other leaf (an input batch, the targets), each with its name from names
// (if there) and its shape; root itself in green, at the bottom. Arrows go
// from each op's inputs to the op, the way the forward pass ran.
//
// names labels tensors (parameters, typically, from nn.NamedParameters;
// the root, "loss"); it may be nil. Draw before Backward releases the graph
// (or Backward with tensor.RetainGraph()): an op whose inputs were released
// is drawn alone, marked "(released by Backward)".
//
// The layout is Graphviz's: Graph runs its dot program, which the set-up
// installs (Debian's graphviz package), and returns an error naming the
// package when dot is not found.
func Graph(root *tensor.Tensor, names map[*tensor.Tensor]string) ([]byte, error) {
	src, err := graphDOT(root, names)
	if err != nil {
		return nil, err
	}
	return runDot(src)
}

// ShowGraph draws root's backward graph (see Graph) inline in a GoNB
// notebook and returns ""; elsewhere it writes an .svg file in OutputDir
// and returns its path.
func ShowGraph(root *tensor.Tensor, names map[*tensor.Tensor]string) (string, error) {
	svg, err := Graph(root, names)
	if err != nil {
		return "", err
	}
	if gonbui.IsNotebook {
		// As an image/svg+xml output, as IPython.display.SVG sends it:
		// saved notebooks keep it, and viewers that sanitise HTML (and its
		// inline <svg>) still show it.
		gonbui.SendData(&protocol.DisplayData{Data: map[protocol.MIMEType]any{protocol.MIMEImageSVG: string(svg)}})
		gonbui.Sync() // see Figure.Show
		return "", gonbui.Error()
	}
	name := "graph"
	if n := names[root]; n != "" {
		name = n + " graph"
	}
	return showFile(name, ".svg", func(w io.Writer) error {
		_, err := w.Write(svg)
		return err
	})
}

// graphDOT writes root's backward graph in Graphviz's DOT language, with
// the node attributes of pytorchviz's make_dot. Nodes are numbered in the
// order a depth-first walk from root meets them, so the text is the same
// for the same graph.
func graphDOT(root *tensor.Tensor, names map[*tensor.Tensor]string) (string, error) {
	if root == nil {
		return "", errors.New("plotting: Graph: nil tensor")
	}
	var b strings.Builder
	b.WriteString("digraph {\n")
	b.WriteString("\tgraph [size=\"12,12\" ranksep=0.3 nodesep=0.25]\n")
	b.WriteString("\tnode [style=filled shape=box fontsize=10 height=0.2 fontname=monospace fillcolor=lightgrey]\n")
	b.WriteString("\tedge [arrowsize=0.7]\n")

	ids := map[*tensor.Tensor]string{}
	var visit func(t *tensor.Tensor) string
	visit = func(t *tensor.Tensor) string {
		if id, ok := ids[t]; ok {
			return id
		}
		id := "n" + strconv.Itoa(len(ids))
		ids[t] = id
		op := t.GradFn()
		if op == "" { // a leaf
			fill := "white"
			if t.RequiresGrad() {
				fill = "lightblue"
			}
			fmt.Fprintf(&b, "\t%s [label=%s fillcolor=%s]\n", id, dotString(leafLabel(t, names)), fill)
			return id
		}
		lines := []string{op, shapeString(t.Shape())}
		if name := names[t]; name != "" && t != root {
			lines = append([]string{name}, lines...)
		}
		inputs := t.GraphInputs()
		if inputs == nil {
			lines = append(lines, "(released by Backward)")
		}
		fmt.Fprintf(&b, "\t%s [label=%s]\n", id, dotString(strings.Join(lines, "\n")))
		for _, in := range inputs {
			if in == nil {
				continue
			}
			fmt.Fprintf(&b, "\t%s -> %s\n", visit(in), id)
		}
		return id
	}

	if root.GradFn() == "" {
		// A leaf alone: its own box, in the root's colour.
		fmt.Fprintf(&b, "\tn0 [label=%s fillcolor=darkolivegreen1]\n", dotString(leafLabel(root, names)))
	} else {
		label := names[root]
		if label == "" {
			label = "output"
		}
		op := visit(root)
		out := "n" + strconv.Itoa(len(ids))
		fmt.Fprintf(&b, "\t%s [label=%s fillcolor=darkolivegreen1]\n", out, dotString(label+"\n"+shapeString(root.Shape())))
		fmt.Fprintf(&b, "\t%s -> %s\n", op, out)
	}
	b.WriteString("}\n")
	return b.String(), nil
}

// leafLabel is a leaf's name (if it has one) over its shape.
func leafLabel(t *tensor.Tensor, names map[*tensor.Tensor]string) string {
	if name := names[t]; name != "" {
		return name + "\n" + shapeString(t.Shape())
	}
	return shapeString(t.Shape())
}

// shapeString prints a shape as pytorchviz does: (64, 10), and () for a
// scalar.
func shapeString(s tensor.Shape) string {
	parts := make([]string, len(s))
	for i, d := range s {
		parts[i] = strconv.Itoa(d)
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

// dotString quotes s as a DOT string, its lines centred.
func dotString(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)
	return `"` + r.Replace(s) + `"`
}

// runDot lays out a DOT graph with Graphviz's dot and returns the SVG.
func runDot(src string) ([]byte, error) {
	path, err := exec.LookPath("dot")
	if err != nil {
		return nil, errors.New("plotting: Graph needs Graphviz's dot program, which is not on PATH: install Debian's graphviz package (apt-get install graphviz; make setup does it)")
	}
	cmd := exec.Command(path, "-Tsvg")
	cmd.Stdin = strings.NewReader(src)
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("plotting: Graph: dot -Tsvg: %v: %s", err, strings.TrimSpace(stderr.String()))
	}
	return out.Bytes(), nil
}
