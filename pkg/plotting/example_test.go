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
