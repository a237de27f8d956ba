package nbexport

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/pmezard/go-difflib/difflib"
	"golang.org/x/mod/modfile"
)

// NotebookDir is where notebooks live, relative to the repository root.
const NotebookDir = "notebooks"

// Repo is a repository copy to export into: a directory holding go.mod.
type Repo struct {
	// Root is the repository's directory.
	Root string
	// Module is the module path from Root/go.mod.
	Module string
}

// OpenRepo reads root/go.mod.
func OpenRepo(root string) (*Repo, error) {
	data, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		return nil, fmt.Errorf("%s is not a repository root: %v", root, err)
	}
	mod := modfile.ModulePath(data)
	if mod == "" {
		return nil, fmt.Errorf("%s: no module line", filepath.Join(root, "go.mod"))
	}
	return &Repo{Root: root, Module: mod}, nil
}

// FindRoot walks up from dir to the nearest directory holding go.mod.
func FindRoot(dir string) (string, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("no go.mod in %s or above it; use -root", dir)
		}
	}
}

// Notebooks lists notebooks/*.ipynb in name order, as paths relative to the root.
// As the go command does with source files, it passes over names that begin with
// "_" or "." (scratch copies, such as the test harness's notebooks/_e2e_*).
func (r *Repo) Notebooks() ([]string, error) {
	matches, err := filepath.Glob(filepath.Join(r.Root, NotebookDir, "*.ipynb"))
	if err != nil {
		return nil, err
	}
	var out []string
	for _, m := range matches {
		if base := filepath.Base(m); !strings.HasPrefix(base, "_") && !strings.HasPrefix(base, ".") {
			out = append(out, path.Join(NotebookDir, base))
		}
	}
	sort.Strings(out)
	return out, nil
}

// Rel turns a notebook path given on a command line (relative to cwd, or absolute)
// into a path relative to the root.
func (r *Repo) Rel(cwd, arg string) (string, error) {
	p := arg
	if !filepath.IsAbs(p) {
		p = filepath.Join(cwd, p)
	}
	root, err := filepath.Abs(r.Root)
	if err != nil {
		return "", err
	}
	rel, err := filepath.Rel(root, p)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", fmt.Errorf("%s is outside the repository (the root is the nearest directory with go.mod, or -root)", arg)
	}
	return filepath.ToSlash(rel), nil
}

// Plan is everything an export would do, computed before anything is written.
type Plan struct {
	// Notebooks are the notebooks exported, relative to the root.
	Notebooks []string
	// Files are the generated files, sorted by path.
	Files []Output
	// Stale are generated files on disk (relative paths) whose notebook is among
	// Notebooks, or no longer exists, but that the export no longer produces.
	Stale []string
	// Warnings are non-fatal remarks (redefinitions, unknown directives).
	Warnings []string
	// notebooks are the parsed notebooks, by path, to name cells in messages.
	notebooks map[string]*Notebook
}

// Export is what `go run ./exporter` does: under the repository's lock (see
// Lock), it plans the export of the notebooks, type-checks the result unless
// typeCheck is false or the plan would change nothing on disk, and only then
// writes and removes files. On any error nothing is written or removed; the
// plan is returned for its warnings.
func (r *Repo) Export(notebooks []string, all, typeCheck bool) (*Plan, error) {
	unlock, err := r.Lock()
	if err != nil {
		return nil, err
	}
	defer unlock()
	p, err := r.Plan(notebooks, all)
	if err != nil {
		return p, err
	}
	// An export that writes nothing cannot break a package, so it skips the
	// type check, which loads the targets and their tests through go/packages:
	// 1.5 of the 1.8 s that exporting lesson 03 took, as its notebook does at
	// the end of every run.
	if typeCheck && !r.unchanged(p) {
		if err := r.TypeCheck(p); err != nil {
			return p, err
		}
	}
	return p, r.Write(p)
}

// unchanged reports whether writing p would change nothing: every file it
// generates is on disk with the same content, and no file is stale.
func (r *Repo) unchanged(p *Plan) bool {
	if len(p.Stale) > 0 {
		return false
	}
	for _, o := range p.Files {
		if !r.onDisk(o) {
			return false
		}
	}
	return true
}

// onDisk reports whether o's file is on disk with o's content already.
func (r *Repo) onDisk(o Output) bool {
	old, err := os.ReadFile(filepath.Join(r.Root, filepath.FromSlash(o.Path)))
	return err == nil && bytes.Equal(old, o.Content)
}

// Plan reads and exports the notebooks (paths relative to the root) in memory.
// With all set, generated files of notebooks that no longer exist count as stale.
// Every notebook is tried, and the errors of all are returned together (with
// the warnings of the plan that could not be made).
func (r *Repo) Plan(notebooks []string, all bool) (*Plan, error) {
	return r.plan(notebooks, all, nil)
}

// plan is Plan reading a notebook from data instead of the disk when data has
// its path (sync plans the notebooks it is about to write).
func (r *Repo) plan(notebooks []string, all bool, data map[string][]byte) (*Plan, error) {
	p := &Plan{Notebooks: notebooks, notebooks: map[string]*Notebook{}}
	var errs []error
	byPath := map[string]string{}
	for _, nbPath := range notebooks {
		raw, ok := data[nbPath]
		if !ok {
			var err error
			if raw, err = os.ReadFile(filepath.Join(r.Root, filepath.FromSlash(nbPath))); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", nbPath, errors.Unwrap(err)))
				continue
			}
		}
		nb, err := ParseNotebook(nbPath, raw)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		p.notebooks[nbPath] = nb
		outs, warnings, err := exportNotebook(nb, r.Module, r.Root)
		p.Warnings = append(p.Warnings, warnings...)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, o := range outs {
			if prev, ok := byPath[o.Path]; ok {
				errs = append(errs, fmt.Errorf("%s and %s both export to %s; rename one", prev, nbPath, o.Path))
				continue
			}
			byPath[o.Path] = nbPath
			p.Files = append(p.Files, o)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return &Plan{Warnings: p.Warnings}, err
	}
	sort.Slice(p.Files, func(i, j int) bool { return p.Files[i].Path < p.Files[j].Path })
	gen, err := r.Generated()
	if err != nil {
		return nil, err
	}
	exported := map[string]bool{}
	for _, nb := range notebooks {
		exported[nb] = true
	}
	for _, g := range gen {
		if _, produced := byPath[g.Path]; produced {
			continue
		}
		_, statErr := os.Stat(filepath.Join(r.Root, filepath.FromSlash(g.Notebook)))
		if exported[g.Notebook] || (all && errors.Is(statErr, fs.ErrNotExist)) {
			p.Stale = append(p.Stale, g.Path)
		}
	}
	return p, nil
}

// GeneratedFile is a file on disk that carries the exporter's header.
type GeneratedFile struct {
	Path     string // relative to the root, with slashes
	Notebook string // the notebook its header names
}

// Generated finds the generated .go files in the repository, skipping hidden
// directories, testdata, vendor and node_modules.
func (r *Repo) Generated() ([]GeneratedFile, error) {
	var out []GeneratedFile
	err := filepath.WalkDir(r.Root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if p != r.Root && (strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") ||
				name == "testdata" || name == "vendor" || name == "node_modules") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(name, ".go") {
			return nil
		}
		nb, ok := readHeader(p)
		if ok {
			rel, _ := filepath.Rel(r.Root, p)
			out = append(out, GeneratedFile{Path: filepath.ToSlash(rel), Notebook: nb})
		}
		return nil
	})
	return out, err
}

// readHeader returns the notebook named in a file's generated header.
func readHeader(file string) (string, bool) {
	f, err := os.Open(file)
	if err != nil {
		return "", false
	}
	defer f.Close()
	line, _ := bufio.NewReader(f).ReadString('\n')
	return readHeaderBytes([]byte(line))
}

// readHeaderBytes returns the notebook named in the generated header that starts
// src.
func readHeaderBytes(src []byte) (string, bool) {
	line, _, _ := bytes.Cut(src, []byte("\n"))
	m := headerRE.FindStringSubmatch(strings.TrimRight(string(line), "\r"))
	if m == nil {
		return "", false
	}
	return m[1], true
}

// Check compares the plan with the disk. It returns a unified diff of every file
// that differs (a missing file diffs against nothing) and a line per stale file;
// empty means the packages agree with the notebooks.
func (r *Repo) Check(p *Plan) (string, error) {
	var b strings.Builder
	for _, o := range p.Files {
		old, err := os.ReadFile(filepath.Join(r.Root, filepath.FromSlash(o.Path)))
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return "", err
		}
		if bytes.Equal(old, o.Content) {
			continue
		}
		from := o.Path + " (on disk)"
		if old == nil {
			from = o.Path + " (not on disk)"
		}
		var a []string
		if len(old) > 0 {
			a = difflib.SplitLines(string(old))
		}
		d, err := difflib.GetUnifiedDiffString(difflib.UnifiedDiff{
			A: a, B: difflib.SplitLines(string(o.Content)),
			FromFile: from, ToFile: o.Notebook + " (exported now)", Context: 3,
		})
		if err != nil {
			return "", err
		}
		fmt.Fprintf(&b, "%s differs from %s:\n%s", o.Path, o.Notebook, d)
	}
	for _, s := range p.Stale {
		nb, _ := readHeader(filepath.Join(r.Root, filepath.FromSlash(s)))
		fmt.Fprintf(&b, "%s: generated from %s, which no longer exports it (an export removes it)\n", s, nb)
	}
	return b.String(), nil
}

// testHookWrite, when set, runs after each file Write puts on disk (tests use
// it to widen the window in which two exports could interleave).
var testHookWrite func(path string)

// Write puts the plan on disk: it first makes sure that every file it would
// replace or remove carries the generated header of the same notebook (writing
// nothing otherwise), then writes each changed file through a temporary file and a
// rename (leaving files whose content is already right alone), and removes stale
// files. It does not take the lock: Export does.
func (r *Repo) Write(p *Plan) error {
	var errs []error
	for _, o := range p.Files {
		full := filepath.Join(r.Root, filepath.FromSlash(o.Path))
		if _, err := os.Stat(full); errors.Is(err, fs.ErrNotExist) {
			continue
		}
		nb, ok := readHeader(full)
		switch {
		case !ok:
			errs = append(errs, fmt.Errorf("%s exists and is not generated (its first line is not %q); refusing to overwrite it: move it away or export %s elsewhere", o.Path, Header(o.Notebook), o.Notebook))
		case nb != o.Notebook:
			errs = append(errs, fmt.Errorf("%s was generated from %s, not %s; refusing to overwrite it", o.Path, nb, o.Notebook))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	for _, o := range p.Files {
		if r.onDisk(o) {
			continue
		}
		full := filepath.Join(r.Root, filepath.FromSlash(o.Path))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			return err
		}
		if err := WriteFileAtomic(full, o.Content, 0o644); err != nil {
			return err
		}
		if testHookWrite != nil {
			testHookWrite(o.Path)
		}
	}
	for _, s := range p.Stale {
		if err := os.Remove(filepath.Join(r.Root, filepath.FromSlash(s))); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	return nil
}

// WriteFileAtomic writes data to a temporary file beside name and renames it over
// name, so a reader never sees half a file.
func WriteFileAtomic(name string, data []byte, perm fs.FileMode) error {
	f, err := os.CreateTemp(filepath.Dir(name), "."+filepath.Base(name)+".tmp*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp, perm)
	}
	if err == nil {
		err = os.Rename(tmp, name)
	}
	if err != nil {
		os.Remove(tmp)
	}
	return err
}

// Targets returns the distinct target directories of a plan, sorted.
func (p *Plan) Targets() []string {
	seen := map[string]bool{}
	var out []string
	for _, o := range p.Files {
		if !seen[o.Target] {
			seen[o.Target] = true
			out = append(out, o.Target)
		}
	}
	sort.Strings(out)
	return out
}
