package nbexport

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// volatileCellMetadata are cell metadata keys that change on every run without
// the notebook changing: JupyterLab's execution timings (record_timing, with the
// kernel's iopub and shell message times) and the ExecuteTime extension's.
var volatileCellMetadata = []string{"execution", "ExecuteTime"}

// CleanResult says what cleaning one notebook changes.
type CleanResult struct {
	// Notebook is the notebook's path relative to the root.
	Notebook string
	// Merged counts stream outputs merged into the one before them.
	Merged int
	// Dropped counts volatile metadata entries and transient output fields dropped.
	Dropped int
	// IDs counts cells given an id.
	IDs int
	// Layout reports that the file was not in Jupyter's own JSON layout.
	Layout bool
}

// Changed reports whether cleaning changes the file.
func (c CleanResult) Changed() bool { return c.Merged+c.Dropped+c.IDs > 0 || c.Layout }

// String lists what is not clean, for people.
func (c CleanResult) String() string {
	var parts []string
	if c.Merged > 0 {
		parts = append(parts, fmt.Sprintf("%d split stream outputs", c.Merged))
	}
	if c.Dropped > 0 {
		parts = append(parts, fmt.Sprintf("%d volatile metadata entries", c.Dropped))
	}
	if c.IDs > 0 {
		parts = append(parts, fmt.Sprintf("%d cells without an id", c.IDs))
	}
	if c.Layout {
		parts = append(parts, "not in Jupyter's JSON layout")
	}
	return strings.Join(parts, ", ")
}

// Clean is nbdev_clean for the GoNB notebooks (paths relative to the root): it
// merges consecutive stream outputs of the same name (GoNB sends a program's
// output in many pieces), drops volatile metadata (see volatileCellMetadata, and
// the "transient" field nbformat says is never saved), gives every cell without
// one an id (and the notebook nbformat 4.5), and writes the notebook in
// Jupyter's JSON layout, atomically. Outputs, execution counts and cell ids are
// kept. With check set it writes nothing and only reports. Under the
// repository's lock; on any error nothing is written.
func (r *Repo) Clean(notebooks []string, check bool) ([]CleanResult, error) {
	unlock, err := r.Lock()
	if err != nil {
		return nil, err
	}
	defer unlock()
	var results []CleanResult
	writes := map[string][]byte{}
	for _, nbPath := range notebooks {
		full := filepath.Join(r.Root, filepath.FromSlash(nbPath))
		data, err := os.ReadFile(full)
		if err != nil {
			return nil, err
		}
		out, res, err := CleanNotebook(nbPath, data)
		if err != nil {
			return nil, err
		}
		results = append(results, res)
		if res.Changed() {
			writes[nbPath] = out
		}
	}
	if check {
		return results, nil
	}
	for _, nbPath := range notebooks {
		out, ok := writes[nbPath]
		if !ok {
			continue
		}
		full := filepath.Join(r.Root, filepath.FromSlash(nbPath))
		st, err := os.Stat(full)
		if err != nil {
			return results, err
		}
		if err := WriteFileAtomic(full, out, st.Mode().Perm()); err != nil {
			return results, err
		}
	}
	return results, nil
}

// CleanNotebook returns the cleaned bytes of a notebook (see Repo.Clean) and what
// changed. path names it in errors and seeds the ids it gives cells.
func CleanNotebook(path string, data []byte) ([]byte, CleanResult, error) {
	res := CleanResult{Notebook: path}
	if _, err := ParseNotebook(path, data); err != nil {
		return nil, res, err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var nb map[string]any
	if err := dec.Decode(&nb); err != nil {
		return nil, res, fmt.Errorf("%s: %v", path, err)
	}
	cells, _ := nb["cells"].([]any)
	used := map[string]bool{}
	for _, c := range cells {
		if c, ok := c.(map[string]any); ok {
			if id, ok := c["id"].(string); ok {
				used[id] = true
			}
		}
	}
	for i, c := range cells {
		cell, ok := c.(map[string]any)
		if !ok {
			continue
		}
		if _, ok := cell["id"].(string); !ok {
			cell["id"] = newID(path, i, cell["source"], used)
			res.IDs++
		}
		if md, ok := cell["metadata"].(map[string]any); ok {
			for _, k := range volatileCellMetadata {
				if _, ok := md[k]; ok {
					delete(md, k)
					res.Dropped++
				}
			}
		}
		outs, ok := cell["outputs"].([]any)
		if !ok {
			continue
		}
		var kept []any
		for _, o := range outs {
			om, ok := o.(map[string]any)
			if !ok {
				kept = append(kept, o)
				continue
			}
			if _, ok := om["transient"]; ok {
				delete(om, "transient")
				res.Dropped++
			}
			if len(kept) > 0 && isStream(om) {
				if prev, ok := kept[len(kept)-1].(map[string]any); ok && isStream(prev) && prev["name"] == om["name"] {
					prev["text"] = splitLines(joinText(prev["text"]) + joinText(om["text"]))
					res.Merged++
					continue
				}
			}
			if isStream(om) {
				om["text"] = splitLines(joinText(om["text"]))
			}
			kept = append(kept, om)
		}
		if kept == nil {
			kept = []any{}
		}
		cell["outputs"] = kept
	}
	if res.IDs > 0 {
		// Cell ids came with nbformat 4.5.
		n, _ := nb["nbformat_minor"].(json.Number)
		if minor, err := strconv.ParseFloat(n.String(), 64); err != nil || minor < 5 {
			nb["nbformat_minor"] = json.Number("5")
		}
	}
	var b bytes.Buffer
	writeJupyter(&b, nb, "")
	b.WriteByte('\n')
	out := b.Bytes()
	res.Layout = res.Merged+res.Dropped+res.IDs == 0 && !bytes.Equal(out, data)
	if _, err := ParseNotebook(path, out); err != nil {
		return nil, res, fmt.Errorf("cleaning produced an unreadable notebook (a bug): %v", err)
	}
	return out, res, nil
}

func isStream(o map[string]any) bool {
	_, named := o["name"].(string)
	return o["output_type"] == "stream" && named
}

// joinText reads a multiline string field of nbformat: a string or a list of strings.
func joinText(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case []any:
		var b strings.Builder
		for _, s := range v {
			if s, ok := s.(string); ok {
				b.WriteString(s)
			}
		}
		return b.String()
	}
	return ""
}

// splitLines is nbformat's form of a multiline string on disk: a list of lines,
// each with its "\n".
func splitLines(s string) []any {
	out := []any{}
	for _, l := range strings.SplitAfter(s, "\n") {
		if l != "" {
			out = append(out, l)
		}
	}
	return out
}

// newID derives an nbformat id for cell i from the notebook's path, the index
// and the source, so that cleaning is reproducible, avoiding the ids in used.
func newID(path string, i int, source any, used map[string]bool) string {
	src, _ := json.Marshal(source)
	for n := 0; ; n++ {
		h := sha256.Sum256([]byte(path + "\x00" + strconv.Itoa(i) + "\x00" + strconv.Itoa(n) + "\x00" + string(src)))
		id := hex.EncodeToString(h[:4])
		if !used[id] {
			used[id] = true
			return id
		}
	}
}

// writeJupyter writes v as Jupyter does: Python's json.dump(indent=1,
// sort_keys=True, ensure_ascii=False).
func writeJupyter(b *bytes.Buffer, v any, indent string) {
	switch v := v.(type) {
	case map[string]any:
		if len(v) == 0 {
			b.WriteString("{}")
			return
		}
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b.WriteString("{\n")
		for i, k := range keys {
			b.WriteString(indent + " " + pyString(k) + ": ")
			writeJupyter(b, v[k], indent+" ")
			if i < len(keys)-1 {
				b.WriteByte(',')
			}
			b.WriteByte('\n')
		}
		b.WriteString(indent + "}")
	case []any:
		if len(v) == 0 {
			b.WriteString("[]")
			return
		}
		b.WriteString("[\n")
		for i, e := range v {
			b.WriteString(indent + " ")
			writeJupyter(b, e, indent+" ")
			if i < len(v)-1 {
				b.WriteByte(',')
			}
			b.WriteByte('\n')
		}
		b.WriteString(indent + "]")
	case string:
		b.WriteString(pyString(v))
	case json.Number:
		b.WriteString(v.String())
	case bool:
		b.WriteString(strconv.FormatBool(v))
	case nil:
		b.WriteString("null")
	default:
		panic(fmt.Sprintf("writeJupyter: unexpected %T", v))
	}
}
