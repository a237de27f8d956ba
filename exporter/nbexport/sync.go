package nbexport

import (
	"bytes"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"go/types"
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
	// ID is the cell's nbformat id.
	ID string
	// Ref names the cell as messages do (see Notebook.CellRef).
	Ref string
	// File is the generated file whose edit was carried back.
	File string
}

// SyncResult reports what Sync did.
type SyncResult struct {
	// Cells are the cells rewritten, one entry per (cell, edited file).
	Cells []SyncedCell
	// Files are the generated files exported again from the synced notebooks
	// (their markers carry the new checksums).
	Files []Output
	// Warnings are non-fatal remarks, such as a generated file missing on disk.
	Warnings []string
}

// Sync is nbdev_update for Go. Under the repository's lock, for each notebook
// (paths relative to the root) it reads the generated files whose header names
// it, and for each marker whose code no longer matches the marker's checksum
// (edited in the file) it finds the cell by its id and writes the code back into
// it. It does so only when the cell still exports what the marker's checksum
// says, that is when the cell was not edited in the notebook since: a cell that
// is gone, no longer exported, or edited on both sides is an error naming the
// cell and the file. The cell keeps its directive lines, import declarations
// (imports of packages the edited code newly uses are added) and trailing blank
// lines; references to the target package's own names defined outside this
// notebook are qualified again (Runner → learner.Runner); every other byte of
// the notebook stays as it was. Then the synced notebooks are exported, so that
// the markers carry the new checksums. On any error, nothing is written.
func (r *Repo) Sync(notebooks []string) (*SyncResult, error) {
	unlock, err := r.Lock()
	if err != nil {
		return nil, err
	}
	defer unlock()
	res := &SyncResult{}
	orig, synced := map[string][]byte{}, map[string][]byte{}
	var changed []string
	var errs []error
	for _, nbPath := range notebooks {
		data, out, cells, err := r.syncNotebook(nbPath, res)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if out != nil {
			orig[nbPath], synced[nbPath] = data, out
			changed = append(changed, nbPath)
			res.Cells = append(res.Cells, cells...)
		}
	}
	if err := errors.Join(errs...); err != nil {
		res.Cells = nil
		return res, err
	}
	if len(changed) == 0 {
		return res, nil
	}
	p, err := r.plan(changed, false, synced)
	if err != nil {
		res.Cells = nil
		return res, fmt.Errorf("exporting the synced notebooks (nothing written): %v", err)
	}
	p.Stale = nil // sync carries edits back; removing files is export's job
	for _, nbPath := range changed {
		// Jupyter may have saved the notebook since it was read.
		now, err := os.ReadFile(filepath.Join(r.Root, filepath.FromSlash(nbPath)))
		if err != nil || !bytes.Equal(now, orig[nbPath]) {
			res.Cells = nil
			return res, fmt.Errorf("%s changed on disk while sync ran (saved from JupyterLab?); nothing written: run sync again", nbPath)
		}
	}
	for _, nbPath := range changed {
		full := filepath.Join(r.Root, filepath.FromSlash(nbPath))
		st, err := os.Stat(full)
		if err != nil {
			return res, err
		}
		if err := WriteFileAtomic(full, synced[nbPath], st.Mode().Perm()); err != nil {
			return res, err
		}
	}
	res.Files = p.Files
	return res, r.Write(p)
}

// syncNotebook computes the new bytes of one notebook (nil when no cell changed)
// and returns them with the bytes read.
func (r *Repo) syncNotebook(nbPath string, res *SyncResult) (data, out []byte, synced []SyncedCell, err error) {
	data, err = os.ReadFile(filepath.Join(r.Root, filepath.FromSlash(nbPath)))
	if err != nil {
		return nil, nil, nil, err
	}
	nb, err := ParseNotebook(nbPath, data)
	if err != nil {
		return nil, nil, nil, err
	}
	outs, _, err := exportNotebook(nb, r.Module, r.Root)
	if err != nil {
		return nil, nil, nil, err
	}
	cells, _, err := selectCells(nb)
	if err != nil {
		return nil, nil, nil, err
	}
	byID := map[string]*cellCode{}
	byTarget := map[string][]*cellCode{}
	for _, c := range cells {
		byID[c.id] = c
		byTarget[c.target] = append(byTarget[c.target], c)
	}
	for _, cs := range byTarget {
		markReplaced(nb, cs)
	}

	// The files to read: those the notebook exports now, and any other whose
	// header names it (a cell's target may have changed since the export).
	exported := map[string]map[string]string{} // file → cell id → code exported now
	for _, o := range outs {
		exported[o.Path] = o.cells
	}
	gen, err := r.Generated()
	if err != nil {
		return nil, nil, nil, err
	}
	fileSet := map[string]bool{}
	for f := range exported {
		fileSet[f] = true
	}
	for _, g := range gen {
		if g.Notebook == nbPath {
			fileSet[g.Path] = true
		}
	}
	var files []string
	for f := range fileSet {
		files = append(files, f)
	}
	sort.Strings(files) // x.go before x_test.go

	type part struct{ file, text string }
	parts := map[string][]part{}                  // cell id → its code in each file
	editedIn := map[string][]string{}             // cell id → the files where it was edited
	onDisk := map[string]bool{}                   // file + "\x00" + id: the file has the marker
	fileImports := map[string]map[string]string{} // file → local name → import path
	for _, file := range files {
		full := filepath.Join(r.Root, filepath.FromSlash(file))
		src, err := os.ReadFile(full)
		if errors.Is(err, fs.ErrNotExist) {
			res.Warnings = append(res.Warnings, fmt.Sprintf("%s: not on disk, nothing to carry back from it", file))
			continue
		} else if err != nil {
			return nil, nil, nil, err
		}
		src = bytes.ReplaceAll(src, []byte("\r\n"), []byte("\n"))
		if got, ok := readHeaderBytes(src); !ok || got != nbPath {
			return nil, nil, nil, fmt.Errorf("%s: its first line is not %q; cannot sync it", file, Header(nbPath))
		}
		for i, l := range strings.Split(string(src), "\n") {
			if oldMarkerRE.MatchString(l) && !markerRE.MatchString(l) {
				return nil, nil, nil, fmt.Errorf("%s:%d: marker %q names no cell id and checksum (an older exporter wrote it, or it was edited), so sync cannot tell which cell the code belongs to; nothing written: copy your edits aside, run `go run ./exporter`, and redo them", file, i+1, l)
			}
		}
		fileImports[file] = importNames(src)
		for _, rg := range regions(src) {
			where := fmt.Sprintf("%s:%d", file, rg.line)
			if rg.nbPath != nbPath {
				return nil, nil, nil, fmt.Errorf("%s: marker names %s, but the file was generated from %s", where, rg.nbPath, nbPath)
			}
			key := file + "\x00" + rg.id
			if onDisk[key] {
				return nil, nil, nil, fmt.Errorf("%s: a second marker for cell id %s; each cell has one marker per file", where, rg.id)
			}
			onDisk[key] = true
			parts[rg.id] = append(parts[rg.id], part{file, rg.text})
			now, inExport := exported[file][rg.id]
			if Sum(rg.text) == rg.sum || (inExport && rg.text == now) {
				continue // not edited in the file, or already what the cell exports
			}
			idx := nb.index(rg.id)
			was := fmt.Sprintf("cell %d (id %s) when exported", rg.index, rg.id)
			switch {
			case idx < 0:
				return nil, nil, nil, fmt.Errorf("%s: the code under the marker of %s was edited, but %s has no cell with id %s any more (deleted?); nothing written: copy the edit into a cell by hand, then export", where, was, nbPath, rg.id)
			case byID[rg.id] == nil:
				return nil, nil, nil, fmt.Errorf("%s: the code under the marker of %s was edited, but %s no longer exports it; nothing written: copy the edit into the cell by hand, then export", where, was, nb.CellRef(idx))
			case !inExport || Sum(now) != rg.sum:
				return nil, nil, nil, fmt.Errorf("conflict: %s was edited in the notebook since the export, and its code in %s was edited too; nothing written. Keep one side: to keep the notebook's, copy the file's edit aside and run `go run ./exporter`; to keep the file's, undo the cell's edit and sync again", nb.CellRef(idx), where)
			}
			editedIn[rg.id] = append(editedIn[rg.id], file)
		}
	}
	// Code the export makes that no file holds yet (a new test file, say) is
	// part of the cell as much as the edited code.
	for _, file := range files {
		for id, text := range exported[file] {
			if !onDisk[file+"\x00"+id] {
				parts[id] = append(parts[id], part{file, text})
			}
		}
	}

	var ids []string
	for id := range editedIn {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return byID[ids[i]].index < byID[ids[j]].index })
	nbImports := notebookImports(nb)
	type edit struct {
		span [2]int
		text []byte
	}
	var edits []edit
	newSources := map[int]string{}
	for _, id := range ids {
		c := byID[id]
		ps := parts[id]
		sort.SliceStable(ps, func(i, j int) bool { return ps[i].file < ps[j].file })
		var bodies []string
		for _, p := range ps {
			if p.text != "" {
				bodies = append(bodies, p.text)
			}
		}
		where := fmt.Sprintf("%s (edited in %s)", nb.CellRef(c.index), strings.Join(editedIn[id], ", "))
		if len(c.replaced) > 0 {
			return nil, nil, nil, fmt.Errorf("%s: the export left out %s, which later cells redefine, so the file does not hold the whole cell; nothing written: edit this cell in the notebook instead", where, strings.Join(c.replaced, ", "))
		}
		src, err := r.cellSource(nb, c, strings.Join(bodies, "\n\n"), editedIn[id], fileImports, nbImports)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("%s: %v", where, err)
		}
		newSources[c.index] = src
		cell := nb.Cells[c.index]
		edits = append(edits, edit{cell.span, encodeSource(nb.raw, cell.span, src, cell.AsLines, cell.CRLF)})
		for _, f := range editedIn[id] {
			synced = append(synced, SyncedCell{Notebook: nbPath, Index: c.index, ID: id, Ref: nb.CellRef(c.index), File: f})
		}
	}
	if len(edits) == 0 {
		return data, nil, nil, nil
	}
	sort.Slice(edits, func(i, j int) bool { return edits[i].span[0] < edits[j].span[0] })
	out = append([]byte(nil), nb.raw...)
	for i := len(edits) - 1; i >= 0; i-- {
		e := edits[i]
		out = append(out[:e.span[0]:e.span[0]], append(e.text, out[e.span[1]:]...)...)
	}
	// Make sure the result reads back as intended before anything is written.
	check, err := ParseNotebook(nbPath, out)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("sync produced an unreadable notebook (a bug): %v", err)
	}
	for idx, src := range newSources {
		if check.Cells[idx].Source != src {
			return nil, nil, nil, fmt.Errorf("%s: sync could not encode the new source (a bug)", nb.CellRef(idx))
		}
	}
	return data, out, synced, nil
}

// cellSource builds a cell's new text from its edited code.
func (r *Repo) cellSource(nb *Notebook, c *cellCode, body string, files []string, fileImports map[string]map[string]string, nbImports map[string]string) (string, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "edit", cellPrefix+body, parser.ParseComments|parser.SkipObjectResolution)
	if err != nil {
		return "", fmt.Errorf("the edited code does not parse: %v", cellSyntaxError(nb.CellRef(c.index), err))
	}
	uses := resolve(fset, f)
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
	for _, id := range unresolved(f, uses) {
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
		if id, ok := sel.X.(*ast.Ident); ok && isPackageRef(uses, id) {
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
	// Keep the cell's trailing blank lines and final newline as they were.
	old := nb.Cells[c.index].Source
	src = strings.TrimRight(src, " \t\n") + old[len(strings.TrimRight(old, " \t\n")):]
	return src, nil
}

// unresolved returns the identifiers of f that refer to nothing f declares
// (nor the universe): names from other cells or files of the package. Field and
// method names after a dot, composite literal keys and labels are not references.
func unresolved(f *ast.File, uses map[*ast.Ident]types.Object) []*ast.Ident {
	skip := map[*ast.Ident]bool{f.Name: true}
	var out []*ast.Ident
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.SelectorExpr:
			skip[n.Sel] = true
		case *ast.CompositeLit:
			for _, e := range n.Elts {
				if kv, ok := e.(*ast.KeyValueExpr); ok {
					if id, ok := kv.Key.(*ast.Ident); ok {
						skip[id] = true
					}
				}
			}
		case *ast.LabeledStmt:
			skip[n.Label] = true
		case *ast.BranchStmt:
			if n.Label != nil {
				skip[n.Label] = true
			}
		case *ast.Ident:
			if !skip[n] && uses[n] == nil && n.Name != "_" {
				out = append(out, n)
			}
		}
		return true
	})
	return out
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
		f, err := parser.ParseFile(token.NewFileSet(), "", cellPrefix+strings.Join(lines, "\n"), parser.ImportsOnly|parser.SkipObjectResolution)
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
	f, err := parser.ParseFile(token.NewFileSet(), "", src, parser.ImportsOnly|parser.SkipObjectResolution)
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
