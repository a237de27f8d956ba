// Command exporter turns the tagged cells of the GoNB notebooks into Go packages
// (fastai's notebook2script and nbdev, for Go). See package nbexport for the rules.
//
// Usage, from the repository root:
//
//	go run ./exporter [-root dir] [-notypes] [notebooks...]  export (all notebooks/*.ipynb by default)
//	go run ./exporter -check [notebooks...]        diff the packages against the notebooks
//	go run ./exporter sync [notebooks...]          carry edits of generated files back into cells
//	go run ./exporter clean [-check] [notebooks...]  normalise notebooks for git (nbdev_clean)
//
// Export type-checks the packages it would write first, and writes and removes
// nothing when they do not compile (an export that would change no file skips
// the check); then it prints one line per generated file,
// e.g. "Converted notebooks/04_callbacks.ipynb to pkg/learner/nb04_callbacks.go".
// Two runs at once wait for each other (see nbexport.Repo.Lock).
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
	check := fl.Bool("check", false, "write nothing; exit 1 with a unified diff when the packages differ from what the notebooks export (with clean: when a notebook is not clean)")
	noTypes := fl.Bool("notypes", false, "do not type-check the packages before writing them")
	fl.Usage = func() {
		fmt.Fprintf(stderr, "usage: exporter [-root dir] [-check] [-notypes] [notebooks...]\n       exporter [-root dir] sync [notebooks...]\n       exporter [-root dir] clean [-check] [notebooks...]\n")
		fl.PrintDefaults()
	}
	if err := fl.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	rest := fl.Args()
	cmd := ""
	if len(rest) > 0 && (rest[0] == "sync" || rest[0] == "clean") {
		cmd, rest = rest[0], rest[1:]
	}
	switch cmd {
	case "sync":
		if *check {
			fmt.Fprintln(stderr, "exporter: -check and sync do not go together")
			return 2
		}
	case "clean":
		cf := flag.NewFlagSet("exporter clean", flag.ContinueOnError)
		cf.SetOutput(stderr)
		cf.BoolVar(check, "check", *check, "write nothing; exit 1 naming every notebook that is not clean")
		if err := cf.Parse(rest); err != nil {
			return 2
		}
		rest = cf.Args()
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

	switch cmd {
	case "sync":
		res, err := repo.Sync(notebooks)
		if res != nil {
			printWarnings(stderr, res.Warnings)
			for _, c := range res.Cells {
				fmt.Fprintf(stdout, "Updated %s from %s\n", c.Ref, c.File)
			}
		}
		if err == nil {
			for _, o := range res.Files {
				fmt.Fprintf(stdout, "Converted %s to %s\n", o.Notebook, o.Path)
			}
		}
		if err != nil {
			return fail(stderr, err)
		}
		return 0
	case "clean":
		results, err := repo.Clean(notebooks, *check)
		if err != nil {
			return fail(stderr, err)
		}
		dirty := 0
		for _, r := range results {
			if !r.Changed() {
				continue
			}
			dirty++
			if *check {
				fmt.Fprintf(stdout, "%s is not clean: %s\n", r.Notebook, r)
			} else {
				fmt.Fprintf(stdout, "Cleaned %s: %s\n", r.Notebook, r)
			}
		}
		if *check && dirty > 0 {
			fmt.Fprintln(stderr, "exporter: notebooks are not clean; run `go run ./exporter clean`")
			return 1
		}
		return 0
	}

	if *check {
		plan, err := repo.Plan(notebooks, all)
		if plan != nil {
			printWarnings(stderr, plan.Warnings)
		}
		if err != nil {
			return fail(stderr, err)
		}
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
	plan, err := repo.Export(notebooks, all, !*noTypes)
	if plan != nil {
		printWarnings(stderr, plan.Warnings)
	}
	if err != nil {
		return fail(stderr, err)
	}
	for _, o := range plan.Files {
		fmt.Fprintf(stdout, "Converted %s to %s\n", o.Notebook, o.Path)
	}
	for _, s := range plan.Stale {
		fmt.Fprintf(stdout, "Removed %s (its notebook no longer exports it)\n", s)
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
