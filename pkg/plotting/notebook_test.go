//go:build unix

package plotting

import (
	"bytes"
	"encoding/gob"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/janpfeifer/gonb/gonbui"
	"github.com/janpfeifer/gonb/gonbui/protocol"
)

// TestNotebookChild is the cell program of TestShowInNotebook: it only runs
// with GoNB's pipes in its environment.
func TestNotebookChild(t *testing.T) {
	if !gonbui.IsNotebook {
		t.Skip("run by TestShowInNotebook")
	}
	if p, err := ImShow(squareImage(28, 28, 4, 8, 4, 8), Title("inline")).Show(); p != "" || err != nil {
		t.Fatalf("Show in a notebook: %q, %v", p, err)
	}
	if p, err := Table(squareImage(2, 2, 0, 1, 0, 1)).Show(); p != "" || err != nil {
		t.Fatalf("Table.Show in a notebook: %q, %v", p, err)
	}
	if canDrawGraphs() {
		loss, names := mlp()
		if p, err := ShowGraph(loss, names); p != "" || err != nil {
			t.Fatalf("ShowGraph in a notebook: %q, %v", p, err)
		}
	}
}

// canDrawGraphs says whether Graph can run here (Graphviz installed).
func canDrawGraphs() bool {
	_, err := exec.LookPath("dot")
	return err == nil
}

// TestShowInNotebook plays GoNB's side of the named-pipe protocol (as its
// internal/jpyexec does) around a child process, and checks that Show sends
// a PNG and an HTML table inline and writes no file.
func TestShowInNotebook(t *testing.T) {
	dir := t.TempDir()
	toKernel, toProgram := filepath.Join(dir, "pipe"), filepath.Join(dir, "pipe_back")
	for _, p := range []string{toKernel, toProgram} {
		if err := syscall.Mkfifo(p, 0o600); err != nil {
			t.Skipf("no named pipes here: %v", err)
		}
	}
	outDir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestNotebookChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), protocol.GONB_PIPE_ENV+"="+toKernel, protocol.GONB_PIPE_BACK_ENV+"="+toProgram, "FASTGO_PLOT_DIR="+outDir)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan []*protocol.DisplayData, 1)
	go func() {
		var msgs []*protocol.DisplayData
		defer func() { done <- msgs }()
		r, err := os.Open(toKernel)
		if err != nil {
			return
		}
		defer r.Close()
		w, err := os.OpenFile(toProgram, os.O_WRONLY, 0)
		if err != nil {
			return
		}
		defer w.Close()
		dec, enc := gob.NewDecoder(r), gob.NewEncoder(w)
		for {
			d := &protocol.DisplayData{}
			if err := dec.Decode(d); err != nil {
				return
			}
			if v, ok := d.Data[protocol.MIMECommValue].(protocol.CommValue); ok && v.Address == protocol.GonbuiSyncAddress {
				if err := enc.Encode(&protocol.CommValue{Address: protocol.GonbuiSyncAckAddress, Value: v.Value}); err != nil {
					return
				}
				continue
			}
			msgs = append(msgs, d)
		}
	}()
	waitErr := make(chan error, 1)
	go func() { waitErr <- cmd.Wait() }()
	select {
	case err := <-waitErr:
		if err != nil {
			t.Fatalf("cell program failed: %v\n%s", err, out.String())
		}
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("cell program hung (a Sync never acknowledged?)\n%s", out.String())
	}
	var msgs []*protocol.DisplayData
	select {
	case msgs = <-done:
	case <-time.After(10 * time.Second):
		t.Fatalf("the cell program never opened GoNB's pipes\n%s", out.String())
	}
	if !strings.Contains(out.String(), "PASS") || strings.Contains(out.String(), "SKIP") {
		t.Fatalf("the child did not run:\n%s", out.String())
	}
	want := 2
	if canDrawGraphs() {
		want = 3
	}
	if len(msgs) != want {
		t.Fatalf("%d display messages, want %d (PNG, HTML, and SVG when Graph can run)", len(msgs), want)
	}
	b, ok := msgs[0].Data[protocol.MIMEImagePNG].([]byte)
	if !ok {
		t.Fatalf("first message has no PNG: %v", keys(msgs[0]))
	}
	if cfg, err := png.DecodeConfig(bytes.NewReader(b)); err != nil || cfg.Width != 320 || cfg.Height != 320 {
		t.Fatalf("inline PNG: %+v, %v", cfg, err)
	}
	if h, _ := msgs[1].Data[protocol.MIMETextHTML].(string); !strings.Contains(h, "<table") {
		t.Fatalf("second message is not the table: %v", keys(msgs[1]))
	}
	if want == 3 {
		svg, _ := msgs[2].Data[protocol.MIMEImageSVG].(string)
		if nodes, _ := svgGraph(t, []byte(svg)); len(nodes) == 0 {
			t.Fatalf("third message is not the graph: %v", keys(msgs[2]))
		}
	}
	if es, _ := os.ReadDir(outDir); len(es) != 0 {
		t.Fatalf("Show wrote files in a notebook: %v", es)
	}
}

func keys(d *protocol.DisplayData) []protocol.MIMEType {
	var ks []protocol.MIMEType
	for k := range d.Data {
		ks = append(ks, k)
	}
	return ks
}
