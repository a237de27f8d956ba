package data

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
)

// Errors of the IDX parser. Every error returned by ReadIDX and ReadIDXFile
// wraps exactly one of them (test with errors.Is) and names the file.
var (
	// ErrBadMagic: the first two bytes of the IDX header are not zero.
	ErrBadMagic = errors.New("not an IDX file (bad magic number)")
	// ErrUnsupportedType: an element type other than unsigned byte (0x08).
	ErrUnsupportedType = errors.New("unsupported IDX element type")
	// ErrBadHeader: zero dimensions, or a dimension of size zero.
	ErrBadHeader = errors.New("bad IDX header")
	// ErrTooLarge: the header claims more elements than MaxIDXElements.
	ErrTooLarge = errors.New("IDX file claims an absurd size")
	// ErrTruncated: the file ends before the header or the data is complete.
	ErrTruncated = errors.New("IDX file is truncated")
	// ErrTrailingData: there are bytes after the data the header announces.
	ErrTrailingData = errors.New("IDX file has more data than its header says")
	// ErrCorruptGzip: the gzip stream is damaged (bad header or CRC).
	ErrCorruptGzip = errors.New("corrupt gzip stream")
)

// MaxIDXElements bounds the element count an IDX header may claim (256 Mi
// elements, 5.7 times MNIST's training images). It is checked before any
// allocation, so a damaged header is an error, not an out-of-memory crash.
const MaxIDXElements = 1 << 28

// idxTypeUByte is the IDX type code of unsigned bytes, the only one MNIST uses.
const idxTypeUByte = 0x08

// maxIDXDims bounds the dimension count (a uint8 in the format) to what the
// MNIST-like files use; more than 4 dimensions is no data set of ours.
const maxIDXDims = 4

// IDX is a decoded IDX file of unsigned bytes: Data holds the elements in
// row-major order, len(Data) == product of Dims.
type IDX struct {
	Dims []int
	Data []uint8
}

// Count is the size of the first dimension (the number of images or labels).
func (x *IDX) Count() int { return x.Dims[0] }

// ItemSize is the number of elements of one item (rows*cols for images, 1 for labels).
func (x *IDX) ItemSize() int {
	n := 1
	for _, d := range x.Dims[1:] {
		n *= d
	}
	return n
}

// ReadIDXFile reads and decodes the IDX file at path, gzip-compressed or not.
// Errors name the file.
func ReadIDXFile(path string) (*IDX, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	x, err := readIDX(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return x, nil
}

// ReadIDX decodes an IDX stream, gzip-compressed (detected by the gzip magic
// bytes 1f 8b) or raw. The error wraps one of the Err* values of this package;
// name is put in front of it so the message says which file is at fault.
func ReadIDX(r io.Reader, name string) (*IDX, error) {
	x, err := readIDX(r)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return x, nil
}

func readIDX(r io.Reader) (*IDX, error) {
	br := bufio.NewReaderSize(r, 1<<16)
	if head, _ := br.Peek(2); len(head) == 2 && head[0] == 0x1f && head[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, gzipErr(err)
		}
		// Only the first member: the MNIST files are single-member streams,
		// and this makes bytes after the member trailing data, not a new header.
		zr.Multistream(false)
		x, err := decodeIDX(zr)
		if err != nil {
			return nil, gzipErr(err)
		}
		// Reading to EOF makes the gzip reader verify its CRC-32 and length.
		if _, err := io.Copy(io.Discard, zr); err != nil {
			return nil, gzipErr(err)
		}
		return x, nil
	}
	return decodeIDX(br)
}

// gzipErr maps the gzip package's errors onto ours.
func gzipErr(err error) error {
	switch {
	case errors.Is(err, gzip.ErrChecksum), errors.Is(err, gzip.ErrHeader):
		return fmt.Errorf("%w: %v", ErrCorruptGzip, err)
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return fmt.Errorf("%w: the gzip stream ends early", ErrTruncated)
	}
	return err
}

// decodeIDX parses the header, checks it, then reads exactly the announced data.
func decodeIDX(r io.Reader) (*IDX, error) {
	var magic [4]byte
	if n, err := io.ReadFull(r, magic[:]); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, fmt.Errorf("%w: %d of 4 header bytes", ErrTruncated, n)
		}
		return nil, err
	}
	if magic[0] != 0 || magic[1] != 0 {
		return nil, fmt.Errorf("%w: starts with % x, want 00 00", ErrBadMagic, magic[:2])
	}
	if magic[2] != idxTypeUByte {
		return nil, fmt.Errorf("%w: 0x%02x (only 0x08, unsigned byte, is supported)", ErrUnsupportedType, magic[2])
	}
	nd := int(magic[3])
	if nd == 0 || nd > maxIDXDims {
		return nil, fmt.Errorf("%w: %d dimensions (want 1 to %d)", ErrBadHeader, nd, maxIDXDims)
	}
	raw := make([]byte, 4*nd)
	if n, err := io.ReadFull(r, raw); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, fmt.Errorf("%w: %d of %d dimension bytes", ErrTruncated, n, len(raw))
		}
		return nil, err
	}
	dims := make([]int, nd)
	total := 1
	for i := range dims {
		d := int(binary.BigEndian.Uint32(raw[4*i:]))
		if d == 0 {
			return nil, fmt.Errorf("%w: dimension %d is 0", ErrBadHeader, i)
		}
		dims[i] = d
		// Checked at every step so the product can never overflow.
		if d > MaxIDXElements || total > MaxIDXElements/d {
			return nil, fmt.Errorf("%w: dimensions %v exceed %d elements", ErrTooLarge, dims[:i+1], MaxIDXElements)
		}
		total *= d
	}
	// Grow the buffer as data arrives instead of trusting the header with one
	// big allocation: a short file claiming 200 MB costs what it holds.
	buf := bytes.NewBuffer(make([]byte, 0, min(total, 1<<22)))
	got, err := io.CopyN(buf, r, int64(total))
	if err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, fmt.Errorf("%w: header %v announces %d data bytes, found %d", ErrTruncated, dims, total, got)
		}
		return nil, err
	}
	var one [1]byte
	if n, _ := io.ReadFull(r, one[:]); n != 0 {
		return nil, fmt.Errorf("%w: header %v announces %d data bytes", ErrTrailingData, dims, total)
	}
	return &IDX{Dims: dims, Data: buf.Bytes()}, nil
}

// EncodeIDX writes data as an uncompressed IDX file of unsigned bytes with
// the given dimensions. It is the inverse of ReadIDX (used by tests and to
// write small data sets); len(data) must equal the product of dims.
func EncodeIDX(w io.Writer, dims []int, data []uint8) error {
	if len(dims) == 0 || len(dims) > maxIDXDims {
		return fmt.Errorf("data: EncodeIDX: %d dimensions (want 1 to %d)", len(dims), maxIDXDims)
	}
	n := 1
	for _, d := range dims {
		n *= d
	}
	if n != len(data) {
		return fmt.Errorf("data: EncodeIDX: dimensions %v hold %d bytes, data has %d", dims, n, len(data))
	}
	head := make([]byte, 4+4*len(dims))
	head[2], head[3] = idxTypeUByte, byte(len(dims))
	for i, d := range dims {
		binary.BigEndian.PutUint32(head[4+4*i:], uint32(d))
	}
	if _, err := w.Write(head); err != nil {
		return err
	}
	_, err := w.Write(data)
	return err
}
