package tensor

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestIndexSelectInto(t *testing.T) {
	src := ArangeF(0, 12, 1).Reshape(4, 3)
	got := src.IndexSelectInto(nil, []int{2, 0})
	if want := src.IndexSelect(FromInts([]int{2, 0})); !got.Shape().Equal(want.Shape()) || !slices.Equal(got.Data(), want.Data()) {
		t.Fatalf("IndexSelectInto(nil, [2 0]) = %v, want %v", got, want)
	}

	// A shorter batch reuses the storage; a later full one gets it back whole.
	short := src.IndexSelectInto(got, []int{3})
	if &short.Data()[0] != &got.Data()[0] || !slices.Equal(short.Data(), []float32{9, 10, 11}) || !short.Shape().Equal(Shape{1, 3}) {
		t.Fatalf("reuse for one row: %v (shares storage: %v)", short, &short.Data()[0] == &got.Data()[0])
	}
	full := src.IndexSelectInto(short, []int{1, -1})
	if &full.Data()[0] != &got.Data()[0] || !slices.Equal(full.Data(), []float32{3, 4, 5, 9, 10, 11}) {
		t.Fatalf("reuse for two rows: %v", full)
	}
	// Too small a destination is replaced, never overrun.
	if bigger := src.IndexSelectInto(short, []int{0, 1, 2}); &bigger.Data()[0] == &got.Data()[0] || bigger.Len() != 3 {
		t.Fatalf("three rows were gathered into a two-row buffer: %v", bigger)
	}

	labels := FromInts([]int{5, 0, 4})
	if y := labels.IndexSelectInto(nil, []int{2, 1}); !y.IsInt() || !slices.Equal(y.Ints(), []int{4, 0}) {
		t.Fatalf("labels: %v", y)
	}
	if y := labels.IndexSelectInto(nil, []int{1}); y.RequiresGrad() {
		t.Fatal("a gathered batch requires grad")
	}
}

func TestIndexSelectIntoPanics(t *testing.T) {
	for _, tc := range []struct {
		name, want string
		f          func()
	}{
		{"out of range", "index 4 is out of bounds for dimension 0 with size 4", func() { Zeros(4, 3).IndexSelectInto(nil, []int{4}) }},
		{"requires grad", "requires grad", func() { Zeros(4, 3).SetRequiresGrad(true).IndexSelectInto(nil, []int{0}) }},
	} {
		t.Run(tc.name, func(t *testing.T) { mustPanic(t, tc.name, tc.f, tc.want) })
	}
}

// Every out-of-range or fractional index panics with an *IndexError that
// names the op, the index, the dimension and its size, in PyTorch's words.
func TestIndexErrors(t *testing.T) {
	x := Zeros(4, 3)
	for _, tc := range []struct {
		name          string
		f             func()
		op            string
		index, dim, n int
	}{
		{"index_select", func() { x.IndexSelect(FromInts([]int{1, 4})) }, "index_select", 4, 0, 4},
		{"index_select negative", func() { x.IndexSelect(FromInts([]int{-5})) }, "index_select", -5, 0, 4},
		{"index rows", func() { x.Index(FromInts([]int{4}), FromInts([]int{0})) }, "index", 4, 0, 4},
		{"index cols", func() { x.Index(FromInts([]int{0}), FromInts([]int{3})) }, "index", 3, 1, 3},
		{"index fractional", func() { x.Index(New([]float32{0.5}), FromInts([]int{0})) }, "index", 0, 0, 4},
		{"At", func() { x.At(1, 3) }, "At", 3, 1, 3},
		{"row", func() { x.Row(-5) }, "select", -5, 0, 4},
		{"slice", func() { x.Slice(5, 6) }, "slice", 5, 0, 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				var ie *IndexError
				err, _ := recover().(error)
				if !errors.As(err, &ie) {
					t.Fatalf("panic %v, want an *IndexError", err)
				}
				if ie.Op != tc.op || ie.Index != tc.index || ie.Dim != tc.dim || ie.Size != tc.n || !ie.Shape.Equal(x.Shape()) {
					t.Errorf("IndexError %+v, want op %s index %d dim %d size %d", ie, tc.op, tc.index, tc.dim, tc.n)
				}
				if !strings.HasPrefix(err.Error(), "tensor: "+tc.op+": index ") {
					t.Errorf("message %q", err)
				}
			}()
			tc.f()
		})
	}
}
