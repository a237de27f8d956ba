package tensor_test

import (
	"errors"
	"fmt"

	"github.com/fastgo/fastgo/pkg/tensor"
)

// Fit a quadratic to noisy speed measurements by gradient descent, the
// "speed over time of a roller coaster" example of fastbook chapter 4: the
// seven steps (initialise, predict, loss, gradient, step, repeat, stop) in Go.
func Example() {
	rng := tensor.NewRNG(1)
	time := tensor.ArangeF(0, 20, 1)
	// speed = 3·U[0,1) + 0.75·(time-9.5)² + 1
	speed := tensor.Rand(rng, 20).MulScalar(3).
		Add(time.SubScalar(9.5).Pow(2).MulScalar(0.75)).AddScalar(1)

	f := func(t, params *tensor.Tensor) *tensor.Tensor {
		a, b, c := params.Row(0), params.Row(1), params.Row(2)
		return a.Mul(t.Pow(2)).Add(b.Mul(t)).Add(c)
	}
	mse := func(preds, targets *tensor.Tensor) *tensor.Tensor {
		return preds.Sub(targets).Pow(2).Mean()
	}

	// Measuring time in units of 10 s keeps the three gradients on similar
	// scales, so one learning rate suits a, b and c.
	t := time.DivScalar(10)
	params := tensor.Randn(rng, 3).SetRequiresGrad(true)
	const lr = 0.2
	step := func() float32 {
		loss := mse(f(t, params), speed)
		loss.Backward()
		tensor.NoGrad(func() {
			p, g := params.Data(), params.Grad().Data()
			for i := range p {
				p[i] -= lr * g[i]
			}
		})
		params.ZeroGrad()
		return loss.Item()
	}
	for i := 1; i <= 1000; i++ {
		loss := step()
		if i == 1 || i == 10 || i == 100 || i == 1000 {
			fmt.Printf("step %4d: loss %.1f\n", i, loss)
		}
	}
	fmt.Println("a, b, c =", params)
	// Output:
	// step    1: loss 1137.4
	// step   10: loss 493.7
	// step  100: loss 136.1
	// step 1000: loss 0.6
	// a, b, c = tensor([  75.1491, -142.6337,   70.0708], requires_grad=True)
}

// Tensors print like PyTorch's.
func ExampleTensor_String() {
	fmt.Println(tensor.FromInts([]int{5, 0, 4}))
	fmt.Println(tensor.New([]float32{0.1, 2.3026}))
	fmt.Println(tensor.New([]float32{1, 2, 3, 4, 5, 6}, 2, 3).DivScalar(4))
	fmt.Println(tensor.Zeros(64, 10).Shape())
	// Output:
	// tensor([5, 0, 4])
	// tensor([0.1000, 2.3026])
	// tensor([[0.2500, 0.5000, 0.7500],
	//         [1.0000, 1.2500, 1.5000]])
	// [64 10]
}

// Results of recorded ops print and name their backward node as PyTorch's
// grad_fn; GraphInputs walks the graph.
func ExampleTensor_GradFn() {
	w := tensor.New([]float32{1, -2, 3}).SetRequiresGrad(true)
	x := tensor.New([]float32{0.5, 0.5, 0.5})
	loss := w.Mul(x).Relu().Sum()
	fmt.Println(loss)
	for n := loss; n != nil && !n.IsLeaf(); n = n.GraphInputs()[0] {
		fmt.Println(n.GradFn())
	}
	// Output:
	// tensor(2., grad_fn=<SumBackward0>)
	// SumBackward0
	// ReluBackward0
	// MulBackward0
}

// A shape mistake panics with a *ShapeError that names the op and the
// shapes, and hints at the usual fix.
func ExampleShapeError() {
	defer func() {
		var se *tensor.ShapeError
		if err, ok := recover().(error); ok && errors.As(err, &se) {
			fmt.Println(se.Op, se.Shapes)
			fmt.Println(se)
		}
	}()
	x, w := tensor.Zeros(64, 784), tensor.Zeros(50, 784) // w stored [out in], as nn.Linear's
	x.MatMul(w)
	// Output:
	// matmul [[64 784] [50 784]]
	// tensor: matmul: mat1 and mat2 shapes cannot be multiplied (64x784 and 50x784); hint: did you forget a transpose? a.MatMul(b.T()) multiplies [64 784] by [784 50] (a weight stored [out in], as nn.Linear's, needs .T())
}

// After Backward the graph is released: reading values stays fine, a
// second Backward panics unless the first one kept the graph.
func ExampleRetainGraph() {
	w := tensor.New([]float32{2}).SetRequiresGrad(true)
	loss := w.Mul(w).Sum()
	loss.Backward(tensor.RetainGraph())
	loss.Backward()
	fmt.Println(w.Grad(), loss.Item())
	defer func() { fmt.Println(recover() != nil) }()
	loss.Backward() // released by the previous call
	// Output:
	// tensor([8.]) 4
	// true
}
