package nbexport

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"golang.org/x/tools/go/packages"
)

var posRE = regexp.MustCompile(`^(.*\.go):(\d+)(?::(\d+))?$`)

// TypeCheck loads the target directories (relative to the root) with their tests
// through go/packages and returns every error, each generated-file position led
// back to the notebook cell its marker names, or nil when all type-check.
func (r *Repo) TypeCheck(targets []string) error {
	if len(targets) == 0 {
		return nil
	}
	patterns := make([]string, len(targets))
	for i, t := range targets {
		patterns[i] = "./" + t
	}
	cfg := &packages.Config{
		Mode:  packages.NeedName | packages.NeedFiles | packages.NeedSyntax | packages.NeedTypes | packages.NeedTypesInfo,
		Dir:   r.Root,
		Tests: true,
	}
	pkgs, err := packages.Load(cfg, patterns...)
	if err != nil {
		return fmt.Errorf("type-checking %s: %v", strings.Join(targets, ", "), err)
	}
	seen := map[string]bool{}
	var msgs []string
	packages.Visit(pkgs, nil, func(p *packages.Package) {
		typed := false
		for _, e := range p.Errors {
			typed = typed || e.Kind != packages.ListError
		}
		for _, e := range p.Errors {
			if typed && e.Kind == packages.ListError {
				continue // the go command's report of the same compile errors
			}
			m := r.describe(e)
			if !seen[m] {
				seen[m] = true
				msgs = append(msgs, m)
			}
		}
	})
	if len(msgs) == 0 {
		return nil
	}
	return fmt.Errorf("the exported packages do not compile:\n%s", strings.Join(msgs, "\n"))
}

// describe formats a package error; a position in a generated file gets the
// notebook and cell in front.
func (r *Repo) describe(e packages.Error) string {
	// Keep this machine's paths out of messages ("already declared at /…/x.go").
	if abs, err := filepath.Abs(r.Root); err == nil {
		e.Msg = strings.ReplaceAll(e.Msg, abs+string(filepath.Separator), "")
	}
	m := posRE.FindStringSubmatch(e.Pos)
	if m == nil {
		return e.Msg
	}
	file := m[1]
	rel, err := filepath.Rel(r.Root, file)
	if err != nil || strings.HasPrefix(rel, "..") {
		rel = file
	}
	rel = filepath.ToSlash(rel)
	loc := rel + ":" + m[2]
	if m[3] != "" {
		loc += ":" + m[3]
	}
	line, _ := strconv.Atoi(m[2])
	src, err := os.ReadFile(file)
	if err == nil {
		if cell := CellForLine(src, line, ""); cell != "" {
			return fmt.Sprintf("%s (%s): %s", cell, loc, e.Msg)
		}
	}
	return fmt.Sprintf("%s: %s", loc, e.Msg)
}
