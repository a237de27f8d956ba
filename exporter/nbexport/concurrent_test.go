package nbexport

import (
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestConcurrentExports runs a second export, in another process, while the
// first is between writing its two files (pkg/demo/nb01_sync.go, then
// nb01_sync_test.go), with the notebook changed in between, as when a learner's
// `make export` meets the notebook's own export cell. The second run must wait
// for the first (the lock), and the files must end up both from the notebook
// the second run read: without the lock, the first run's test file would land
// after the second run's files and pair an old test with new code.
func TestConcurrentExports(t *testing.T) {
	if os.Getenv("NBEXPORT_HELPER_ROOT") != "" {
		t.Skip("helper process")
	}
	t.Setenv("GOWORK", "off")
	r := testRepo(t, "sync")
	v1 := readFile(t, r, syncNB)
	v2 := replaceOnce(t, replaceOnce(t, v1, "return 2 }", "return 3 }"), "Two() != 2", "Two() != 3")
	writeFile(t, r, syncNB, v2)
	want2 := exportAll(t, r)
	writeFile(t, r, syncNB, v1)
	want1 := mustPlan(t, r)
	if string(want1.Files[0].Content) == string(want2.Files[0].Content) || string(want1.Files[1].Content) == string(want2.Files[1].Content) {
		t.Fatal("the two notebook versions must export different files")
	}

	var second *exec.Cmd
	secondDone := make(chan error, 1)
	waitedFor := false
	testHookWrite = func(path string) {
		if second != nil || !strings.HasSuffix(path, "nb01_sync.go") {
			return
		}
		// The first run wrote its first file. The notebook changes (saved
		// atomically, as Jupyter does) and a second exporter starts.
		if err := WriteFileAtomic(r.Root+"/"+syncNB, []byte(v2), 0o644); err != nil {
			t.Error(err)
		}
		second = exec.Command(os.Args[0], "-test.run=^TestExportHelper$")
		second.Env = append(os.Environ(), "NBEXPORT_HELPER_ROOT="+r.Root)
		if err := second.Start(); err != nil {
			t.Fatal(err)
		}
		go func() { secondDone <- second.Wait() }()
		select {
		case err := <-secondDone:
			t.Errorf("the second export finished while the first held the lock (err %v)", err)
			secondDone <- err
		case <-time.After(time.Second):
			waitedFor = true // it is waiting for the lock, as it should
		}
	}
	defer func() { testHookWrite = nil }()
	if _, err := r.Export([]string{syncNB}, true, false); err != nil {
		t.Fatal(err)
	}
	testHookWrite = nil
	if second == nil {
		t.Fatal("the first export wrote no main file")
	}
	if err := <-secondDone; err != nil {
		t.Fatalf("second export: %v", err)
	}
	if !waitedFor {
		t.Error("the second export did not wait for the first")
	}
	for _, o := range want2.Files {
		if got := readFile(t, r, o.Path); got != string(o.Content) {
			t.Errorf("%s is not the second export's:\n%s", o.Path, got)
		}
	}
	if diff, err := r.Check(mustPlan(t, r)); err != nil || diff != "" {
		t.Errorf("-check after both exports: %v\n%s", err, diff)
	}
}

// TestExportHelper is the second process of TestConcurrentExports.
func TestExportHelper(t *testing.T) {
	root := os.Getenv("NBEXPORT_HELPER_ROOT")
	if root == "" {
		t.Skip("run by TestConcurrentExports")
	}
	r, err := OpenRepo(root)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Export([]string{syncNB}, true, false); err != nil {
		t.Fatal(err)
	}
}
