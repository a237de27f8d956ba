package plotting_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"

	"github.com/fastgo/fastgo/pkg/plotting"
	"github.com/fastgo/fastgo/pkg/tensor"
)

// A digit, as the lesson's plt.imshow(img.view(28, 28)). In a notebook
// Show displays it; here it writes a PNG and returns its path.
func ExampleImShow() {
	img := tensor.Zeros(28, 28)
	for i := 4; i < 24; i++ {
		img.Data()[i*28+14] = 1 // a "1"
	}
	fig := plotting.ImShow(img, plotting.Title("1"))
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	if err := fig.Save(filepath.Join(dir, "one.png")); err != nil {
		log.Fatal(err)
	}
	fmt.Println(fig.Size())
	// Output: 320 320
}

// Several curves with a legend, on a log axis.
func ExamplePlot() {
	train := []float32{2.3, 1.1, 0.6, 0.4, 0.3}
	valid := []float32{2.0, 1.0, 0.7, 0.5, 0.45}
	fig := plotting.Plot(plotting.Line("train", train), plotting.Line("valid", valid),
		plotting.XLabel("epoch"), plotting.YLabel("loss"), plotting.LogY(), plotting.Size(480, 320))
	png, err := fig.PNG()
	fmt.Println(len(png) > 0, err)
	// Output: true <nil>
}

// The lesson's DataFrame view of a digit's pixels, shaded like
// background_gradient('Greys').
func ExampleTable() {
	t := tensor.New([]float32{0, 0.5, 1, 0.25}, 2, 2)
	h := plotting.Table(t, plotting.FontSize(6)).String()
	fmt.Println(strings.Count(h, "<td"), strings.Contains(h, "background-color:#000000"))
	// Output: 4 true
}

// A confusion table headed by class names, and the lesson's
// sm_pred[[0,1,2],[5,0,4]]: the three picked cells outlined in the table of
// predictions.
func ExampleTable_labelsAndHighlight() {
	classes := []string{"T-shirt/top", "Trouser", "Pullover"}
	confusion := tensor.FromInts([]int{50, 1, 2, 0, 60, 3, 4, 5, 70}, 3, 3)
	h := plotting.Table(confusion, plotting.RowLabels(classes), plotting.ColLabels(classes),
		plotting.Title("actual (rows) against predicted")).String()
	fmt.Println(strings.Count(h, ">Trouser</th>"))

	smPred := tensor.Zeros(3, 10)
	h = plotting.Table(smPred, plotting.Highlight([]int{0, 1, 2}, []int{5, 0, 4})).String()
	fmt.Println(strings.Count(h, "outline:"))
	// Output:
	// 2
	// 3
}

// The spread of a layer's activations, as the lesson's plt.hist.
func ExampleHist() {
	acts := tensor.Randn(tensor.NewRNG(0), 64, 50).Relu()
	fig := plotting.Hist(acts, plotting.XLabel("activation"), plotting.Bins(30))
	png, err := fig.PNG()
	fmt.Println(len(png) > 0, err)
	// Output: true <nil>
}

// The backward graph of a small model's loss, with the parameters named as
// nn.NamedParameters names them. In a notebook ShowGraph draws it inline;
// Graph returns the SVG. It needs Graphviz's dot (Debian's graphviz), so
// this example is not run by go test.
func ExampleGraph() {
	rng := tensor.NewRNG(0)
	x := tensor.Randn(rng, 64, 784)
	w := tensor.Randn(rng, 784, 10).SetRequiresGrad(true)
	b := tensor.Zeros(10).SetRequiresGrad(true)
	loss := x.MatMul(w).Add(b).Pow(2).Mean()
	names := map[*tensor.Tensor]string{w: "weight", b: "bias", loss: "loss"}
	svg, err := plotting.Graph(loss, names)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(strings.Contains(string(svg), "MmBackward0"))
	plotting.ShowGraph(loss, names)
}
