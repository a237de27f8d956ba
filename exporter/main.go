// Command exporter turns the tagged cells of the GoNB notebooks into Go packages
// (fastai's notebook2script and nbdev, for Go). See package nbexport for the rules.
//
// Usage, from the repository root:
//
//	go run ./exporter [-root dir] [notebooks...]   export (all notebooks/*.ipynb by default)
//	go run ./exporter -check [notebooks...]        diff the packages against the notebooks
//	go run ./exporter sync [notebooks...]          carry edits of generated files back into cells
//
// Export prints one line per generated file, e.g.
// "Converted notebooks/04_callbacks.ipynb to pkg/learner/nb04_callbacks.go", then
// type-checks the target packages and reports errors against notebook cells.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/fastgo/fastgo/exporter/nbexport"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("exporter", flag.ContinueOnError)
	fl.SetOutput(stderr)
	root := fl.String("root", "", "repository root (default: the nearest directory above the working directory holding go.mod)")
	check := fl.Bool("check", false, "write nothing; exit 1 with a unified diff when the packages differ from what the notebooks export")
	noTypes := fl.Bool("notypes", false, "skip type-checking the target packages after writing")
	fl.Usage = func() {
		fmt.Fprintf(stderr, "usage: exporter [-root dir] [-check] [-notypes] [notebooks...]\n       exporter [-root dir] sync [notebooks...]\n")
		fl.PrintDefaults()
	}
	if err := fl.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	rest := fl.Args()
	sync := len(rest) > 0 && rest[0] == "sync"
	if sync {
		rest = rest[1:]
		if *check {
			fmt.Fprintln(stderr, "exporter: -check and sync do not go together")
			return 2
		}
	}
	cwd, err := os.Getwd()
	if err != nil {
		return fail(stderr, err)
	}
	if *root == "" {
		if *root, err = nbexport.FindRoot(cwd); err != nil {
			return fail(stderr, err)
		}
	}
	repo, err := nbexport.OpenRepo(*root)
	if err != nil {
		return fail(stderr, err)
	}
	all := len(rest) == 0
	var notebooks []string
	if all {
		if notebooks, err = repo.Notebooks(); err != nil {
			return fail(stderr, err)
		}
	}
	for _, a := range rest {
		rel, err := repo.Rel(cwd, a)
		if err != nil {
			return fail(stderr, err)
		}
		notebooks = append(notebooks, rel)
	}

	if sync {
		res, err := repo.Sync(notebooks)
		if res != nil {
			printWarnings(stderr, res.Warnings)
			for _, c := range res.Cells {
				fmt.Fprintf(stdout, "Updated %s cell %d from %s\n", c.Notebook, c.Index, c.File)
			}
		}
		if err != nil {
			return fail(stderr, err)
		}
		return 0
	}

	plan, err := repo.Plan(notebooks, all)
	if err != nil {
		return fail(stderr, err)
	}
	printWarnings(stderr, plan.Warnings)
	if *check {
		diff, err := repo.Check(plan)
		if err != nil {
			return fail(stderr, err)
		}
		if diff != "" {
			fmt.Fprint(stdout, diff)
			fmt.Fprintln(stderr, "exporter: the packages differ from the notebooks; run `go run ./exporter` (or `go run ./exporter sync` to keep edits made in generated files)")
			return 1
		}
		return 0
	}
	if err := repo.Write(plan); err != nil {
		return fail(stderr, err)
	}
	for _, o := range plan.Files {
		fmt.Fprintf(stdout, "Converted %s to %s\n", o.Notebook, o.Path)
	}
	for _, s := range plan.Stale {
		fmt.Fprintf(stdout, "Removed %s (its notebook no longer exports it)\n", s)
	}
	if !*noTypes {
		if err := repo.TypeCheck(plan.Targets()); err != nil {
			return fail(stderr, err)
		}
	}
	return 0
}

func printWarnings(w io.Writer, warnings []string) {
	for _, m := range warnings {
		fmt.Fprintf(w, "exporter: warning: %s\n", m)
	}
}

func fail(w io.Writer, err error) int {
	fmt.Fprintf(w, "exporter: %v\n", err)
	return 1
}
