package data

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/fastgo/fastgo/pkg/tensor"
)

// pass collects one pass of s, copying each batch.
func pass(s *Sampler) [][]int {
	var out [][]int
	for b := range s.All() {
		out = append(out, slices.Clone(b))
	}
	return out
}

func TestSamplerPassIsPermutation(t *testing.T) {
	for _, tc := range []struct{ n, bs int }{{10, 3}, {64, 64}, {65, 64}, {1000, 7}, {1, 5}, {0, 4}} {
		for _, shuffle := range []bool{false, true} {
			t.Run(fmt.Sprintf("n%d_bs%d_shuffle%v", tc.n, tc.bs, shuffle), func(t *testing.T) {
				s := NewSampler(tc.n, tc.bs, shuffle, tensor.NewRNG(1))
				batches := pass(s)
				if len(batches) != s.Len() {
					t.Fatalf("got %d batches, Len() says %d", len(batches), s.Len())
				}
				all := slices.Concat(batches...)
				slices.Sort(all)
				for i, v := range all {
					if v != i {
						t.Fatalf("pass is not a permutation of 0..%d: sorted indices %v", tc.n-1, all)
					}
				}
				if len(all) != tc.n {
					t.Fatalf("pass has %d indices, want %d", len(all), tc.n)
				}
			})
		}
	}
}

func TestSamplerKeepsShortLastBatch(t *testing.T) {
	got := pass(NewSampler(10, 3, false, nil))
	want := [][]int{{0, 1, 2}, {3, 4, 5}, {6, 7, 8}, {9}}
	if !slices.EqualFunc(got, want, slices.Equal) {
		t.Fatalf("unshuffled 10 items by 3: got %v, want %v", got, want)
	}
	for _, shuffle := range []bool{false, true} {
		b := pass(NewSampler(50000, 64, shuffle, tensor.NewRNG(2)))
		if n := len(b[len(b)-1]); n != 50000%64 {
			t.Errorf("shuffle=%v: last batch has %d items, want %d", shuffle, n, 50000%64)
		}
		for i, bb := range b[:len(b)-1] {
			if len(bb) != 64 {
				t.Fatalf("shuffle=%v: batch %d has %d items, want 64", shuffle, i, len(bb))
			}
		}
	}
}

func TestSamplerPassesDifferWhenShuffling(t *testing.T) {
	s := NewSampler(100, 10, true, tensor.NewRNG(3))
	first, second := pass(s), pass(s)
	if slices.EqualFunc(first, second, slices.Equal) {
		t.Fatalf("two shuffled passes gave the same order %v", first)
	}
	if slices.Equal(slices.Concat(first...), tensor.Arange(100).Ints()) {
		t.Fatalf("shuffled pass is in order")
	}
	u := NewSampler(100, 10, false, tensor.NewRNG(3))
	if a, b := pass(u), pass(u); !slices.EqualFunc(a, b, slices.Equal) {
		t.Fatalf("unshuffled passes differ: %v vs %v", a, b)
	}
}

func TestSamplerSameSeedSameBatches(t *testing.T) {
	a := NewSampler(1000, 64, true, tensor.NewRNG(42))
	b := NewSampler(1000, 64, true, tensor.NewRNG(42))
	for p := range 3 {
		pa, pb := pass(a), pass(b)
		if !slices.EqualFunc(pa, pb, slices.Equal) {
			t.Fatalf("pass %d: same seed gave different batches", p)
		}
	}
	c := NewSampler(1000, 64, true, tensor.NewRNG(43))
	if slices.EqualFunc(pass(NewSampler(1000, 64, true, tensor.NewRNG(42))), pass(c), slices.Equal) {
		t.Fatalf("seeds 42 and 43 gave the same batches")
	}
}

func TestSamplerBreakEarly(t *testing.T) {
	s := NewSampler(10, 3, false, nil)
	var got [][]int
	for b := range s.All() {
		got = append(got, slices.Clone(b))
		if len(got) == 2 {
			break
		}
	}
	if want := [][]int{{0, 1, 2}, {3, 4, 5}}; !slices.EqualFunc(got, want, slices.Equal) {
		t.Fatalf("got %v, want %v", got, want)
	}
}

func TestNewSamplerRejectsBadBatchSize(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("NewSampler(10, 0, ...) did not panic")
		}
	}()
	NewSampler(10, 0, false, nil)
}

func TestSamplerAllRejectsZeroBatchSize(t *testing.T) {
	s := NewSampler(10, 3, false, nil)
	s.BS = 0
	defer func() {
		if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), "batch size 0") {
			t.Fatalf("want a panic naming the batch size, got %v", r)
		}
	}()
	for range s.All() {
	}
}

// A Sampler over 10 items in batches of 3, in order and shuffled: each range
// over All is one pass, and a shuffled pass is a new permutation.
func ExampleSampler_All() {
	fmt.Println(slices.Collect(NewSampler(10, 3, false, nil).All()))
	s := NewSampler(10, 3, true, tensor.NewRNG(5))
	first, second := slices.Collect(s.All()), slices.Collect(s.All())
	fmt.Println(len(first), len(first[3]), fmt.Sprint(first) != fmt.Sprint(second))
	// Output:
	// [[0 1 2] [3 4 5] [6 7 8] [9]]
	// 4 1 true
}

// The batches of a pass are kept without copying: they stay as they were
// after the pass and after later passes, and appending to one does not
// write into the next.
func TestSamplerBatchesStayValid(t *testing.T) {
	s := NewSampler(10, 3, true, tensor.NewRNG(3))
	kept := slices.Collect(s.All())
	want := make([][]int, len(kept))
	for i, b := range kept {
		want[i] = slices.Clone(b)
	}
	_ = pass(s) // a second pass draws a new permutation
	for i, b := range kept {
		if cap(b) != len(b) {
			t.Errorf("batch %d: cap %d, len %d: appending would overwrite the next batch", i, cap(b), len(b))
		}
		_ = append(b, -1)
	}
	if !slices.EqualFunc(kept, want, slices.Equal) {
		t.Fatalf("kept batches changed: got %v, want %v", kept, want)
	}
}
