package nbexport

import (
	"bytes"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// SyncedCell names a cell that sync rewrote.
type SyncedCell struct {
	// Notebook is the notebook's path relative to the root.
	Notebook string
	// Index is the cell's index, counting every cell from 0.
	Index int
	// File is the generated file whose edit was carried back.
	File string
}

// SyncResult reports what Sync did.
type SyncResult struct {
	// Cells are the cells rewritten, one entry per (cell, edited file).
	Cells []SyncedCell
	// Warnings are non-fatal remarks, such as a generated file missing on disk.
	Warnings []string
}

// Sync is nbdev_update for Go: for each notebook (paths relative to the root) it
// compares its generated files on disk with what the notebook exports now, and
// writes the code under each changed cell marker back into that cell. The cell
// keeps its directive lines and import declarations (imports of packages the
// edited code newly uses are added), references to the target package's own
// names defined outside this notebook are qualified again (Runner → learner.Runner),
// and every other byte of the notebook — outputs, metadata, other cells, the JSON
// layout — stays as it was. Nothing is written if any notebook has an error.
func (r *Repo) Sync(notebooks []string) (*SyncResult, error) {
	res := &SyncResult{}
	type pending struct {
		path string
		data []byte
	}
	var writes []pending
	var errs []error
	for _, nbPath := range notebooks {
		data, cells, err := r.syncNotebook(nbPath, res)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if data != nil {
			writes = append(writes, pending{nbPath, data})
			res.Cells = append(res.Cells, cells...)
		}
	}
	if err := errors.Join(errs...); err != nil {
		res.Cells = nil
		return res, err
	}
	for _, w := range writes {
		full := filepath.Join(r.Root, filepath.FromSlash(w.path))
		st, err := os.Stat(full)
		if err != nil {
			return res, err
		}
		if err := WriteFileAtomic(full, w.data, st.Mode().Perm()); err != nil {
			return res, err
		}
	}
	return res, nil
}

// syncNotebook computes the new bytes of one notebook, or nil when no cell changed.
func (r *Repo) syncNotebook(nbPath string, res *SyncResult) ([]byte, []SyncedCell, error) {
	data, err := os.ReadFile(filepath.Join(r.Root, filepath.FromSlash(nbPath)))
	if err != nil {
		return nil, nil, err
	}
	nb, err := ParseNotebook(nbPath, data)
	if err != nil {
		return nil, nil, err
	}
	outs, _, err := exportNotebook(nb, r.Module, r.Root)
	if err != nil {
		return nil, nil, err
	}
	cells, _, err := selectCells(nb)
	if err != nil {
		return nil, nil, err
	}
	byIndex := map[int]*cellCode{}
	byTarget := map[string][]*cellCode{}
	for _, c := range cells {
		byIndex[c.index] = c
		byTarget[c.target] = append(byTarget[c.target], c)
	}
	for _, cs := range byTarget {
		markReplaced(nbPath, cs)
	}

	// For every exported cell, its code in each generated file on disk.
	type part struct {
		file           string
		disk, exported string
		onDisk         bool
	}
	parts := map[int][]part{}
	fileImports := map[string]map[string]string{} // file → local name → import path
	for _, o := range outs {
		full := filepath.Join(r.Root, filepath.FromSlash(o.Path))
		src, err := os.ReadFile(full)
		if errors.Is(err, fs.ErrNotExist) {
			res.Warnings = append(res.Warnings, fmt.Sprintf("%s: not on disk, nothing to carry back from it", o.Path))
			src = nil
		} else if err != nil {
			return nil, nil, err
		}
		disk := map[int]string{}
		if src != nil {
			src = bytes.ReplaceAll(src, []byte("\r\n"), []byte("\n"))
			if nb, ok := readHeader(full); !ok || nb != nbPath {
				return nil, nil, fmt.Errorf("%s: its first line is not %q; cannot sync it", o.Path, Header(nbPath))
			}
			if err := checkMarkers(o.Path, nbPath, src, byIndex); err != nil {
				return nil, nil, err
			}
			disk = splitCells(src)
			fileImports[o.Path] = importNames(src)
		}
		// A cell the file has no marker for (exported since, say) is left alone;
		// to delete a cell's code, delete the code under its marker.
		for idx, text := range o.cells {
			d, ok := disk[idx]
			parts[idx] = append(parts[idx], part{file: o.Path, disk: d, exported: text, onDisk: ok})
		}
	}

	nbImports := notebookImports(nb)
	var idxs []int
	for idx := range parts {
		idxs = append(idxs, idx)
	}
	sort.Ints(idxs)
	type edit struct {
		span [2]int
		text []byte
	}
	var edits []edit
	var synced []SyncedCell
	newSources := map[int]string{}
	for _, idx := range idxs {
		ps := parts[idx]
		sort.Slice(ps, func(i, j int) bool { return ps[i].file < ps[j].file }) // x.go before x_test.go
		changed, files := false, []string{}
		var bodies []string
		for _, p := range ps {
			text := p.exported
			if p.onDisk {
				text = p.disk
			}
			if p.onDisk && p.disk != p.exported {
				changed = true
				files = append(files, p.file)
			}
			if text != "" {
				bodies = append(bodies, text)
			}
		}
		if !changed {
			continue
		}
		c := byIndex[idx]
		where := fmt.Sprintf("%s cell %d (edited in %s)", nbPath, idx, strings.Join(files, ", "))
		if len(c.replaced) > 0 {
			return nil, nil, fmt.Errorf("%s: the export left out %s, which later cells redefine, so the file does not hold the whole cell; edit this cell in the notebook instead", where, strings.Join(c.replaced, ", "))
		}
		src, err := r.cellSource(nb, c, strings.Join(bodies, "\n\n"), files, fileImports, nbImports)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %v", where, err)
		}
		newSources[idx] = src
		cell := nb.Cells[idx]
		edits = append(edits, edit{cell.span, encodeSource(nb.raw, cell.span, src, cell.AsLines, cell.CRLF)})
		for _, f := range files {
			synced = append(synced, SyncedCell{Notebook: nbPath, Index: idx, File: f})
		}
	}
	if len(edits) == 0 {
		return nil, nil, nil
	}
	out := append([]byte(nil), nb.raw...)
	for i := len(edits) - 1; i >= 0; i-- {
		e := edits[i]
		out = append(out[:e.span[0]:e.span[0]], append(e.text, out[e.span[1]:]...)...)
	}
	// Make sure the result reads back as intended before anything is written.
	check, err := ParseNotebook(nbPath, out)
	if err != nil {
		return nil, nil, fmt.Errorf("sync produced an unreadable notebook (a bug): %v", err)
	}
	for idx, src := range newSources {
		if check.Cells[idx].Source != src {
			return nil, nil, fmt.Errorf("%s cell %d: sync could not encode the new source (a bug)", nbPath, idx)
		}
	}
	return out, synced, nil
}

// checkMarkers makes sure every marker in a generated file names this notebook and
// one of its exported cells, in increasing order: when cells were inserted or
// moved in the notebook since the export, the markers no longer match and edits
// would land in the wrong cells.
func checkMarkers(file, nbPath string, src []byte, cells map[int]*cellCode) error {
	last := -1
	for i, l := range strings.Split(string(src), "\n") {
		m := markerRE.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		idx, _ := strconv.Atoi(m[2])
		if m[1] != nbPath {
			return fmt.Errorf("%s:%d: marker names %s, but the file was generated from %s", file, i+1, m[1], nbPath)
		}
		if cells[idx] == nil {
			return fmt.Errorf("%s:%d: marker names cell %d of %s, which is not an exported code cell (did cells move since the export? then copy your edits aside, export, and edit again)", file, i+1, idx, nbPath)
		}
		if idx <= last {
			return fmt.Errorf("%s:%d: marker for cell %d after cell %d; markers must follow the notebook's order", file, i+1, idx, last)
		}
		last = idx
	}
	return nil
}

// cellSource builds a cell's new text from its edited code.
func (r *Repo) cellSource(nb *Notebook, c *cellCode, body string, files []string, fileImports map[string]map[string]string, nbImports map[string]string) (string, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "edit", cellPrefix+body, parser.ParseComments)
	if err != nil {
		return "", fmt.Errorf("the edited code does not parse: %v", cellSyntaxError(nb.Path, c.index, err))
	}
	off := func(p token.Pos) int { return fset.Position(p).Offset - len(cellPrefix) }

	var added []string
	addImport := func(name, p string) {
		if _, ok := nbImports[p]; ok {
			return
		}
		nbImports[p] = name
		if name == assumedName(p) {
			added = append(added, "import "+strconv.Quote(p))
		} else {
			added = append(added, "import "+name+" "+strconv.Quote(p))
		}
	}

	// Qualify again the names the export unqualified: identifiers that nothing in
	// the cell declares and that the target package declares outside this notebook.
	selfPath := r.Module + "/" + c.target
	pkgName, _ := checkTarget(c.target)
	others, err := r.otherNames(c.target, nb.Path, pkgName)
	if err != nil {
		return "", err
	}
	qual := pkgName
	if n, ok := nbImports[selfPath]; ok && n != "" && n != "." && n != "_" {
		qual = n
	}
	var inserts []int
	for _, id := range f.Unresolved {
		if others[id.Name] {
			inserts = append(inserts, off(id.Pos()))
		}
	}
	if len(inserts) > 0 {
		addImport(qual, selfPath)
	}
	// Packages the edited code newly uses, imported in the generated file.
	ast.Inspect(f, func(n ast.Node) bool {
		sel, ok := n.(*ast.SelectorExpr)
		if !ok {
			return true
		}
		if id, ok := sel.X.(*ast.Ident); ok && id.Obj == nil {
			for _, file := range files {
				if p, ok := fileImports[file][id.Name]; ok {
					addImport(id.Name, p)
					break
				}
			}
		}
		return true
	})
	sort.Ints(inserts)
	var b strings.Builder
	prev := 0
	for _, at := range inserts {
		b.WriteString(body[prev:at])
		b.WriteString(qual + ".")
		prev = at
	}
	b.WriteString(body[prev:])
	body = b.String()

	lines := strings.Split(nb.Cells[c.index].Source, "\n")
	head := strings.Join(lines[:c.directives], "\n")
	var imps []string
	for _, d := range c.file.Decls {
		if g, ok := d.(*ast.GenDecl); ok && g.Tok == token.IMPORT {
			rg := declRange(c, d)
			imps = append(imps, c.code[rg[0]:rg[1]])
		}
	}
	imps = append(imps, added...)
	src := head
	if len(imps) > 0 {
		src += "\n" + strings.Join(imps, "\n")
		if body != "" {
			src += "\n"
		}
	}
	if body != "" {
		src += "\n" + body
	}
	return src, nil
}

// otherNames returns the exported top-level names that package files in target,
// other than those generated from nbPath, declare.
func (r *Repo) otherNames(target, nbPath, pkgName string) (map[string]bool, error) {
	names := map[string]bool{}
	dir := filepath.Join(r.Root, filepath.FromSlash(target))
	entries, err := os.ReadDir(dir)
	if err != nil {
		return names, nil // a new package: nothing else declares anything
	}
	fset := token.NewFileSet()
	for _, e := range entries {
		n := e.Name()
		if e.IsDir() || !strings.HasSuffix(n, ".go") || strings.HasSuffix(n, "_test.go") {
			continue
		}
		full := filepath.Join(dir, n)
		if nb, ok := readHeader(full); ok && nb == nbPath {
			continue
		}
		f, err := parser.ParseFile(fset, full, nil, parser.SkipObjectResolution)
		if err != nil || f.Name.Name != pkgName {
			continue
		}
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				if d.Recv == nil && d.Name.IsExported() {
					names[d.Name.Name] = true
				}
			case *ast.GenDecl:
				for _, s := range d.Specs {
					switch s := s.(type) {
					case *ast.TypeSpec:
						if s.Name.IsExported() {
							names[s.Name.Name] = true
						}
					case *ast.ValueSpec:
						for _, id := range s.Names {
							if id.IsExported() {
								names[id.Name] = true
							}
						}
					}
				}
			}
		}
	}
	return names, nil
}

// importSpec is one import of a notebook cell.
type importSpec struct {
	cell       int
	name, path string // name is "" when the import has no explicit name
}

// cellImports lists the imports of every code cell of nb, in cell order, GoNB's
// special lines aside. Cells that do not parse are passed over.
func cellImports(nb *Notebook) []importSpec {
	var out []importSpec
	for i, c := range nb.Cells {
		if c.Type != "code" {
			continue
		}
		lines := strings.Split(c.Source, "\n")
		for j, l := range lines {
			if isSpecialLine(l) {
				lines[j] = ""
			}
		}
		f, err := parser.ParseFile(token.NewFileSet(), "", cellPrefix+strings.Join(lines, "\n"), parser.ImportsOnly)
		if err != nil {
			continue
		}
		for _, im := range f.Imports {
			p, _ := strconv.Unquote(im.Path.Value)
			spec := importSpec{cell: i, path: p}
			if im.Name != nil {
				spec.name = im.Name.Name
			}
			out = append(out, spec)
		}
	}
	return out
}

// notebookImports maps every import path that a code cell of nb imports to the
// local name it is imported under.
func notebookImports(nb *Notebook) map[string]string {
	out := map[string]string{}
	for _, im := range cellImports(nb) {
		name := im.name
		if name == "" {
			name = assumedName(im.path)
		}
		out[im.path] = name
	}
	return out
}

// importNames maps the local names of a Go file's imports to their paths.
func importNames(src []byte) map[string]string {
	out := map[string]string{}
	f, err := parser.ParseFile(token.NewFileSet(), "", src, parser.ImportsOnly)
	if err != nil {
		return out
	}
	for _, im := range f.Imports {
		p, _ := strconv.Unquote(im.Path.Value)
		name := assumedName(p)
		if im.Name != nil {
			name = im.Name.Name
		}
		out[name] = p
	}
	return out
}

var majorRE = regexp.MustCompile(`^v[0-9]+$`)

// assumedName is the package name an import path conventionally has (as
// goimports assumes): its last element, skipping a major-version suffix, without
// a "go-" prefix or a ".go"/"-go" suffix.
func assumedName(p string) string {
	elems := strings.Split(p, "/")
	name := elems[len(elems)-1]
	if len(elems) > 1 && majorRE.MatchString(name) {
		name = elems[len(elems)-2]
	}
	name = strings.TrimPrefix(name, "go-")
	name = strings.TrimSuffix(strings.TrimSuffix(name, ".go"), "-go")
	return path.Base(name)
}

// encodeSource encodes a cell source as Jupyter writes it (Python's json.dumps
// with ensure_ascii=False), as a list of lines or a string like the original, with
// the original's indentation.
func encodeSource(raw []byte, span [2]int, src string, asLines, crlf bool) []byte {
	if crlf {
		src = strings.ReplaceAll(src, "\n", "\r\n")
	}
	if !asLines {
		return []byte(pyString(src))
	}
	var lines []string
	for _, l := range strings.SplitAfter(src, "\n") {
		if l != "" {
			lines = append(lines, l)
		}
	}
	if len(lines) == 0 {
		return []byte("[]")
	}
	unit, indented := indentUnit(raw)
	old := raw[span[0]:span[1]]
	if !indented || (!bytes.Contains(old, []byte("\n")) && string(old) != "[]") {
		enc := make([]string, len(lines))
		for i, l := range lines {
			enc[i] = pyString(l)
		}
		// Python's compact form puts a space after separators; Go's and others' do not.
		sep := ","
		if bytes.Contains(raw, []byte(`": `)) {
			sep = ", "
		}
		return []byte("[" + strings.Join(enc, sep) + "]")
	}
	lineStart := bytes.LastIndexByte(raw[:span[0]], '\n') + 1
	keyLine := raw[lineStart:span[0]]
	ind := string(keyLine[:len(keyLine)-len(bytes.TrimLeft(keyLine, " \t"))])
	var b strings.Builder
	b.WriteString("[\n")
	for i, l := range lines {
		b.WriteString(ind + unit + pyString(l))
		if i < len(lines)-1 {
			b.WriteString(",")
		}
		b.WriteString("\n")
	}
	b.WriteString(ind + "]")
	return []byte(b.String())
}

// indentUnit returns the indentation of the notebook's first key, which is one
// nesting level (Jupyter writes one space).
func indentUnit(raw []byte) (string, bool) {
	i := bytes.IndexByte(raw, '{')
	if i < 0 {
		return "", false
	}
	rest := raw[i+1:]
	nl := bytes.IndexByte(rest, '\n')
	if nl < 0 {
		return "", false
	}
	rest = rest[nl+1:]
	n := len(rest) - len(bytes.TrimLeft(rest, " \t"))
	return string(rest[:n]), n > 0
}

// pyString quotes s as Python's json.dumps does with ensure_ascii=False.
func pyString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		default:
			if r < 0x20 {
				fmt.Fprintf(&b, `\u%04x`, r)
			} else {
				b.WriteRune(r)
			}
		}
	}
	b.WriteByte('"')
	return b.String()
}
