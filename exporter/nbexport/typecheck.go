package nbexport

import (
	"fmt"
	"go/parser"
	"go/token"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"golang.org/x/tools/go/packages"
)

var posRE = regexp.MustCompile(`^(.*\.go):(\d+)(?::(\d+))?$`)

// TypeCheck type-checks, with their tests, the packages a plan would leave on
// disk, before anything is written: go/packages reads the planned files from an
// overlay and sees each stale file as an empty file of its package (as good as
// removed). It returns every error, positions in generated files led back to the
// notebook cell their marker names, or nil when all type-check.
func (r *Repo) TypeCheck(p *Plan) error {
	root, err := filepath.Abs(r.Root)
	if err != nil {
		return err
	}
	overlay := map[string][]byte{}
	dirs := map[string]bool{}
	for _, o := range p.Files {
		overlay[filepath.Join(root, filepath.FromSlash(o.Path))] = o.Content
		dirs[o.Target] = true
	}
	for _, s := range p.Stale {
		full := filepath.Join(root, filepath.FromSlash(s))
		f, err := parser.ParseFile(token.NewFileSet(), full, nil, parser.PackageClauseOnly)
		if err != nil {
			continue // a stale file that does not parse breaks nothing once removed
		}
		overlay[full] = []byte("package " + f.Name.Name + "\n")
		dirs[path.Dir(s)] = true
	}
	if len(dirs) == 0 {
		return nil
	}
	var patterns []string
	for d := range dirs {
		patterns = append(patterns, "./"+d)
	}
	sort.Strings(patterns)
	cfg := &packages.Config{
		Mode:    packages.NeedName | packages.NeedFiles | packages.NeedSyntax | packages.NeedTypes | packages.NeedTypesInfo,
		Dir:     root,
		Tests:   true,
		Overlay: overlay,
	}
	pkgs, err := packages.Load(cfg, patterns...)
	if err != nil {
		return fmt.Errorf("type-checking %s: %v", strings.Join(patterns, ", "), err)
	}
	seen := map[string]bool{}
	var msgs []string
	packages.Visit(pkgs, nil, func(pk *packages.Package) {
		typed := false
		for _, e := range pk.Errors {
			typed = typed || e.Kind != packages.ListError
		}
		for _, e := range pk.Errors {
			if typed && e.Kind == packages.ListError {
				continue // the go command's report of the same compile errors
			}
			m := r.describe(root, p, overlay, e)
			if !seen[m] {
				seen[m] = true
				msgs = append(msgs, m)
			}
		}
	})
	if len(msgs) == 0 {
		return nil
	}
	for _, st := range p.Stale {
		msgs = append(msgs, fmt.Sprintf("(the export would remove %s, which its notebook no longer exports)", st))
	}
	return fmt.Errorf("the exported packages would not compile, so nothing was written or removed:\n%s", strings.Join(msgs, "\n"))
}

// describe formats a package error; a position in a generated file gets the
// notebook cell in front.
func (r *Repo) describe(root string, p *Plan, overlay map[string][]byte, e packages.Error) string {
	// Keep this machine's paths out of messages ("already declared at /…/x.go").
	e.Msg = strings.ReplaceAll(e.Msg, root+string(filepath.Separator), "")
	m := posRE.FindStringSubmatch(e.Pos)
	if m == nil {
		return e.Msg
	}
	file := m[1]
	rel, err := filepath.Rel(root, file)
	if err != nil || strings.HasPrefix(rel, "..") {
		rel = file
	}
	rel = filepath.ToSlash(rel)
	loc := rel + ":" + m[2]
	if m[3] != "" {
		loc += ":" + m[3]
	}
	line, _ := strconv.Atoi(m[2])
	src, ok := overlay[file]
	if !ok {
		src, _ = os.ReadFile(file)
	}
	if rg, ok := regionAt(src, line); ok {
		ref := fmt.Sprintf("%s cell %d (id %s)", rg.nbPath, rg.index, rg.id)
		if nb := p.notebooks[rg.nbPath]; nb != nil && nb.index(rg.id) >= 0 {
			ref = nb.CellRef(nb.index(rg.id))
		}
		return fmt.Sprintf("%s (%s): %s", ref, loc, e.Msg)
	}
	return fmt.Sprintf("%s: %s", loc, e.Msg)
}
