package nbexport

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
)

// Notebook is the part of a Jupyter notebook (nbformat 4) that the exporter reads:
// cell types, ids and sources. Sync leaves every other byte (outputs, metadata) as
// it is on disk; Clean is what rewrites whole notebooks.
type Notebook struct {
	// Path is the notebook's path relative to the repository root, with slashes
	// (for example "notebooks/03_minibatch_training.ipynb"); it names the notebook in
	// headers, markers and errors.
	Path string
	// Cells holds every cell in file order; a cell's index is its position here,
	// counting markdown cells too, as Jupyter and nbdev do.
	Cells []Cell
	// raw is the file as read, kept so that sync can edit sources in place.
	raw []byte
}

// Cell is one notebook cell.
type Cell struct {
	// Type is "code", "markdown" or "raw".
	Type string
	// ID is the nbformat 4.5 cell id ("" when the cell has none); markers in
	// generated files name cells by it.
	ID string
	// Source is the cell text with line ends normalised to "\n".
	Source string
	// CRLF reports that the cell's text used "\r\n" line ends on disk.
	CRLF bool
	// AsLines reports that the source was stored as a JSON list of lines (Jupyter's
	// form) rather than one string; sync writes it back in the same form.
	AsLines bool
	// span is the byte range of the source's JSON value in Notebook.raw.
	span [2]int
}

type rawNotebook struct {
	NBFormat *int      `json:"nbformat"`
	Cells    []rawCell `json:"cells"`
}

type rawCell struct {
	CellType string          `json:"cell_type"`
	ID       *string         `json:"id"`
	Source   json.RawMessage `json:"source"`
}

// ParseNotebook decodes a notebook file's bytes. path names it in errors.
// It refuses malformed JSON, a file with no nbformat, any nbformat other than 4,
// and a cell whose source is neither a string nor a list of strings.
func ParseNotebook(path string, data []byte) (*Notebook, error) {
	var rn rawNotebook
	if err := json.Unmarshal(data, &rn); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			line, col := lineCol(data, int(se.Offset))
			return nil, fmt.Errorf("%s:%d:%d: malformed notebook JSON: %v", path, line, col, se)
		}
		return nil, fmt.Errorf("%s: malformed notebook JSON: %v", path, err)
	}
	if rn.NBFormat == nil {
		return nil, fmt.Errorf("%s: not a Jupyter notebook: no \"nbformat\" field", path)
	}
	if *rn.NBFormat != 4 {
		return nil, fmt.Errorf("%s: nbformat %d is not supported: the exporter reads nbformat 4 (open and save the notebook in a current Jupyter to convert it)", path, *rn.NBFormat)
	}
	spans, err := sourceSpans(data)
	if err != nil {
		return nil, fmt.Errorf("%s: malformed notebook JSON: %v", path, err)
	}
	if len(spans) != len(rn.Cells) {
		// Cannot happen for valid JSON; guards sync against editing the wrong bytes.
		return nil, fmt.Errorf("%s: found %d cell sources for %d cells (duplicate keys?)", path, len(spans), len(rn.Cells))
	}
	nb := &Notebook{Path: path, raw: data, Cells: make([]Cell, len(rn.Cells))}
	ids := map[string]int{}
	for i, rc := range rn.Cells {
		c := Cell{Type: rc.CellType, span: spans[i]}
		if c.Type == "" {
			return nil, fmt.Errorf("%s cell %d: no \"cell_type\"", path, i)
		}
		if rc.ID != nil {
			c.ID = *rc.ID
			if !idRE.MatchString(c.ID) {
				return nil, fmt.Errorf("%s cell %d: cell id %q is not an nbformat id (1 to 64 letters, digits, '-' and '_')", path, i, c.ID)
			}
			if j, dup := ids[c.ID]; dup {
				return nil, fmt.Errorf("%s cells %d and %d: both have the id %q; cell ids must be unique (delete one cell's \"id\" and run `go run ./exporter clean %s`)", path, j, i, c.ID, path)
			}
			ids[c.ID] = i
		}
		src := bytes.TrimSpace(rc.Source)
		switch {
		case len(src) == 0 || string(src) == "null":
			return nil, fmt.Errorf("%s cell %d: no \"source\"", path, i)
		case src[0] == '"':
			if err := json.Unmarshal(src, &c.Source); err != nil {
				return nil, fmt.Errorf("%s cell %d: source: %v", path, i, err)
			}
		case src[0] == '[':
			var lines []string
			if err := json.Unmarshal(src, &lines); err != nil {
				return nil, fmt.Errorf("%s cell %d: source must be a string or a list of strings: %v", path, i, err)
			}
			c.Source = strings.Join(lines, "")
			c.AsLines = true
		default:
			return nil, fmt.Errorf("%s cell %d: source must be a string or a list of strings, found %.20s", path, i, src)
		}
		if strings.Contains(c.Source, "\r\n") {
			c.CRLF = true
			c.Source = strings.ReplaceAll(c.Source, "\r\n", "\n")
		}
		nb.Cells[i] = c
	}
	return nb, nil
}

// idRE is nbformat 4.5's pattern for cell ids.
var idRE = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,64}$`)

// CellRef names cell i of nb as a learner finds it in JupyterLab, which shows
// neither indices nor ids: path, index, id and the first line of code, e.g.
// `notebooks/03_x.ipynb cell 4 (id c004: "func Foo() int {")`.
func (nb *Notebook) CellRef(i int) string {
	if i < 0 || i >= len(nb.Cells) {
		return fmt.Sprintf("%s cell %d", nb.Path, i)
	}
	c := nb.Cells[i]
	id := c.ID
	if id == "" {
		id = "none"
	}
	return fmt.Sprintf("%s cell %d (id %s: %q)", nb.Path, i, id, firstCodeLine(c.Source))
}

// firstCodeLine returns the first line of src that is code: not blank, not a
// comment (directives included) and not in an import declaration; the first
// line when there is none. It is shortened to 50 characters.
func firstCodeLine(src string) string {
	lines := strings.Split(src, "\n")
	first := strings.TrimSpace(lines[0])
	inImport := false
	for _, l := range lines {
		t := strings.TrimSpace(l)
		switch {
		case inImport:
			inImport = t != ")"
		case strings.HasPrefix(t, "import ("):
			inImport = true
		case t == "" || strings.HasPrefix(t, "//") || strings.HasPrefix(t, "import "):
		default:
			first = t
			if r := []rune(first); len(r) > 50 {
				first = string(r[:49]) + "…"
			}
			return first
		}
	}
	if r := []rune(first); len(r) > 50 {
		first = string(r[:49]) + "…"
	}
	return first
}

// lineCol turns a byte offset into a 1-based line and column.
func lineCol(data []byte, off int) (line, col int) {
	if off > len(data) {
		off = len(data)
	}
	before := data[:off]
	line = bytes.Count(before, []byte("\n")) + 1
	col = off - bytes.LastIndexByte(before, '\n')
	return line, col
}

// sourceSpans finds the byte range of every cells[i].source value in a notebook,
// so that sync can replace a cell's source and leave every other byte alone.
func sourceSpans(data []byte) ([][2]int, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := expectDelim(dec, '{'); err != nil {
		return nil, err
	}
	var spans [][2]int
	for dec.More() {
		key, err := dec.Token()
		if err != nil {
			return nil, err
		}
		if key != "cells" {
			if err := skipValue(dec); err != nil {
				return nil, err
			}
			continue
		}
		if err := expectDelim(dec, '['); err != nil {
			return nil, fmt.Errorf("\"cells\" is not a list")
		}
		for dec.More() {
			if err := expectDelim(dec, '{'); err != nil {
				return nil, fmt.Errorf("a cell is not an object")
			}
			found := false
			for dec.More() {
				k, err := dec.Token()
				if err != nil {
					return nil, err
				}
				if k != "source" {
					if err := skipValue(dec); err != nil {
						return nil, err
					}
					continue
				}
				start := valueStart(data, int(dec.InputOffset()))
				if err := skipValue(dec); err != nil {
					return nil, err
				}
				if !found {
					spans = append(spans, [2]int{start, int(dec.InputOffset())})
				}
				found = true
			}
			if !found {
				spans = append(spans, [2]int{-1, -1})
			}
			if _, err := dec.Token(); err != nil { // '}'
				return nil, err
			}
		}
		if _, err := dec.Token(); err != nil { // ']'
			return nil, err
		}
	}
	return spans, nil
}

// valueStart skips the white space and the colon that follow an object key.
func valueStart(data []byte, off int) int {
	for off < len(data) {
		switch data[off] {
		case ' ', '\t', '\r', '\n', ':':
			off++
		default:
			return off
		}
	}
	return off
}

func expectDelim(dec *json.Decoder, d json.Delim) error {
	t, err := dec.Token()
	if err == io.EOF {
		return fmt.Errorf("unexpected end of file")
	}
	if err != nil {
		return err
	}
	if t != d {
		return fmt.Errorf("expected %q, found %v", d, t)
	}
	return nil
}

// skipValue consumes one JSON value from dec.
func skipValue(dec *json.Decoder) error {
	depth := 0
	for {
		t, err := dec.Token()
		if err != nil {
			return err
		}
		switch t {
		case json.Delim('{'), json.Delim('['):
			depth++
		case json.Delim('}'), json.Delim(']'):
			depth--
		}
		if depth == 0 {
			return nil
		}
	}
}
