package tensor

import (
	"fmt"
	"strings"
	"testing"
)

func TestGradAvgPool2d(t *testing.T) {
	for i, c := range []struct {
		shape []int
		k, s  int
	}{
		{[]int{1, 1, 4, 4}, 2, 2},
		{[]int{2, 3, 7, 5}, 3, 2}, // odd sizes, windows that leave the last column out
		{[]int{2, 2, 5, 5}, 3, 1}, // overlapping windows
		{[]int{1, 4, 3, 3}, 3, 3}, // one window per plane
	} {
		gradCheck(t, fmt.Sprintf("avg_pool2d %v k%d s%d", c.shape, c.k, c.s), func(in []*Tensor) *Tensor {
			return AvgPool2d(in[0], c.k, c.s)
		}, randT(uint64(i+1), c.shape...))
	}
}

func TestGradAdaptiveAvgPool2d(t *testing.T) {
	for i, c := range []struct {
		shape  []int
		oh, ow int
	}{
		{[]int{2, 3, 5, 5}, 1, 1}, // lesson 9's pooling before the head
		{[]int{1, 2, 7, 5}, 3, 2}, // bins of unequal size, overlapping
		{[]int{2, 1, 2, 3}, 4, 5}, // more outputs than inputs
		{[]int{3, 4, 1, 1}, 1, 1},
	} {
		gradCheck(t, fmt.Sprintf("adaptive_avg_pool2d %v to %dx%d", c.shape, c.oh, c.ow), func(in []*Tensor) *Tensor {
			return AdaptiveAvgPool2d(in[0], c.oh, c.ow)
		}, randT(uint64(i+1), c.shape...))
	}
}

func TestAdaptiveAvgPool2dIsChannelMean(t *testing.T) {
	x := randT(5, 4, 3, 6, 7)
	want := x.Reshape(4, 3, 42).MeanDim(2, true).Reshape(4, 3, 1, 1)
	assertClose(t, "adaptive 1x1", AdaptiveAvgPool2d(x, 1, 1), want, 1e-6)
}

func TestPoolShapeErrors(t *testing.T) {
	for _, c := range []struct {
		f    func()
		want string
	}{
		{func() { AvgPool2d(Zeros(2, 3, 4), 2, 2) }, "avg_pool2d: input [2 3 4] is not a 4-D batch"},
		{func() { AvgPool2d(Zeros(1, 1, 4, 4), 5, 1) }, "avg_pool2d: kernel 5, stride 1 do not fit input [1 1 4 4]"},
		{func() { AdaptiveAvgPool2d(Zeros(1, 1, 4, 4), 0, 1) }, "adaptive_avg_pool2d: output size 0x1 must be positive"},
		{func() { AdaptiveAvgPool2d(Zeros(1, 1, 0, 4), 1, 1) }, "adaptive_avg_pool2d: input [1 1 0 4] is not a 4-D batch"},
	} {
		if err := catchShapeError(c.f); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("error %v, want one containing %q", err, c.want)
		}
	}
}
