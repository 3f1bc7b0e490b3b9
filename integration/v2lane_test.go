package integration

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cgrun/cgrun/integration/testutil"
)

// The VM lane's own environment: what every v2 and iSCSI test relies on.
// These run only where the kernel mounts cgroup v2 (make test-vm).

// v2LaneControllers are the controllers cgrun's v2 limits need.
var v2LaneControllers = []string{"cpu", "cpuset", "io", "memory", "pids"}

func TestV2LaneUnifiedHierarchy(t *testing.T) {
	testutil.RequireRoot(t)
	testutil.RequireV2(t)
	f, err := os.Open("/proc/self/mounts")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var v2Opts string
	s := bufio.NewScanner(f)
	for s.Scan() {
		fs := strings.Fields(s.Text())
		if len(fs) < 4 {
			continue
		}
		if fs[2] == "cgroup" {
			t.Errorf("a cgroup v1 hierarchy is mounted beside cgroup2: %s", s.Text())
		}
		if fs[2] == "cgroup2" && fs[1] == testutil.CgroupRoot {
			v2Opts = fs[3]
		}
	}
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	if v2Opts == "" {
		t.Fatalf("no cgroup2 mount at %s", testutil.CgroupRoot)
	}
	if !strings.Contains(","+v2Opts+",", ",nsdelegate,") {
		t.Errorf("cgroup2 at %s mounted %q, want nsdelegate", testutil.CgroupRoot, v2Opts)
	}
}

func TestV2LaneControllersEnabled(t *testing.T) {
	testutil.RequireRoot(t)
	testutil.RequireV2Controllers(t, v2LaneControllers...)
	// A cgroup of our own under a cgrun parent gets every controller.
	parent := filepath.Join(testutil.CgroupRoot, fmt.Sprintf("cgrun-vmlane-%d", os.Getpid()))
	if err := os.Mkdir(parent, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.Remove(parent) })
	got, err := os.ReadFile(filepath.Join(parent, "cgroup.controllers"))
	if err != nil {
		t.Fatal(err)
	}
	have := strings.Fields(string(got))
	for _, c := range v2LaneControllers {
		if !slices.Contains(have, c) {
			t.Errorf("controller %s missing in a child cgroup: cgroup.controllers = %q", c, strings.TrimSpace(string(got)))
		}
	}
	// The child's own files take values (written without O_CREAT).
	for file, val := range map[string]string{"memory.max": "67108864", "pids.max": "16", "cpu.max": "20000 100000"} {
		p := filepath.Join(parent, file)
		if err := os.WriteFile(p, []byte(val), 0); err != nil {
			t.Errorf("write %s: %v", p, err)
			continue
		}
		if b, err := os.ReadFile(p); err != nil || strings.TrimSpace(string(b)) != val {
			t.Errorf("%s = %q (%v), want %q", p, strings.TrimSpace(string(b)), err, val)
		}
	}
}

func TestV2LaneBFQAvailable(t *testing.T) {
	testutil.RequireRoot(t)
	testutil.RequireV2(t)
	// io.bfq.weight exists in child cgroups once the bfq scheduler is loaded.
	_, err := os.Stat("/sys/module/bfq")
	testutil.Require(t, err == nil, "bfq I/O scheduler not loaded", "modprobe bfq")
}

// TestV2LaneISCSIAttach proves the lane's kernel iSCSI path: a tgtd target on
// 127.0.0.1, sendtargets discovery, login, the LUN as a block device, logout.
func TestV2LaneISCSIAttach(t *testing.T) {
	testutil.RequireISCSI(t)
	const tid = "901"
	iqn := fmt.Sprintf("iqn.2024-01.io.cgrun:vmlane-%d", os.Getpid())
	backing := filepath.Join(t.TempDir(), "lun.img")
	if err := os.WriteFile(backing, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(backing, 16<<20); err != nil {
		t.Fatal(err)
	}
	tgtadm := func(args ...string) {
		t.Helper()
		if out, err := exec.Command("tgtadm", append([]string{"--lld", "iscsi"}, args...)...).CombinedOutput(); err != nil {
			t.Fatalf("tgtadm %s: %v: %s", strings.Join(args, " "), err, out)
		}
	}
	tgtadm("--op", "new", "--mode", "target", "--tid", tid, "-T", iqn)
	t.Cleanup(func() {
		_ = exec.Command("tgtadm", "--lld", "iscsi", "--op", "delete", "--force", "--mode", "target", "--tid", tid).Run()
	})
	tgtadm("--op", "new", "--mode", "logicalunit", "--tid", tid, "--lun", "1", "-b", backing)
	tgtadm("--op", "bind", "--mode", "target", "--tid", tid, "-I", "ALL")

	out, err := exec.Command("iscsiadm", "-m", "discovery", "-t", "sendtargets", "-p", testutil.TgtPortal).CombinedOutput()
	if err != nil || !strings.Contains(string(out), " "+iqn) {
		t.Fatalf("discovery on %s does not list %s: %v: %s", testutil.TgtPortal, iqn, err, out)
	}
	node := []string{"-m", "node", "-T", iqn, "-p", testutil.TgtPortal}
	t.Cleanup(func() { _ = exec.Command("iscsiadm", append(node, "-o", "delete")...).Run() })
	if out, err := exec.Command("iscsiadm", append(node, "--login")...).CombinedOutput(); err != nil {
		t.Fatalf("login %s: %v: %s", iqn, err, out)
	}
	loggedIn := true
	t.Cleanup(func() {
		if loggedIn {
			_ = exec.Command("iscsiadm", append(node, "--logout")...).Run()
		}
	})
	dev, err := waitSessionDisk(iqn, 20*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	size, err := os.ReadFile("/sys/block/" + dev + "/size")
	if err != nil || strings.TrimSpace(string(size)) != fmt.Sprint(16<<20/512) {
		t.Errorf("/sys/block/%s/size = %q (%v), want %d sectors", dev, strings.TrimSpace(string(size)), err, 16<<20/512)
	}
	if out, err := exec.Command("iscsiadm", append(node, "--logout")...).CombinedOutput(); err != nil {
		t.Fatalf("logout %s: %v: %s", iqn, err, out)
	}
	loggedIn = false
	// the SCSI device goes away asynchronously
	for i := 0; ; i++ {
		if _, err := os.Stat("/sys/block/" + dev); err != nil {
			break
		}
		if i == 50 {
			t.Fatalf("/sys/block/%s still present 5s after logout", dev)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// waitSessionDisk finds the disk of the iSCSI session to target iqn through
// sysfs (no udev needed): session*/device/target*/H:C:T:L/block/sdX.
func waitSessionDisk(iqn string, timeout time.Duration) (string, error) {
	deadline := time.Now().Add(timeout)
	for {
		sessions, _ := filepath.Glob("/sys/class/iscsi_session/session*")
		for _, s := range sessions {
			name, err := os.ReadFile(filepath.Join(s, "targetname"))
			if err != nil || strings.TrimSpace(string(name)) != iqn {
				continue
			}
			blocks, _ := filepath.Glob(filepath.Join(s, "device", "target*", "*:*:*:*", "block", "*"))
			// under the session first, in /sys/block a moment later (as
			// volume's waitDisk waits for it)
			if len(blocks) > 0 {
				if _, err := os.Stat(filepath.Join("/sys/block", filepath.Base(blocks[0]), "size")); err == nil {
					return filepath.Base(blocks[0]), nil
				}
			}
		}
		if time.Now().After(deadline) {
			return "", fmt.Errorf("no block device for the iSCSI session to %s after %s", iqn, timeout)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
