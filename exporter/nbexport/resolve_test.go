package nbexport

import (
	"go/ast"
	"go/parser"
	"go/token"
	"reflect"
	"sort"
	"testing"
)

// TestResolve checks the scope walk that replaced go/ast's object resolution:
// which identifiers refer to nothing the cell declares (names from other cells
// or files, to qualify again on sync) and which selector bases are packages
// (to unqualify on export).
func TestResolve(t *testing.T) {
	const src = cellPrefix + `import dm "example.com/demo"

type T struct{ Field int }

func (t T) M() int { return t.Field }

func F(learner int) int {
	x := T{Field: learner}  // Field is a key, learner the parameter
	_ = Runner{}            // from another file: unresolved
	_ = dm.Greet            // dm is this cell's import
	_ = learner2.Fit        // imported by another cell
	_ = x.M                 // x is a variable
	var m = map[string]int{} // universe names resolve
	_ = len(m)
loop:
	for {
		break loop
	}
	return Limit + learner // Limit: another cell's constant
}
`
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "cell", src, parser.SkipObjectResolution)
	if err != nil {
		t.Fatal(err)
	}
	uses := resolve(fset, f)
	var got []string
	for _, id := range unresolved(f, uses) {
		got = append(got, id.Name)
	}
	sort.Strings(got)
	if want := []string{"Limit", "Runner", "learner2"}; !reflect.DeepEqual(got, want) {
		t.Errorf("unresolved %v, want %v", got, want)
	}
	pkgs := map[string]bool{}
	ast.Inspect(f, func(n ast.Node) bool {
		if sel, ok := n.(*ast.SelectorExpr); ok {
			if id, ok := sel.X.(*ast.Ident); ok {
				pkgs[id.Name] = isPackageRef(uses, id)
			}
		}
		return true
	})
	if want := map[string]bool{"dm": true, "learner2": true, "x": false, "t": false}; !reflect.DeepEqual(pkgs, want) {
		t.Errorf("package references %v, want %v", pkgs, want)
	}
}
