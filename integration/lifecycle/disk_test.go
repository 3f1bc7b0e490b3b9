package lifecycle

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cgrun/cgrun/integration/testutil"
)

// Full and read-only state roots and image stores: every refusal is one
// line with exit 125 and leaves nothing; a container whose disk fills
// while it runs keeps its exit code, and its output never blocks it.

// smallFS mounts a tmpfs of size (the test's own) and unmounts it at the
// end.
func smallFS(t *testing.T, size string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "fs")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size="+size); err != nil {
		t.Fatalf("mount a tmpfs: %v", err)
	}
	t.Cleanup(func() { _ = syscall.Unmount(dir, syscall.MNT_DETACH) })
	return dir
}

// fill writes fs full and returns what frees it again.
func fill(t *testing.T, fs string) func() {
	t.Helper()
	p := filepath.Join(fs, "filler")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64<<10)
	for {
		if _, err := f.Write(buf); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatal(err)
			}
			break
		}
	}
	// what a page-sized write left
	small := make([]byte, 512)
	for {
		if _, err := f.Write(small); err != nil {
			break
		}
	}
	f.Close()
	return func() { _ = os.Remove(p) }
}

func setRO(t *testing.T, fs string, ro bool) {
	t.Helper()
	flags := uintptr(syscall.MS_REMOUNT)
	if ro {
		flags |= syscall.MS_RDONLY
	}
	if err := syscall.Mount("", fs, "", flags, ""); err != nil {
		t.Fatalf("remount %s: %v", fs, err)
	}
}

// oneLine125: exit 125 and one error line (after any progress lines)
// saying want.
func oneLine125(t *testing.T, what string, r testutil.Result, want string) {
	t.Helper()
	if r.Code != 125 || strings.Count(r.Stderr, "cgrun: ") != 1 || !strings.HasPrefix(r.Stderr[strings.LastIndex(r.Stderr, "\n")+1:], "cgrun: ") || !strings.Contains(r.Stderr, want) {
		t.Errorf("%s: want exit 125 and one line saying %q, got %s", what, want, r)
	}
}

func assertClean(t *testing.T, c *testutil.Cgrun) {
	t.Helper()
	if left := c.Leftovers(); len(left) > 0 {
		t.Errorf("left behind: %v", left)
	}
}

// The state root fills while a container runs: its exit is still recorded
// (the state keeps a reserve for that write). A full state root refuses
// run in one line and keeps nothing but the record of a foreground run
// whose start failed (exited 125); once there is room, run works.
func TestFullStateRoot(t *testing.T) {
	fs := smallFS(t, "1m")
	c := testutil.NewCgrun(t)
	c.Root = filepath.Join(fs, "state")
	id := runDetached(t, c, nil, "sh", "-c", "sleep 1; exit 7")
	free := fill(t, fs)
	if r := c.Cmd("wait", id); r.Code != 0 || r.Stdout != "7" {
		t.Fatalf("wait on a full state root: want 7, got %s", r)
	}
	if r := c.Cmd("ps", "-a"); !strings.Contains(r.Stdout, "exited (7)") {
		t.Errorf("ps -a: %s", r)
	}
	for _, args := range [][]string{{"-d"}, {"--rm"}, {"--name", "full"}} {
		r := c.Run(args, "true")
		t.Logf("run %s on a full state root: %s", strings.Join(args, " "), r.Stderr)
		oneLine125(t, "run "+strings.Join(args, " ")+" on a full state root", r, "no space left on device")
	}
	// Where the start itself failed (libcontainer's own state could not be
	// written: how much room fill left decides where the refusal lands),
	// the foreground run keeps its record, exited 125 with its error, as
	// every failed start of a run without --rm does; rm takes it.
	for _, line := range strings.Split(c.Cmd("ps", "-a").Stdout, "\n") {
		if f := strings.Fields(line); len(f) > 1 && f[1] == "full" {
			if !strings.Contains(line, "exited (125)") {
				t.Errorf("the failed run is recorded as %q, want exited (125)", line)
			}
			if r := c.Cmd("rm", "full"); r.Code != 0 {
				t.Fatalf("rm full on a full state root: %s", r)
			}
		}
	}
	if r := c.Cmd("rm", id); r.Code != 0 {
		t.Fatalf("rm on a full state root: %s", r)
	}
	assertClean(t, c)
	free()
	if r := c.Run([]string{"--rm"}, "true"); r.Code != 0 {
		t.Fatalf("run once there is room: %s", r)
	}
	assertClean(t, c)
}

// A read-only state root: run refuses in one line, ps answers, nothing is
// made anywhere (cgroup, mount, log).
func TestReadOnlyStateRoot(t *testing.T) {
	fs := smallFS(t, "1m")
	c := testutil.NewCgrun(t)
	c.Root = filepath.Join(fs, "state")
	if err := os.Mkdir(c.Root, 0o700); err != nil {
		t.Fatal(err)
	}
	setRO(t, fs, true)
	for _, args := range [][]string{{"-d"}, {"--rm"}, {}} {
		oneLine125(t, "run "+strings.Join(args, " ")+" on a read-only state root", c.Run(args, "true"), "read-only file system")
	}
	if r := c.Cmd("ps", "-a"); r.Code != 0 {
		t.Errorf("ps -a on a read-only state root: %s", r)
	}
	assertClean(t, c)
	setRO(t, fs, false)
}

// A full image store: an import fails in one line and stores nothing (no
// record, blob, layer or partial write); a read-only one refuses it too.
// The log of a container whose store fills never blocks the container.
func TestFullImageStore(t *testing.T) {
	fs := smallFS(t, "2m") // the test image is 3.2 MB compressed
	store := filepath.Join(fs, "store")
	t.Setenv("CGRUN_IMAGE_STORE", store)
	c := testutil.NewCgrun(t)
	oci := testutil.TestImageOCIDir(t)
	oneLine125(t, "import into a full store", c.Cmd("image", "import", "oci:"+oci, "full/test"), "no space left on device")
	if r := c.Cmd("images"); r.Code != 0 || strings.Contains(r.Stdout, "full/test") {
		t.Errorf("images after a failed import: %s", r)
	}
	for _, d := range []string{"blobs/sha256", "layers/sha256", "tmp"} {
		if ents, _ := os.ReadDir(filepath.Join(store, d)); len(ents) > 0 {
			t.Errorf("%s after a failed import: %d entries", d, len(ents))
		}
	}

	// a chatty container whose log's disk fills: it runs to its end
	id := runDetached(t, c, nil, "sh", "-c", `sleep 0.5; i=0; while [ $i -lt 30000 ]; do echo "line $i ......................................"; i=$((i+1)); done; exit 3`)
	free := fill(t, fs)
	done := make(chan testutil.Result, 1)
	go func() { done <- c.Cmd("wait", id) }()
	select {
	case r := <-done:
		if r.Code != 0 || r.Stdout != "3" {
			t.Errorf("wait: %s", r)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("the container blocked on a full log disk")
	}
	if r := c.Cmd("logs", id); r.Code != 0 {
		t.Errorf("logs on a full disk: %s", r)
	}
	if r := c.Cmd("rm", id); r.Code != 0 {
		t.Fatalf("rm: %s", r)
	}
	free()
	assertClean(t, c)

	setRO(t, fs, true)
	defer setRO(t, fs, false)
	oneLine125(t, "import into a read-only store", c.Cmd("image", "import", "oci:"+oci, "ro/test"), "read-only file system")
	// a run needs the store (an image's layers, a detached container's log)
	oneLine125(t, "run -d with a read-only store", c.Run([]string{"-d"}, "true"), "read-only file system")
	r := c.Cmd("run", "--rm", "--cgroup-parent", c.Parent, testutil.TestImageOCI(t), "true")
	oneLine125(t, "run of an OCI image with a read-only store", r, "read-only file system")
	if strings.Count(r.Stderr, "image store") > 1 {
		t.Errorf("the message says it twice: %s", r.Stderr)
	}
	assertClean(t, c)
}
