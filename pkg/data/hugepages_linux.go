package data

import (
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/fastgo/fastgo/internal/gatherhint"
)

// Huge pages for mapped datasets. A training loop gathers random 3 KB rows
// from the 157 MB of MNIST pixels; with 4 KB pages nearly every row costs a
// TLB miss (a two-level page walk in a virtual machine), and moving the
// pixels to transparent huge pages made the lesson's epoch about 7% faster
// (bench/README.md). Reading the cache into huge pages in GetData would make
// every load read all 188 MB, 0.05-0.6 s where the page cache does not keep
// the file (every GoNB cell loads), so GetData maps the file as before and
// the move happens on the first row gather from it: pkg/tensor reports the
// source of large gathers through gatherhint, and moveToHugePages copies the
// source's pages into huge-page memory and puts that memory at the same
// address (mremap), so every slice and tensor over it stays valid.

func init() { gatherhint.Source = promoteGatherSource }

const (
	pageSize = 4 << 10
	hugePage = 2 << 20
)

// hugeRegion is a mapped cache's image memory and the gather sources in it
// already handled (moved to huge pages, or too small to move).
type hugeRegion struct {
	lo, hi uintptr
	done   [][2]uintptr
}

var huge struct {
	any     atomic.Bool // a region was registered: promote's lock-free fast path when not
	mu      sync.Mutex
	regions []*hugeRegion
}

// registerForHugePages records mapped image memory that row gathers may move
// to huge pages.
func registerForHugePages(images []float32) {
	if len(images) == 0 {
		return
	}
	lo := uintptr(unsafe.Pointer(unsafe.SliceData(images)))
	huge.mu.Lock()
	defer huge.mu.Unlock()
	huge.regions = append(huge.regions, &hugeRegion{lo: lo, hi: lo + 4*uintptr(len(images))})
	huge.any.Store(true)
}

// promoteGatherSource moves the whole pages of data to huge pages if data
// lies in a registered region and has not been moved yet. It runs in the
// gathering goroutine, before the gather reads data, so the copy sees every
// earlier write to it; values never change. A failure leaves the memory as
// it was (the move is only an optimisation).
func promoteGatherSource(data []float32) {
	if !huge.any.Load() {
		return
	}
	lo := uintptr(unsafe.Pointer(unsafe.SliceData(data)))
	hi := lo + 4*uintptr(len(data))
	huge.mu.Lock()
	defer huge.mu.Unlock()
	for _, r := range huge.regions {
		if lo < r.lo || hi > r.hi {
			continue
		}
		if slices.ContainsFunc(r.done, func(d [2]uintptr) bool { return lo >= d[0] && hi <= d[1] }) {
			return
		}
		// Only pages wholly inside data: a page shared with a neighbouring
		// tensor (x_valid after x_train) stays where it is.
		start, end := (lo+pageSize-1)&^(pageSize-1), hi&^(pageSize-1)
		r.done = append(r.done, [2]uintptr{lo, hi})
		if end-start >= 2*hugePage {
			base := unsafe.Pointer(unsafe.SliceData(data))
			_ = moveToHugePages(unsafe.Add(base, start-lo), end-start)
		}
		return
	}
}

// moveToHugePages replaces the size bytes of mapped memory at addr (page
// aligned) by a copy in anonymous memory advised MADV_HUGEPAGE, at the same
// address.
func moveToHugePages(addr unsafe.Pointer, size uintptr) error {
	// Reserve 2 MB more, to start the copy at the same offset within a huge
	// page as addr: mremap then moves whole huge pages instead of splitting
	// them.
	raw, err := unix.MmapPtr(-1, 0, nil, size+hugePage, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
	if err != nil {
		return fmt.Errorf("data: huge pages: %w", err)
	}
	skip := (uintptr(addr) - uintptr(raw)) & (hugePage - 1)
	dst := unsafe.Add(raw, skip)
	if skip > 0 {
		_ = unix.MunmapPtr(raw, skip)
	}
	_ = unix.MunmapPtr(unsafe.Add(dst, size), hugePage-skip)
	buf := unsafe.Slice((*byte)(dst), size)
	_ = unix.Madvise(buf, unix.MADV_HUGEPAGE) // only a hint: with THP off, the copy still works
	copy(buf, unsafe.Slice((*byte)(addr), size))
	if _, err := unix.MremapPtr(dst, size, addr, size, unix.MREMAP_MAYMOVE|unix.MREMAP_FIXED); err != nil {
		_ = unix.MunmapPtr(dst, size)
		return fmt.Errorf("data: huge pages: %w", err)
	}
	return nil
}
