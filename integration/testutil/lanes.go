package testutil

import (
	"bytes"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// The suite runs in two lanes, both part of `make test`: the host (cgroup v1
// controllers here) and the VM lane (`make test-vm`: Debian's kernel under
// QEMU with a unified cgroup2 mount and kernel iSCSI). A test written for one
// lane skips on the other, even under CI=true, because the other lane runs it;
// a requirement missing on the test's own lane fails under CI=true.

// Mode is the cgroup hierarchy a lane mounts at /sys/fs/cgroup.
type Mode string

const (
	// V1 is a v1 (or hybrid) hierarchy: one mount per controller.
	V1 Mode = "v1"
	// V2 is the unified cgroup2 hierarchy.
	V2 Mode = "v2"
)

// CgroupRoot is where both lanes mount cgroups.
const CgroupRoot = "/sys/fs/cgroup"

// TgtPortal is the portal of the tgtd the VM lane starts before the tests.
const TgtPortal = "127.0.0.1:3260"

// CgroupMode reports the hierarchy mounted at /sys/fs/cgroup. A hybrid
// host (cgroup2 only at /sys/fs/cgroup/unified) is V1.
func CgroupMode() Mode {
	var st unix.Statfs_t
	if err := unix.Statfs(CgroupRoot, &st); err == nil && st.Type == unix.CGROUP2_SUPER_MAGIC {
		return V2
	}
	return V1
}

// InVM reports whether the tests run inside the VM lane, which boots its
// kernel with cgrun.vmlane=1.
func InVM() bool {
	b, err := os.ReadFile("/proc/cmdline")
	if err != nil {
		return false
	}
	for _, f := range strings.Fields(string(b)) {
		if f == "cgrun.vmlane=1" {
			return true
		}
	}
	return false
}

// RequireV1 skips a cgroup v1 test on a cgroup v2 lane (the host lane runs it).
func RequireV1(t testing.TB) {
	t.Helper()
	if m := CgroupMode(); m != V1 {
		t.Skipf("cgroup v1 test; this lane is cgroup %s (the host lane, make test-integration, runs it)", m)
	}
}

// RequireV2 skips a cgroup v2 test on a cgroup v1 lane (the VM lane runs it).
func RequireV2(t testing.TB) {
	t.Helper()
	if m := CgroupMode(); m != V2 {
		t.Skipf("cgroup v2 test; this lane is cgroup %s (the VM lane, make test-vm, runs it)", m)
	}
}

// RequireV2Controllers requires controllers (e.g. "cpu", "io") enabled for
// children of the v2 root, as the VM lane sets them up.
func RequireV2Controllers(t testing.TB, controllers ...string) {
	t.Helper()
	RequireV2(t)
	b, err := os.ReadFile(CgroupRoot + "/cgroup.subtree_control")
	have := map[string]bool{}
	for _, c := range strings.Fields(string(b)) {
		have[c] = true
	}
	for _, c := range controllers {
		Require(t, err == nil && have[c], "cgroup v2 controller "+c+" not enabled in "+CgroupRoot+"/cgroup.subtree_control",
			"echo +"+c+" > "+CgroupRoot+"/cgroup.subtree_control (make test-vm does)")
	}
}

// HasKernelISCSI reports whether this kernel has the iSCSI initiator loaded.
func HasKernelISCSI() bool {
	_, err := os.Stat("/sys/module/iscsi_tcp")
	return err == nil
}

// RequireISCSI skips where the kernel has no iSCSI initiator (this host; the
// VM lane runs those tests). On the lane that has one it requires iscsiadm,
// a running iscsid and the tgtd at TgtPortal, failing under CI=true.
func RequireISCSI(t testing.TB) {
	t.Helper()
	RequireRoot(t)
	if !HasKernelISCSI() && !InVM() {
		t.Skip("iSCSI test; this kernel has no iSCSI initiator (the VM lane, make test-vm, runs it)")
	}
	Require(t, HasKernelISCSI(), "kernel module iscsi_tcp not loaded", "modprobe iscsi_tcp")
	RequireCommand(t, "iscsiadm", "open-iscsi")
	RequireCommand(t, "tgtadm", "tgt")
	Require(t, processRunning("iscsid"), "iscsid is not running", "iscsid")
	Require(t, portalListening(TgtPortal), "no tgtd listening on "+TgtPortal, "tgtd --iscsi portal="+TgtPortal)
}

// TgtPortal2 is the second portal of the lane's tgtd (a second loopback
// address): the two paths of multipath volumes.
const TgtPortal2 = "127.0.0.2:3260"

// TgtPIDFile is where the VM lane keeps its tgtd's PID, for the test that
// restarts it under a writing container.
const TgtPIDFile = "/run/vmlane-tgtd.pid"

// RequireMultipath requires, on the iSCSI lane, dm-multipath: the
// multipath command, multipathd and tgtd's second portal.
func RequireMultipath(t testing.TB) {
	t.Helper()
	RequireISCSI(t)
	RequireCommand(t, "multipath", "multipath-tools")
	Require(t, processRunning("multipathd"), "multipathd is not running", "multipathd")
	Require(t, portalListening(TgtPortal2), "no tgtd listening on "+TgtPortal2,
		"tgtadm --lld iscsi --op new --mode portal --param portal="+TgtPortal2)
}

// RequireLIO requires the kernel LIO target (configfs) on the iSCSI lane.
func RequireLIO(t testing.TB) {
	t.Helper()
	RequireISCSI(t)
	_, err := os.Stat("/sys/kernel/config/target/iscsi")
	Require(t, err == nil, "kernel LIO target not available at /sys/kernel/config/target/iscsi",
		"modprobe iscsi_target_mod target_core_file && mount -t configfs configfs /sys/kernel/config")
}

// ThinPool is the VM lane's LVM thin pool, the one the README names
// (guest.sh makes it).
const ThinPool = "cgrun/pool"

// RequireThinPool requires, on the iSCSI lane, LIO and the lane's thin
// pool.
func RequireThinPool(t testing.TB) {
	t.Helper()
	RequireLIO(t)
	err := exec.Command("lvs", ThinPool).Run()
	Require(t, err == nil, "no LVM thin pool "+ThinPool, "lvcreate -L 2G -T "+ThinPool)
}

func portalListening(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		return false
	}
	return c.Close() == nil
}

// processRunning reports whether a process whose comm is name exists.
func processRunning(name string) bool {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return false
	}
	for _, e := range ents {
		b, err := os.ReadFile("/proc/" + e.Name() + "/comm")
		if err != nil {
			continue // not a process, or it just exited
		}
		if string(bytes.TrimSpace(b)) == name {
			return true
		}
	}
	return false
}
