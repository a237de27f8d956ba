package data

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unsafe"
)

// The first load reads the file into memory the kernel backs with huge
// pages (where THP is not switched off); the bytes are the file's.
func TestReadHugeUsesHugePages(t *testing.T) {
	const size = 16 << 20
	want := make([]byte, size)
	for i := range want {
		want[i] = byte(i * 7 / 5)
	}
	path := filepath.Join(t.TempDir(), "pixels.bin")
	if err := os.WriteFile(path, want, 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b, err := readHuge(f, size)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b, want) {
		t.Fatal("readHuge returned other bytes than the file's")
	}
	thp, err := os.ReadFile("/sys/kernel/mm/transparent_hugepage/enabled")
	if err != nil || strings.Contains(string(thp), "[never]") {
		t.Skipf("transparent huge pages are off here (%q, %v): nothing more to check", thp, err)
	}
	if _, kb := mappingOf(t, b); kb < 2048 {
		t.Errorf("the memory holds %d KB of huge pages, want at least one 2 MB page (THP: %s)", kb, strings.TrimSpace(string(thp)))
	}
}

// mappingOf returns the /proc/self/smaps header line of the mapping that
// holds b (it ends with the file's path for a file mapping) and its
// AnonHugePages in KB.
func mappingOf(t *testing.T, b []byte) (header string, anonHugeKB int) {
	addr := uintptr(unsafe.Pointer(&b[0]))
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

// Only the first load of a process gets its own copy; later ones map the
// file, so repeated loads do not pile up private copies.
func TestLoadFileCopiesOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.bin")
	if err := os.WriteFile(path, []byte("0123456789"), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	defer hugeLoaded.Store(hugeLoaded.Load())
	hugeLoaded.Store(false)
	for i, wantFile := range []bool{false, true} {
		b, err := loadFile(f, 10)
		if err != nil || string(b) != "0123456789" {
			t.Fatalf("load %d: %q, %v", i, b, err)
		}
		if header, _ := mappingOf(t, b); strings.HasSuffix(header, path) != wantFile {
			t.Errorf("load %d is in mapping %q; want a mapping of the file: %v", i, header, wantFile)
		}
	}
}
