package integration

import (
	"bufio"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cgrun/cgrun/integration/testutil"
)

// imageEnv is a cgrun with its own container state, cgroup parent (both
// from testutil.NewCgrun, which removes them) and image store.
type imageEnv struct {
	t                   *testing.T
	bin                 string
	root, parent, store string
	cleanupNames        []string
}

func newImageEnv(t *testing.T) *imageEnv {
	t.Helper()
	c := testutil.NewCgrun(t)
	e := &imageEnv{t: t, bin: c.Bin, root: c.Root, parent: c.Parent, store: t.TempDir()}
	t.Cleanup(e.cleanup)
	return e
}

// cgrun runs the binary and returns stdout, stderr and the exit code.
func (e *imageEnv) cgrun(args ...string) (string, string, int) {
	e.t.Helper()
	return e.cgrunIn(nil, "", args...)
}

// cgrunIn is cgrun with env added to cgrun's environment and stdin on its
// standard input.
func (e *imageEnv) cgrunIn(env []string, stdin string, args ...string) (string, string, int) {
	e.t.Helper()
	argv := []string{"--root", e.root, "--image-store", e.store}
	if len(args) > 0 && args[0] == "run" {
		argv = append(argv, "run", "--cgroup-parent", e.parent)
		args = args[1:]
	}
	cmd := exec.Command(e.bin, append(argv, args...)...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return out.String(), errb.String(), ee.ExitCode()
	} else if err != nil {
		e.t.Fatal(err)
	}
	return out.String(), errb.String(), 0
}

// must runs cgrun and fails the test unless it exits 0.
func (e *imageEnv) must(args ...string) string {
	e.t.Helper()
	out, errs, code := e.cgrun(args...)
	if code != 0 {
		e.t.Fatalf("cgrun %q: exit %d\nstdout: %s\nstderr: %s", args, code, out, errs)
	}
	return out
}

// cleanup removes the containers the test named and unmounts whatever
// is still mounted under the store (a failed test must not leak mounts).
func (e *imageEnv) cleanup() {
	for _, n := range e.cleanupNames {
		_, _, _ = e.cgrun("rm", "-f", n)
	}
	for _, m := range storeMounts(e.t, e.store) {
		e.t.Errorf("left mounted after the test: %s", m)
		_ = exec.Command("umount", "-l", m).Run()
	}
}

// storeMounts lists the mount points under dir, from /proc/self/mountinfo.
func storeMounts(t *testing.T, dir string) []string {
	t.Helper()
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) > 4 && strings.HasPrefix(fields[4], dir+"/") {
			out = append(out, fields[4])
		}
	}
	return out
}

func entries(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

// assertReleased: no mount under the store and no container mount dir.
func (e *imageEnv) assertReleased() {
	e.t.Helper()
	if m := storeMounts(e.t, e.store); len(m) != 0 {
		e.t.Fatalf("still mounted: %v", m)
	}
	if d := entries(e.t, filepath.Join(e.store, "mounts")); len(d) != 0 {
		e.t.Fatalf("container mount dirs left: %v", d)
	}
}

func TestImageRunOCILayout(t *testing.T) {
	e := newImageEnv(t)
	out := e.must("run", "--rm", testutil.TestImageOCI(t), "stress", "--version")
	if !strings.HasPrefix(out, "stress 1.") {
		t.Fatalf("stress --version printed %q", out)
	}
	e.assertReleased()
	// The image's config applies: its Cmd (sh) runs when none is given.
	out = e.must("run", "--rm", testutil.TestImageOCI(t), "sh", "-c", "echo $PATH")
	if !strings.Contains(out, "/usr/bin") {
		t.Fatalf("PATH in the container: %q", out)
	}
	e.assertReleased()
}

// Two containers share the unpacked layers (one directory per layer,
// lower of both overlays) and each writes to its own upper layer; rmi
// refuses the image while they exist; rm leaves nothing mounted.
func TestImageSharedLayersSeparateUpper(t *testing.T) {
	e := newImageEnv(t)
	img := testutil.TestImageOCI(t)
	e.cleanupNames = []string{"img-a", "img-b"}
	for _, n := range e.cleanupNames {
		e.must("run", "-d", "--name", n, img, "sh", "-c", "echo "+n+" > /marker; sleep 300")
	}
	layers := entries(t, filepath.Join(e.store, "layers", "sha256"))
	if len(layers) != 1 {
		t.Fatalf("unpacked layers: %v, want the image's one layer once", layers)
	}
	mounts := entries(t, filepath.Join(e.store, "mounts"))
	if len(mounts) != 2 || len(storeMounts(t, e.store)) != 2 {
		t.Fatalf("mount dirs %v, overlay mounts %v; want 2 of each", mounts, storeMounts(t, e.store))
	}
	markers := map[string]bool{}
	for _, m := range mounts {
		var b []byte
		var err error
		for range 100 { // the container writes its marker as it starts
			if b, err = os.ReadFile(filepath.Join(e.store, "mounts", m, "upper", "marker")); err == nil && len(b) > 0 {
				break
			}
			sleepShort()
		}
		if err != nil {
			t.Fatalf("upper layer of mount %s: %v", m, err)
		}
		markers[strings.TrimSpace(string(b))] = true
		if _, err := os.Stat(filepath.Join(e.store, "layers", "sha256", layers[0], "marker")); err == nil {
			t.Fatalf("a container wrote into the shared layer")
		}
	}
	if !markers["img-a"] || !markers["img-b"] {
		t.Fatalf("markers in the upper layers: %v, want one per container", markers)
	}

	_, stderr, code := e.cgrun("rmi", img)
	if code != 125 || !strings.Contains(stderr, "img-a") || !strings.Contains(stderr, "img-b") {
		t.Fatalf("rmi of an image in use: exit %d, stderr %q; want 125 naming both containers", code, stderr)
	}
	e.must("rm", "-f", "img-a", "img-b")
	e.assertReleased()
	e.must("rmi", img)
	for _, d := range []string{"layers/sha256", "blobs/sha256", "tmp"} {
		if left := entries(t, filepath.Join(e.store, d)); len(left) != 0 {
			t.Fatalf("%s after rmi: %v", d, left)
		}
	}
}
