package data_test

import (
	"bytes"
	"fmt"
	"log"

	"github.com/fastgo/fastgo/pkg/data"
)

// The lesson's first cell: the course split of MNIST, from the decoded cache
// after the first time.
func ExampleGetData() {
	xTrain, yTrain, xValid, yValid := data.GetData()
	fmt.Println(xTrain.Shape(), yTrain.Shape(), xValid.Shape(), yValid.Shape())
	fmt.Println(yTrain.Ints()[:5])
}

// Every notebook runs on Fashion-MNIST by changing one line.
func ExampleGetDataOf() {
	xTrain, yTrain, _, _ := data.GetDataOf(data.FashionMNIST)
	fmt.Println(xTrain.Shape(), data.FashionMNIST.Classes[yTrain.Ints()[0]])
}

// Load is GetData's error-returning form; a Source's places can be changed,
// here to look in a directory of one's own first.
func ExampleLoad() {
	src := data.MNIST
	src.CacheDir = "/path/to/cache"
	split, err := data.Load(src)
	if err != nil {
		log.Fatal(err) // names the file at fault: missing, damaged, wrong checksum
	}
	fmt.Println(split.XTrain.Shape())
}

func ExampleReadIDX() {
	var buf bytes.Buffer
	if err := data.EncodeIDX(&buf, []int{2, 2, 3}, []byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}); err != nil {
		log.Fatal(err)
	}
	x, err := data.ReadIDX(&buf, "two-images.idx")
	fmt.Println(x.Dims, x.Count(), x.ItemSize(), x.Data[6:], err)

	_, err = data.ReadIDX(bytes.NewReader([]byte{0, 0, 8, 3, 0x80, 0, 0, 0, 0, 0, 0, 28, 0, 0, 0, 28}), "huge.idx")
	fmt.Println(err)
	// Output:
	// [2 2 3] 2 6 [6 7 8 9 10 11] <nil>
	// huge.idx: IDX file claims an absurd size: dimensions [2147483648] exceed 268435456 elements
}
