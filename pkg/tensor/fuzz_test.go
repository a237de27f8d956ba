package tensor

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// shapeFrom turns fuzz bytes into a shape of up to 4 dimensions of size
// 0..4 (small, so every case runs fast).
func shapeFrom(b []byte) []int {
	if len(b) == 0 {
		return []int{}
	}
	n := int(b[0]) % 5
	s := make([]int, 0, n)
	for i := 1; i <= n && i < len(b); i++ {
		s = append(s, int(b[i])%5)
	}
	return s
}

// FuzzBroadcast checks that broadcasting either fails with an error naming
// both shapes or gives the right values, and that gradients come back in
// the inputs' shapes with the right totals.
func FuzzBroadcast(f *testing.F) {
	f.Add([]byte{2, 3, 4}, []byte{1, 4})
	f.Add([]byte{2, 3, 1}, []byte{2, 1, 4})
	f.Add([]byte{3, 2, 1, 4}, []byte{2, 3, 1})
	f.Add([]byte{0}, []byte{2, 0, 2})
	f.Fuzz(func(t *testing.T, ba, bb []byte) {
		sa, sb := shapeFrom(ba), shapeFrom(bb)
		out, err := BroadcastShapes(sa, sb)
		a, b := randT(1, sa...), randT(2, sb...)
		if err != nil {
			defer func() {
				msg := fmt.Sprint(recover())
				if !strings.Contains(msg, Shape(sa).String()) || !strings.Contains(msg, Shape(sb).String()) {
					t.Fatalf("Add(%v, %v): panic %q should name both shapes", Shape(sa), Shape(sb), msg)
				}
			}()
			a.Add(b)
			t.Fatalf("Add(%v, %v) did not panic although BroadcastShapes failed", Shape(sa), Shape(sb))
		}
		a.SetRequiresGrad(true)
		b.SetRequiresGrad(true)
		sum := a.Add(b)
		if !sum.Shape().Equal(out) {
			t.Fatalf("%v + %v: shape %v, BroadcastShapes %v", Shape(sa), Shape(sb), sum.Shape(), out)
		}
		checkBroadcastValues(t, a, b, sum)
		if sum.Numel() == 0 {
			return
		}
		sum.BackwardWith(Ones(out...))
		// Each input element is used numel(out)/numel(input) times.
		for _, x := range []*Tensor{a, b} {
			g := x.Grad()
			if x.Numel() == 0 {
				continue
			}
			if g == nil || !g.Shape().Equal(x.Shape()) {
				t.Fatalf("gradient of %v is %v", x.Shape(), g)
			}
			want := float32(sum.Numel() / x.Numel())
			for _, v := range g.Data() {
				if v != want {
					t.Fatalf("%v + %v: gradient of %v holds %v, want %v", Shape(sa), Shape(sb), x.Shape(), v, want)
				}
			}
		}
	})
}

// FuzzReshape checks Reshape against the element count: valid shapes keep
// every value in order, invalid ones panic naming the shape.
func FuzzReshape(f *testing.F) {
	f.Add([]byte{2, 3, 4}, []byte{2, 4, 3}, uint8(0))
	f.Add([]byte{2, 3, 4}, []byte{1, 12}, uint8(1))
	f.Add([]byte{1, 0}, []byte{2, 0, 3}, uint8(2))
	f.Fuzz(func(t *testing.T, bs, bn []byte, infer uint8) {
		s, ns := shapeFrom(bs), shapeFrom(bn)
		x := randT(3, s...)
		want := Shape(ns).Numel() == x.Numel()
		if len(ns) > 0 && int(infer) < len(ns) {
			known := 1
			for i, d := range ns {
				if i != int(infer) {
					known *= d
				}
			}
			want = known != 0 && x.Numel()%known == 0
			ns[infer] = -1
		}
		defer func() {
			if r := recover(); r != nil {
				var se *ShapeError
				if want || !errors.As(asError(r), &se) || se.Op != "reshape" {
					t.Fatalf("Reshape(%v) of %v panicked: %v", ns, x.Shape(), r)
				}
			}
		}()
		y := x.Reshape(ns...)
		if !want {
			t.Fatalf("Reshape(%v) of %v succeeded with shape %v", ns, x.Shape(), y.Shape())
		}
		if y.Numel() != x.Numel() || y.Shape().Numel() != x.Numel() {
			t.Fatalf("Reshape(%v) of %v: %v", ns, x.Shape(), y.Shape())
		}
		for i := range y.data {
			if y.data[i] != x.data[i] {
				t.Fatal("Reshape changed the values")
			}
		}
	})
}
