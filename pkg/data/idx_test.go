package data

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// idxBytes builds a raw IDX file of unsigned bytes by hand (independently of EncodeIDX).
func idxBytes(dims []uint32, data []byte) []byte {
	b := []byte{0, 0, 0x08, byte(len(dims))}
	for _, d := range dims {
		b = binary.BigEndian.AppendUint32(b, d)
	}
	return append(b, data...)
}

func gzipBytes(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func seq(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i * 37)
	}
	return b
}

func TestReadIDXGood(t *testing.T) {
	images := idxBytes([]uint32{3, 2, 4}, seq(24))
	labels := idxBytes([]uint32{5}, []byte{5, 0, 4, 1, 9})
	for _, tc := range []struct {
		name     string
		in       []byte
		dims     []int
		data     []byte
		itemSize int
	}{
		{"images raw", images, []int{3, 2, 4}, seq(24), 8},
		{"images gzip", gzipBytes(t, images), []int{3, 2, 4}, seq(24), 8},
		{"labels raw", labels, []int{5}, []byte{5, 0, 4, 1, 9}, 1},
		{"labels gzip", gzipBytes(t, labels), []int{5}, []byte{5, 0, 4, 1, 9}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			x, err := ReadIDX(bytes.NewReader(tc.in), tc.name)
			if err != nil {
				t.Fatal(err)
			}
			if !equalInts(x.Dims, tc.dims) || !bytes.Equal(x.Data, tc.data) {
				t.Fatalf("got dims %v data %v, want %v %v", x.Dims, x.Data, tc.dims, tc.data)
			}
			if x.Count() != tc.dims[0] || x.ItemSize() != tc.itemSize {
				t.Fatalf("Count %d ItemSize %d, want %d %d", x.Count(), x.ItemSize(), tc.dims[0], tc.itemSize)
			}
		})
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// Each corruption gives its own error, and the message names the file.
func TestReadIDXCorrupt(t *testing.T) {
	good := idxBytes([]uint32{2, 3, 3}, seq(18))
	gz := gzipBytes(t, good)
	badCRC := bytes.Clone(gz)
	badCRC[len(badCRC)-8] ^= 0xff // the CRC-32 in the gzip trailer
	for _, tc := range []struct {
		name string
		in   []byte
		want error
		msg  string
	}{
		{"empty", nil, ErrTruncated, "0 of 4 header bytes"},
		{"bad magic", append([]byte{0x50, 0x4b}, good[2:]...), ErrBadMagic, "50 4b"},
		{"float type", append([]byte{0, 0, 0x0d}, good[3:]...), ErrUnsupportedType, "0x0d"},
		{"no dims", []byte{0, 0, 8, 0}, ErrBadHeader, "0 dimensions"},
		{"zero dim", idxBytes([]uint32{2, 0, 3}, nil), ErrBadHeader, "dimension 1 is 0"},
		{"header cut", good[:9], ErrTruncated, "5 of 12 dimension bytes"},
		{"data cut", good[:len(good)-1], ErrTruncated, "announces 18 data bytes, found 17"},
		{"wrong count", idxBytes([]uint32{3, 3, 3}, seq(18)), ErrTruncated, "found 18"},
		{"trailing", append(bytes.Clone(good), 7), ErrTrailingData, "18 data bytes"},
		{"2^31 images", idxBytes([]uint32{1 << 31, 28, 28}, nil), ErrTooLarge, "[2147483648]"},
		{"huge product", idxBytes([]uint32{1 << 15, 1 << 15}, nil), ErrTooLarge, "exceed"},
		{"gzip cut", gz[:len(gz)/2], ErrTruncated, "truncated"},
		{"gzip crc", badCRC, ErrCorruptGzip, "checksum"},
		{"gzip header", append([]byte{0x1f, 0x8b, 99}, gz[3:]...), ErrCorruptGzip, "header"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			x, err := ReadIDX(bytes.NewReader(tc.in), "bad-"+tc.name+".idx")
			if err == nil {
				t.Fatalf("no error, got dims %v", x.Dims)
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("error %q does not wrap %q", err, tc.want)
			}
			for _, s := range []string{"bad-" + tc.name + ".idx", tc.msg} {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not contain %q", err, s)
				}
			}
		})
	}
}

func TestReadIDXFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "labels.gz")
	if err := os.WriteFile(path, gzipBytes(t, idxBytes([]uint32{2}, []byte{3, 4})), 0o644); err != nil {
		t.Fatal(err)
	}
	x, err := ReadIDXFile(path)
	if err != nil || !bytes.Equal(x.Data, []byte{3, 4}) {
		t.Fatalf("ReadIDXFile: %v, %v", x, err)
	}
	cut := filepath.Join(dir, "cut.idx")
	if err := os.WriteFile(cut, idxBytes([]uint32{4}, []byte{1}), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadIDXFile(cut); !errors.Is(err, ErrTruncated) || !strings.Contains(err.Error(), cut) {
		t.Fatalf("want a truncation error naming %s, got %v", cut, err)
	}
	if _, err := ReadIDXFile(filepath.Join(dir, "missing")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("want not-exist, got %v", err)
	}
}

func TestEncodeIDXRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	if err := EncodeIDX(&buf, []int{2, 2, 3}, seq(12)); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), idxBytes([]uint32{2, 2, 3}, seq(12))) {
		t.Fatalf("EncodeIDX wrote % x", buf.Bytes())
	}
	if err := EncodeIDX(&buf, []int{2, 2}, seq(3)); err == nil {
		t.Fatal("EncodeIDX accepted 3 bytes for dims [2 2]")
	}
}

// FuzzParseIDX: whatever the input, the parser returns an error or a result
// whose data length matches its dimensions, and it never panics.
func FuzzParseIDX(f *testing.F) {
	f.Add(idxBytes([]uint32{2, 2, 2}, seq(8)))
	f.Add(idxBytes([]uint32{3}, []byte{1, 2, 3}))
	f.Add(gzipBytes(f, idxBytes([]uint32{1, 4}, seq(4))))
	f.Add([]byte{0, 0, 8, 3, 0x80, 0, 0, 0, 0, 0, 0, 28, 0, 0, 0, 28})
	f.Fuzz(func(t *testing.T, in []byte) {
		x, err := ReadIDX(bytes.NewReader(in), "fuzz")
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz: ") {
				t.Fatalf("error does not name the input: %v", err)
			}
			return
		}
		n := 1
		for _, d := range x.Dims {
			if d <= 0 {
				t.Fatalf("dims %v", x.Dims)
			}
			n *= d
		}
		if n != len(x.Data) {
			t.Fatalf("dims %v but %d bytes", x.Dims, len(x.Data))
		}
		// A raw file that parses must re-encode to itself.
		if len(in) > 0 && in[0] == 0 {
			var buf bytes.Buffer
			if err := EncodeIDX(&buf, x.Dims, x.Data); err != nil || !bytes.Equal(buf.Bytes(), in) {
				t.Fatalf("re-encoding differs: %v", err)
			}
		}
	})
}
