package data

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"unsafe"

	"github.com/fastgo/fastgo/pkg/tensor"
)

// mapTestFloats writes n float32 values i*0.5 to a file and maps it as
// readCache does.
func mapTestFloats(t *testing.T, n int) (path string, x []float32) {
	t.Helper()
	b := make([]byte, 4*n)
	for i := range n {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(float32(i)*0.5))
	}
	path = filepath.Join(t.TempDir(), "floats.bin")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m, err := mapFile(f, len(b))
	if err != nil {
		t.Fatal(err)
	}
	return path, unsafe.Slice((*float32)(unsafe.Pointer(&m[0])), n)
}

// The first gather from a registered mapping moves the source's whole pages
// to huge pages at the same address; the values, including ones written
// through the mapping before, do not change, and memory outside the source
// stays mapped from the file.
func TestGatherMovesMappedDataToHugePages(t *testing.T) {
	const n = 6 << 20 // 24 MB of floats
	path, x := mapTestFloats(t, n)
	x[123457] = -1 // a private write before the move must survive it
	registerForHugePages(x)
	src := x[1000 : n-1000]
	addr := &src[0]

	rows := tensor.New(src[:len(src)/784*784], len(src)/784, 784)
	got := rows.IndexSelect(tensor.FromInts([]int{0, 150, 7}, 3))
	for k, r := range []int{0, 150, 7} {
		for j := range 784 {
			want := float32(1000+r*784+j) * 0.5
			if 1000+r*784+j == 123457 {
				want = -1
			}
			if v := got.Data()[k*784+j]; v != want {
				t.Fatalf("gathered row %d, column %d: %v, want %v", r, j, v, want)
			}
		}
	}
	if &src[0] != addr {
		t.Fatal("the data moved")
	}
	for i, v := range x {
		want := float32(i) * 0.5
		if i == 123457 {
			want = -1
		}
		if v != want {
			t.Fatalf("x[%d] = %v after the move, want %v", i, v, want)
		}
	}
	header, kb := mappingOf(t, unsafe.Pointer(&x[n/2]))
	if strings.HasSuffix(header, path) {
		t.Errorf("the middle of the source is still mapped from the file: %s", header)
	}
	if thp, err := os.ReadFile("/sys/kernel/mm/transparent_hugepage/enabled"); err == nil && !strings.Contains(string(thp), "[never]") && kb < 2048 {
		t.Errorf("the moved memory holds %d KB of huge pages, want at least one 2 MB page", kb)
	}
	if header, _ := mappingOf(t, unsafe.Pointer(&x[0])); !strings.HasSuffix(header, path) {
		t.Errorf("the page before the source left the file mapping: %s", header)
	}
	promoteGatherSource(src) // moved already: nothing to do
	if x[123457] != -1 || x[n-1] != float32(n-1)*0.5 {
		t.Error("a second promotion changed the values")
	}
}

// Goroutines gathering from the same mapped data while it moves all read
// the same values.
func TestConcurrentGathersDuringMove(t *testing.T) {
	const n = 4 << 20
	_, x := mapTestFloats(t, n)
	registerForHugePages(x)
	all := tensor.New(x[:n/1024*1024], n/1024, 1024)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for r := g; r < n/1024; r += 97 {
				row := all.IndexSelect(tensor.FromInts([]int{r}, 1)).Data()
				if row[0] != float32(r*1024)*0.5 || row[1023] != float32(r*1024+1023)*0.5 {
					t.Errorf("row %d reads %v ... %v", r, row[0], row[1023])
					return
				}
			}
		})
	}
	wg.Wait()
}

// mappingOf returns the /proc/self/smaps header line of the mapping that
// holds p (it ends with the file's path for a file mapping) and its
// AnonHugePages in KB.
func mappingOf(t *testing.T, p unsafe.Pointer) (header string, anonHugeKB int) {
	t.Helper()
	addr := uintptr(p)
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		t.Skip(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		var lo, hi uintptr
		if n, _ := fmt.Sscanf(line, "%x-%x ", &lo, &hi); n == 2 {
			header = ""
			if lo <= addr && addr < hi {
				header = line
			}
			continue
		}
		if header != "" && strings.HasPrefix(line, "AnonHugePages:") {
			fmt.Sscanf(strings.TrimPrefix(line, "AnonHugePages:"), "%d", &anonHugeKB)
			return header, anonHugeKB
		}
	}
	t.Fatalf("no mapping of %#x in /proc/self/smaps", addr)
	return "", 0
}
