package integration

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cgrun/cgrun/integration/testutil"
)

// loopDevice attaches a 64 MiB loop device backed by a file in the test's
// temporary directory, detached in t.Cleanup, and returns its path and
// MAJ:MIN (from sysfs, as the kernel writes it in blkio and io files).
func loopDevice(t *testing.T) (dev, majMin string) {
	t.Helper()
	testutil.RequireCommand(t, "losetup", "mount")
	img := filepath.Join(t.TempDir(), "loop.img")
	f, err := os.Create(img)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(64 << 20); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("losetup", "-f", "--show", img).CombinedOutput()
	if err != nil {
		t.Fatalf("losetup -f --show %s: %v: %s", img, err, out)
	}
	dev = strings.TrimSpace(string(out))
	t.Cleanup(func() {
		if out, err := exec.Command("losetup", "-d", dev).CombinedOutput(); err != nil {
			t.Errorf("losetup -d %s: %v: %s", dev, err, out)
		}
	})
	b, err := os.ReadFile(filepath.Join("/sys/block", filepath.Base(dev), "dev"))
	if err != nil {
		t.Fatal(err)
	}
	return dev, strings.TrimSpace(string(b))
}

// useScheduler switches the test's own loop device to an IO scheduler (bfq
// for weights: the kernel refuses blkio.bfq.weight_device with EOPNOTSUPP
// on a device under another scheduler). A loop device outlives its
// detaching, so t.Cleanup puts the previous scheduler back.
func useScheduler(t *testing.T, dev, sched string) {
	t.Helper()
	file := filepath.Join("/sys/block", filepath.Base(dev), "queue", "scheduler")
	b, err := os.ReadFile(file)
	testutil.Require(t, err == nil && strings.Contains(string(b), sched),
		"IO scheduler "+sched+" not offered for "+dev, "modprobe "+sched)
	prev, _, _ := strings.Cut(string(b), "]")
	if _, prev, _ = strings.Cut(prev, "["); prev != "" && prev != sched {
		t.Cleanup(func() {
			if err := os.WriteFile(file, []byte(prev), 0); err != nil {
				t.Errorf("echo %s > %s: %v", prev, file, err)
			}
		})
	}
	if err := os.WriteFile(file, []byte(sched), 0); err != nil {
		t.Fatalf("echo %s > %s: %v", sched, file, err)
	}
	if b, _ := os.ReadFile(file); !strings.Contains(string(b), "["+sched+"]") {
		t.Fatalf("%s reads %q after selecting %s", file, b, sched)
	}
}
