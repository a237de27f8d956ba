package tensor

import (
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
		{"out of range", "index 4 out of range", func() { Zeros(4, 3).IndexSelectInto(nil, []int{4}) }},
		{"requires grad", "requires grad", func() { Zeros(4, 3).SetRequiresGrad(true).IndexSelectInto(nil, []int{0}) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				r := recover()
				if msg, _ := r.(string); !strings.Contains(msg, tc.want) {
					t.Fatalf("panic %v, want one containing %q", r, tc.want)
				}
			}()
			tc.f()
		})
	}
}
