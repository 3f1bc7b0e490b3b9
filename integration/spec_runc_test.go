package integration

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cgrun/cgrun/integration/testutil"
)

// TestSpecRunByRunc: the config.json `cgrun spec` prints is run by Debian's
// runc, and the limits given as flags are read back inside the container
// from its own cgroup files.
func TestSpecRunByRunc(t *testing.T) {
	testutil.RequireRoot(t)
	runc := testutil.RequireCommand(t, "runc", "runc")
	bin := os.Getenv("CGRUN_BIN")
	testutil.Require(t, bin != "", "CGRUN_BIN not set", "make test-integration")
	_, err := os.Stat("/bin/busybox")
	testutil.Require(t, err == nil, "/bin/busybox missing", "apt-get install busybox-static")

	id := fmt.Sprintf("cgrun-spec-%d", os.Getpid())
	parent := "/cgrun-spec-test"
	bundle := t.TempDir()
	specRuncRootfs(t, filepath.Join(bundle, "rootfs"))
	state := t.TempDir()

	v2 := testutil.CgroupMode() == testutil.V2
	memFile, pidsFile := "/sys/fs/cgroup/memory/memory.limit_in_bytes", "/sys/fs/cgroup/pids/pids.max"
	if v2 {
		memFile, pidsFile = "/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/pids.max"
	}
	cfg, err := exec.Command(bin, "spec", "-m", "100M", "--pids-limit", "100",
		"--cgroups-path", parent+"/"+id, "cat", memFile, pidsFile).Output()
	if err != nil {
		t.Fatalf("cgrun spec: %v: %s", err, stderrOfSpec(err))
	}
	if err := os.WriteFile(filepath.Join(bundle, "config.json"), cfg, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		out, err := exec.Command(runc, "--root", state, "delete", "-f", id).CombinedOutput()
		if err != nil && !strings.Contains(string(out), "does not exist") {
			t.Logf("runc delete -f %s: %v: %s", id, err, out)
		}
		specRuncRemoveCgroups(t, parent, id)
	})

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, runc, "--root", state, "run", "--bundle", bundle, id)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("runc run: %v: %s", err, stderr.String())
	}
	if got, want := strings.Fields(stdout.String()), []string{"104857600", "100"}; strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("limits read inside the container: got %q, want %q (stderr %q)", got, want, stderr.String())
	}
}

// specRuncRootfs makes a tiny rootfs from the static busybox.
func specRuncRootfs(t *testing.T, root string) {
	t.Helper()
	for _, d := range []string{"bin", "proc", "sys", "dev", "tmp", "etc"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile("/bin/busybox")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "bin", "busybox"), b, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, l := range []string{"sh", "cat"} {
		if err := os.Symlink("busybox", filepath.Join(root, "bin", l)); err != nil {
			t.Fatal(err)
		}
	}
}

// specRuncRemoveCgroups removes the container's cgroup and the test's parent
// (runc removes the container's on delete; the parent it made stays).
func specRuncRemoveCgroups(t *testing.T, parent, id string) {
	t.Helper()
	dirs, _ := filepath.Glob("/sys/fs/cgroup/*" + parent)
	if d := "/sys/fs/cgroup" + parent; specRuncIsDir(d) {
		dirs = append(dirs, d)
	}
	for _, d := range dirs {
		for _, p := range []string{filepath.Join(d, id), d} {
			if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("remove cgroup %s: %v", p, err)
			}
		}
	}
}

func specRuncIsDir(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}

func stderrOfSpec(err error) string {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return string(ee.Stderr)
	}
	return ""
}
