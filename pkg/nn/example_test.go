package nn_test

import (
	"fmt"

	"github.com/fastgo/fastgo/pkg/nn"
	"github.com/fastgo/fastgo/pkg/tensor"
)

// The lesson's model as a Sequential, printed like PyTorch prints it.
func ExampleSequential() {
	rng := tensor.NewRNG(42)
	model := nn.NewSequential(nn.NewLinear(784, 50, rng), nn.ReLU{}, nn.NewLinear(50, 10, rng))
	fmt.Println(model)
	// Output:
	// Sequential(
	//   (0): Linear(in_features=784, out_features=50, bias=True)
	//   (1): ReLU()
	//   (2): Linear(in_features=50, out_features=10, bias=True)
	// )
}

// TwoLayer is a user's model: a struct with a Forward method. Its fields are
// its children, found by reflection in declaration order.
type TwoLayer struct {
	L1, L2 *nn.Linear
}

// Forward applies L1, relu and L2.
func (m *TwoLayer) Forward(x *tensor.Tensor) *tensor.Tensor {
	return m.L2.Forward(m.L1.Forward(x).Relu())
}

// A struct's exported fields are its children and parameters: no
// registration code, the Go counterpart of nn.Module.__setattr__.
func ExampleNamedChildren() {
	rng := tensor.NewRNG(42)
	model := &TwoLayer{L1: nn.NewLinear(784, 50, rng), L2: nn.NewLinear(50, 10, rng)}
	for _, c := range nn.NamedChildren(model) {
		fmt.Printf("%s: %v\n", c.Name, c.Module)
	}
	fmt.Println(nn.Repr(model))
	for _, p := range nn.NamedParameters(model) {
		fmt.Println(p.Name, p.Param.Shape())
	}
	// Output:
	// L1: Linear(in_features=784, out_features=50, bias=True)
	// L2: Linear(in_features=50, out_features=10, bias=True)
	// TwoLayer(
	//   (L1): Linear(in_features=784, out_features=50, bias=True)
	//   (L2): Linear(in_features=50, out_features=10, bias=True)
	// )
	// L1.Weight [50 784]
	// L1.Bias [50]
	// L2.Weight [10 50]
	// L2.Bias [10]
}

// Cross entropy of two rows of logits against their labels, fused and
// checked against its unfused definition.
func ExampleCrossEntropy() {
	logits := tensor.New([]float32{
		2, 1, 0.1,
		0, 3, 0,
	}, 2, 3)
	target := tensor.FromInts([]int{0, 1}, 2)
	fmt.Printf("%.4f\n", nn.CrossEntropy(logits, target).Item())
	fmt.Printf("%.4f\n", nn.NLL(nn.LogSoftmax(logits), target).Item())
	fmt.Println(nn.Accuracy(logits, target))
	// Output:
	// 0.2560
	// 0.2560
	// 1
}

// The lesson's training step with the library's SGD; a scheduler would set
// hyper-parameters by name through ParamGroups.
func ExampleSGD() {
	rng := tensor.NewRNG(0)
	model := nn.NewSequential(nn.NewLinear(4, 8, rng), nn.ReLU{}, nn.NewLinear(8, 3, rng))
	opt := nn.NewSGD(nn.Parameters(model), 0.5, nn.Momentum(0.9))
	x := tensor.Randn(rng, 16, 4)
	y := tensor.FromInts([]int{0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0}, 16)
	first := nn.CrossEntropy(model.Forward(x), y).Item()
	for range 20 {
		loss := nn.CrossEntropy(model.Forward(x), y)
		loss.Backward()
		opt.Step()
		opt.ZeroGrad()
	}
	last := nn.CrossEntropy(model.Forward(x), y).Item()
	fmt.Println("loss went down:", last < first)
	opt.ParamGroups()[0].SetHyper("lr", 0.1)
	fmt.Println("lr:", opt.ParamGroups()[0].Hyper("lr"))
	// Output:
	// loss went down: true
	// lr: 0.1
}

// Kaiming initialisation for a layer followed by a ReLU (lesson 02b).
func ExampleKaimingNormal() {
	w := nn.KaimingNormal(tensor.Zeros(50, 784), 0, tensor.NewRNG(0))
	fmt.Printf("gain %.4f, target std %.4f, shape %v\n", nn.Gain(0), nn.Gain(0)/28, w.Shape())
	// Output:
	// gain 1.4142, target std 0.0505, shape [50 784]
}

// Layers is a user's model over a list of layers. In PyTorch a plain list
// must be registered (add_module or nn.ModuleList); in Go the exported slice
// field is found by reflection either way, and prints as a ModuleList.
type Layers struct {
	Layers []nn.Module
}

// Forward applies the layers in order.
func (m *Layers) Forward(x *tensor.Tensor) *tensor.Tensor {
	for _, l := range m.Layers {
		x = l.Forward(x)
	}
	return x
}

func ExampleModuleList() {
	rng := tensor.NewRNG(0)
	model := &Layers{[]nn.Module{nn.NewLinear(784, 50, rng), nn.ReLU{}, nn.NewLinear(50, 10, rng)}}
	fmt.Println(nn.Repr(model))
	fmt.Println(len(nn.Parameters(model)), "parameters")
	// Output:
	// Layers(
	//   (Layers): ModuleList(
	//     (0): Linear(in_features=784, out_features=50, bias=True)
	//     (1): ReLU()
	//     (2): Linear(in_features=50, out_features=10, bias=True)
	//   )
	// )
	// 4 parameters
}

// Train switches a whole model between training and evaluation mode, as
// PyTorch's model.train() and model.eval().
func ExampleTrain() {
	model := nn.NewSequential(nn.NewLinear(2, 2, nil), nn.ReLU{})
	nn.Train(model, false)
	fmt.Println(nn.Training(model), model.Layers[0].(*nn.Linear).IsTraining())
	nn.Train(model, true)
	fmt.Println(nn.Training(model))
	// Output:
	// false false
	// true
}
