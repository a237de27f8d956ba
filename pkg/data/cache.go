package data

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"unsafe"
)

// The decoded cache holds a data set's training images as float32 values in
// [0, 1] and their labels, laid out so that loading is one mmap (no decoding,
// no copy): GoNB runs every cell as a new program, and each calls GetData.
//
//	offset 0:     header (cacheHeaderSize bytes, zero-padded, little-endian):
//	              magic "FGDCACHE", version uint32, n, rows, cols uint32,
//	              key [32]byte (see cacheKey)
//	offset 4096:  n*rows*cols float32, little-endian
//	then:         n label bytes
//
// A file whose header, key or size disagrees is ignored and rewritten.
const (
	cacheMagic      = "FGDCACHE"
	cacheVersion    = 1
	cacheHeaderSize = 4096 // one page, so the floats are page-aligned in the mapping
	cacheFileName   = "train-decoded-f32.bin"
)

// errStaleCache marks a decoded cache that must be rebuilt (not a user error).
var errStaleCache = errors.New("stale decoded cache")

// cacheKey identifies what a decoded cache was built from: the format version
// and the digests of the source's training files. New data or a new layout
// changes the key, and the old cache is rebuilt.
func cacheKey(src Source) [32]byte {
	h := sha256.New()
	fmt.Fprintf(h, "fastgo decoded cache v%d\n%s\n", cacheVersion, src.Name)
	for _, i := range []int{TrainImages, TrainLabels} {
		fmt.Fprintf(h, "%s %v\n", src.Files[i].Name, src.Files[i].SHA256)
	}
	var k [32]byte
	copy(k[:], h.Sum(nil))
	return k
}

type cacheHeader struct {
	Magic         [8]byte
	Version       uint32
	N, Rows, Cols uint32
	Key           [32]byte
}

// decoded is a training set ready for tensors: images as float32 in [0, 1].
type decoded struct {
	n, rows, cols int
	images        []float32 // n*rows*cols
	labels        []uint8   // n
}

// littleEndian is whether this machine stores float32 as the cache does, so
// the mapped bytes can be used as floats directly.
var littleEndian = func() bool {
	x := uint16(1)
	return *(*byte)(unsafe.Pointer(&x)) == 1
}()

// readCache maps the decoded cache at path if it is valid for key.
func readCache(path string, key [32]byte) (*decoded, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var h cacheHeader
	if err := binary.Read(f, binary.LittleEndian, &h); err != nil {
		return nil, fmt.Errorf("%w: %s: header: %v", errStaleCache, path, err)
	}
	if string(h.Magic[:]) != cacheMagic || h.Version != cacheVersion || h.Key != key {
		return nil, fmt.Errorf("%w: %s: built from other data or by another version", errStaleCache, path)
	}
	d := &decoded{n: int(h.N), rows: int(h.Rows), cols: int(h.Cols)}
	if d.n <= 0 || d.rows <= 0 || d.cols <= 0 || d.n*d.rows*d.cols > MaxIDXElements {
		return nil, fmt.Errorf("%w: %s: bad sizes %d×%d×%d", errStaleCache, path, d.n, d.rows, d.cols)
	}
	numel := d.n * d.rows * d.cols
	size := cacheHeaderSize + 4*numel + d.n
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if st.Size() != int64(size) {
		return nil, fmt.Errorf("%w: %s: %d bytes, want %d", errStaleCache, path, st.Size(), size)
	}
	if littleEndian {
		b, err := mapFile(f, size)
		if err != nil {
			return nil, fmt.Errorf("data: mapping %s: %w", path, err)
		}
		d.images = unsafe.Slice((*float32)(unsafe.Pointer(&b[cacheHeaderSize])), numel)
		d.labels = b[cacheHeaderSize+4*numel : size : size]
		return d, nil
	}
	b, err := io.ReadAll(f)
	if err != nil {
		return nil, fmt.Errorf("data: reading %s: %w", path, err)
	}
	b = b[cacheHeaderSize-binary.Size(h):] // binary.Read consumed the header fields
	d.images = make([]float32, numel)
	for i := range d.images {
		d.images[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	d.labels = b[4*numel : 4*numel+d.n]
	return d, nil
}

// sourceError marks an error in the data being read (not in writing the
// cache), so the caller reports it instead of falling back.
type sourceError struct{ err error }

func (e *sourceError) Error() string { return e.err.Error() }
func (e *sourceError) Unwrap() error { return e.err }

// buildCache streams the training images of img (header already read and
// checked to be [n rows cols]) into a decoded cache at path: decompress,
// scale to float32 and write, one chunk at a time, so the first load never
// holds the 188 MB of floats in memory; readCache then maps the file.
func buildCache(path string, key [32]byte, img *idxStream, labels []uint8) error {
	n, rows, cols := img.dims[0], img.dims[1], img.dims[2]
	h := cacheHeader{Version: cacheVersion, N: uint32(n), Rows: uint32(rows), Cols: uint32(cols), Key: key}
	copy(h.Magic[:], cacheMagic)
	var head bytes.Buffer
	if err := binary.Write(&head, binary.LittleEndian, &h); err != nil {
		return err
	}
	head.Write(make([]byte, cacheHeaderSize-head.Len()))
	return writeAtomic(path, func(w io.Writer) error {
		if _, err := w.Write(head.Bytes()); err != nil {
			return err
		}
		px := make([]byte, 1<<16)
		out := make([]byte, 4*len(px))
		for done := 0; done < img.total; {
			chunk := px[:min(len(px), img.total-done)]
			if err := img.read(chunk, done); err != nil {
				return &sourceError{err}
			}
			for i, v := range chunk {
				binary.LittleEndian.PutUint32(out[4*i:], pixelBits[v])
			}
			if _, err := w.Write(out[:4*len(chunk)]); err != nil {
				return err
			}
			done += len(chunk)
		}
		if err := img.finish(); err != nil {
			return &sourceError{err}
		}
		_, err := w.Write(labels)
		return err
	})
}

// pixelScale maps a byte to [0, 1] exactly as x/255 in float32.
var pixelScale = func() (t [256]float32) {
	for i := range t {
		t[i] = float32(i) / 255
	}
	return
}()

// pixelBits holds the IEEE-754 bits of pixelScale, for writing the cache.
var pixelBits = func() (t [256]uint32) {
	for i, v := range pixelScale {
		t[i] = math.Float32bits(v)
	}
	return
}()

// toFloat32 scales pixels to [0, 1].
func toFloat32(px []uint8) []float32 {
	out := make([]float32, len(px))
	for i, v := range px {
		out[i] = pixelScale[v]
	}
	return out
}
