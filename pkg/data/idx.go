package data

import (
	"bufio"
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
	s, err := openIDX(path)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	data, err := s.readAll()
	if err != nil {
		return nil, err
	}
	return &IDX{Dims: s.dims, Data: data}, nil
}

// ReadIDX decodes an IDX stream, gzip-compressed (detected by the gzip magic
// bytes 1f 8b) or raw. The error wraps one of the Err* values of this package;
// name is put in front of it so the message says which file is at fault.
func ReadIDX(r io.Reader, name string) (*IDX, error) {
	s, err := newIDXStream(r, name, -1)
	if err != nil {
		return nil, err
	}
	data, err := s.readAll()
	if err != nil {
		return nil, err
	}
	return &IDX{Dims: s.dims, Data: data}, nil
}

// idxStream is an IDX file whose header has been read and checked; its data
// can be read all at once (readAll) or streamed (read, then finish).
type idxStream struct {
	name  string
	dims  []int
	total int       // data bytes the header announces
	bound int64     // at most this many data bytes can follow (-1: unknown)
	r     io.Reader // the data (decompressed)
	zr    *gzip.Reader
	file  *os.File
}

// openIDX opens path and reads its header.
func openIDX(path string) (*idxStream, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	bound := int64(-1)
	if st, err := f.Stat(); err == nil && st.Mode().IsRegular() {
		bound = st.Size()
	}
	s, err := newIDXStream(f, path, bound)
	if err != nil {
		f.Close()
		return nil, err
	}
	s.file = f
	return s, nil
}

// maxDeflateRatio bounds how much data deflate can expand to (1032:1), so a
// gzip file's size bounds what it may hold.
const maxDeflateRatio = 1032

// newIDXStream reads the header from r; size is r's length when known, else -1.
func newIDXStream(r io.Reader, name string, size int64) (*idxStream, error) {
	s := &idxStream{name: name, bound: size}
	br := bufio.NewReaderSize(r, 1<<16)
	s.r = br
	if head, _ := br.Peek(2); len(head) == 2 && head[0] == 0x1f && head[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, s.wrap(gzipErr(err))
		}
		// Only the first member: the MNIST files are single-member streams,
		// and this makes bytes after the member trailing data, not a new header.
		zr.Multistream(false)
		s.r, s.zr = zr, zr
		if size >= 0 {
			s.bound = size * maxDeflateRatio
		}
	}
	dims, total, err := readIDXHeader(s.r)
	if err != nil {
		return nil, s.wrap(err)
	}
	s.dims, s.total = dims, total
	if s.bound >= 0 {
		s.bound -= int64(4 + 4*len(dims))
		if s.zr == nil && int64(total) > s.bound {
			return nil, s.wrap(fmt.Errorf("%w: header %v announces %d data bytes, found %d", ErrTruncated, dims, total, max(0, s.bound)))
		}
	}
	return s, nil
}

// wrap names the file in err and maps gzip's errors onto ours.
func (s *idxStream) wrap(err error) error {
	if s.zr != nil {
		err = gzipErr(err)
	}
	return fmt.Errorf("%s: %w", s.name, err)
}

// read fills p with the next data bytes; running out is ErrTruncated.
func (s *idxStream) read(p []byte, done int) error {
	n, err := io.ReadFull(s.r, p)
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return s.wrap(fmt.Errorf("%w: header %v announces %d data bytes, found %d", ErrTruncated, s.dims, s.total, done+n))
	}
	if err != nil {
		return s.wrap(err)
	}
	return nil
}

// finish checks that the data ends where the header says and, for gzip,
// that the stream's CRC-32 and length are right.
func (s *idxStream) finish() error {
	var one [1]byte
	n, err := io.ReadFull(s.r, one[:])
	if n != 0 {
		return s.wrap(fmt.Errorf("%w: header %v announces %d data bytes", ErrTrailingData, s.dims, s.total))
	}
	if err != nil && !errors.Is(err, io.EOF) {
		return s.wrap(err)
	}
	return nil
}

// readAll reads all the data and finishes. The buffer is allocated once when
// the file's size bounds the data, else it grows as data arrives, so a short
// file claiming 200 MB never costs 200 MB.
func (s *idxStream) readAll() ([]byte, error) {
	capHint := min(s.total, 1<<22)
	if s.bound >= 0 {
		capHint = int(min(int64(s.total), max(0, s.bound)))
	}
	buf := make([]byte, 0, capHint)
	for len(buf) < s.total {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)] // grow
		}
		chunk := buf[len(buf):min(cap(buf), s.total)]
		if err := s.read(chunk, len(buf)); err != nil {
			return nil, err
		}
		buf = buf[:len(buf)+len(chunk)]
	}
	if err := s.finish(); err != nil {
		return nil, err
	}
	return buf, nil
}

// Close closes the file under the stream, if any.
func (s *idxStream) Close() error {
	if s.file != nil {
		return s.file.Close()
	}
	return nil
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

// readIDXHeader reads and checks the magic number and the dimensions.
func readIDXHeader(r io.Reader) (dims []int, total int, err error) {
	var magic [4]byte
	if n, err := io.ReadFull(r, magic[:]); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, 0, fmt.Errorf("%w: %d of 4 header bytes", ErrTruncated, n)
		}
		return nil, 0, err
	}
	if magic[0] != 0 || magic[1] != 0 {
		return nil, 0, fmt.Errorf("%w: starts with % x, want 00 00", ErrBadMagic, magic[:2])
	}
	if magic[2] != idxTypeUByte {
		return nil, 0, fmt.Errorf("%w: 0x%02x (only 0x08, unsigned byte, is supported)", ErrUnsupportedType, magic[2])
	}
	nd := int(magic[3])
	if nd == 0 || nd > maxIDXDims {
		return nil, 0, fmt.Errorf("%w: %d dimensions (want 1 to %d)", ErrBadHeader, nd, maxIDXDims)
	}
	raw := make([]byte, 4*nd)
	if n, err := io.ReadFull(r, raw); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, 0, fmt.Errorf("%w: %d of %d dimension bytes", ErrTruncated, n, len(raw))
		}
		return nil, 0, err
	}
	dims = make([]int, nd)
	total = 1
	for i := range dims {
		d := int(binary.BigEndian.Uint32(raw[4*i:]))
		if d == 0 {
			return nil, 0, fmt.Errorf("%w: dimension %d is 0", ErrBadHeader, i)
		}
		dims[i] = d
		// Checked at every step so the product can never overflow.
		if d > MaxIDXElements || total > MaxIDXElements/d {
			return nil, 0, fmt.Errorf("%w: dimensions %v exceed %d elements", ErrTooLarge, dims[:i+1], MaxIDXElements)
		}
		total *= d
	}
	return dims, total, nil
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
