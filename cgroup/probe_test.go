package cgroup

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// fakeHost is a fake machine in a temp dir: cgroup root, sysfs, procfs,
// modules directory and a mountinfo file.
type fakeHost struct {
	dir  string
	root string
	opts []Option
}

func newFakeHost(t *testing.T, mounts []string) *fakeHost {
	t.Helper()
	dir := t.TempDir()
	h := &fakeHost{dir: dir, root: filepath.Join(dir, "cgroup")}
	var mi strings.Builder
	for i, m := range mounts { // "cgroup memory rw,memory" or "cgroup2 unified rw"
		f := strings.Fields(m)
		point := filepath.Join(h.root, f[1])
		if f[1] == "." {
			point = h.root
		}
		if err := os.MkdirAll(point, 0o755); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&mi, "%d 31 0:%d / %s rw,relatime - %s %s %s\n", 40+i, 29+i, point, f[0], f[0], f[2])
	}
	fmt.Fprintf(&mi, "99 1 8:1 / / rw - ext4 /dev/vda1 rw\n")
	fakeFiles(t, dir, map[string]string{
		"mountinfo":                       mi.String(),
		"proc/sys/kernel/osrelease":       "6.18.44-test\n",
		"proc/1/comm":                     "init\n",
		"sys/block/loop0/queue/scheduler": "[none] mq-deadline kyber bfq\n",
		"sys/block/loop0/dev":             "7:0\n",
		"sys/block/vda/queue/scheduler":   "none mq-deadline kyber [bfq]\n",
		"sys/block/vda/dev":               "254:0\n",
	})
	h.opts = []Option{
		WithMountpoint(h.root), WithMountinfo(filepath.Join(dir, "mountinfo")),
		WithSysfs(filepath.Join(dir, "sys")), WithProcfs(filepath.Join(dir, "proc")),
		WithModulesDir(filepath.Join(dir, "modules")),
		WithLookPath(func(string) (string, error) { return "", errors.New("not found") }),
	}
	return h
}

// v1Mounts is this project's host: cpu and cpuacct separate, hybrid.
var v1Mounts = []string{
	"cgroup cpu rw,cpu", "cgroup cpuacct rw,cpuacct", "cgroup cpuset rw,cpuset",
	"cgroup memory rw,memory", "cgroup blkio rw,blkio", "cgroup pids rw,pids",
	"cgroup systemd rw,name=systemd",
}

func TestProbeHybrid(t *testing.T) {
	t.Parallel()
	h := newFakeHost(t, append(slices.Clone(v1Mounts), "cgroup2 unified rw"))
	fakeFiles(t, h.root, map[string]string{
		"unified/cgroup.controllers":           "hugetlb\n",
		"memory/memory.limit_in_bytes":         "9223372036854771712\n",
		"memory/memory.memsw.limit_in_bytes":   "9223372036854771712\n",
		"memory/memory.soft_limit_in_bytes":    "0\n",
		"memory/memory.swappiness":             "60\n",
		"memory/memory.oom_control":            "oom_kill_disable 0\n",
		"cpu/cpu.shares":                       "1024\n",
		"cpu/cpu.cfs_quota_us":                 "-1\n",
		"cpu/cpu.cfs_period_us":                "100000\n",
		"blkio/blkio.throttle.read_bps_device": "",
		// bfq weights show only in children: an existing child has them.
		"blkio/other/blkio.bfq.weight":        "100\n",
		"blkio/other/blkio.bfq.weight_device": "",
	})
	host, err := Probe(h.opts...)
	if err != nil {
		t.Fatal(err)
	}
	if host.Mode != ModeHybrid || host.Kernel != "6.18.44-test" {
		t.Fatalf("mode %s kernel %q", host.Mode, host.Kernel)
	}
	if host.Controllers["cpu"] != filepath.Join(h.root, "cpu") || host.Controllers["cpuacct"] != filepath.Join(h.root, "cpuacct") {
		t.Errorf("cpu/cpuacct = %v", host.Controllers)
	}
	if host.HasController("systemd") || host.HasController("hugetlb") {
		t.Errorf("named or unified-only controller listed: %v", host.Controllers)
	}
	if !slices.Equal(host.UnifiedControllers, []string{"hugetlb"}) {
		t.Errorf("unified controllers %v", host.UnifiedControllers)
	}
	if !host.SwapAccounting || !host.Files["blkio.bfq.weight"] || host.Files["blkio.weight"] || host.Files["memory.wmark_ratio"] {
		t.Errorf("files %v swap %v", host.Files, host.SwapAccounting)
	}
	want := []BlockDevice{
		{Name: "loop0", MajMin: "7:0", Scheduler: "none", Schedulers: []string{"none", "mq-deadline", "kyber", "bfq"}, BFQAvailable: true},
		{Name: "vda", MajMin: "254:0", Scheduler: "bfq", Schedulers: []string{"none", "mq-deadline", "kyber", "bfq"}, BFQAvailable: true, BFQActive: true},
	}
	if fmt.Sprint(host.BlockDevices) != fmt.Sprint(want) {
		t.Errorf("block devices %+v", host.BlockDevices)
	}
	if host.ISCSI.Usable || host.ISCSI.ModuleLoaded || host.ISCSI.Iscsiadm != "" {
		t.Errorf("iscsi %+v", host.ISCSI)
	}
	// Probe left no scratch cgroup behind (memory needed one for the knobs).
	if _, err := os.Stat(filepath.Join(h.root, "memory/cgrun")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("probe left memory/cgrun: %v", err)
	}
}

func TestProbeV1CoMountedAndScratchKept(t *testing.T) {
	t.Parallel()
	h := newFakeHost(t, []string{"cgroup cpu,cpuacct rw,cpu,cpuacct", "cgroup memory rw,memory"})
	fakeFiles(t, h.root, map[string]string{
		"memory/memory.limit_in_bytes": "1\n",
		// cgrun's parent exists already and carries the Alibaba knob.
		"memory/cgrun/memory.wmark_ratio": "0\n",
	})
	host, err := Probe(h.opts...)
	if err != nil {
		t.Fatal(err)
	}
	if host.Mode != ModeV1 || host.Controllers["cpu"] != host.Controllers["cpuacct"] {
		t.Fatalf("mode %s controllers %v", host.Mode, host.Controllers)
	}
	if host.SwapAccounting || !host.Files["memory.wmark_ratio"] {
		t.Errorf("swap %v files %v", host.SwapAccounting, host.Files)
	}
	if _, err := os.Stat(filepath.Join(h.root, "memory/cgrun/memory.wmark_ratio")); err != nil {
		t.Errorf("existing parent touched: %v", err)
	}
}

func TestProbeV2(t *testing.T) {
	t.Parallel()
	h := newFakeHost(t, []string{"cgroup2 . rw,nsdelegate"})
	fakeFiles(t, h.dir, map[string]string{
		"cgroup/cgroup.controllers":         "cpuset cpu io memory pids\n",
		"cgroup/init.scope/memory.max":      "max\n",
		"cgroup/init.scope/memory.swap.max": "max\n",
		"cgroup/init.scope/io.weight":       "default 100\n",
		"sys/module/iscsi_tcp/refcnt":       "0\n",
		"proc/77/comm":                      "iscsid\n",
	})
	h.opts = append(h.opts, WithLookPath(func(string) (string, error) { return "/usr/sbin/iscsiadm", nil }))
	host, err := Probe(h.opts...)
	if err != nil {
		t.Fatal(err)
	}
	if host.Mode != ModeV2 || !host.HasController("io") || host.HasController("blkio") {
		t.Fatalf("mode %s controllers %v", host.Mode, host.Controllers)
	}
	if !host.SwapAccounting || !host.Files["io.weight"] || host.Files["io.bfq.weight"] {
		t.Errorf("swap %v files %v", host.SwapAccounting, host.Files)
	}
	if !host.ISCSI.Usable {
		t.Errorf("iscsi %+v", host.ISCSI)
	}
}

func TestProbeNoCgroup(t *testing.T) {
	t.Parallel()
	h := newFakeHost(t, nil)
	if _, err := Probe(h.opts...); !errors.Is(err, ErrNoController) {
		t.Fatalf("err = %v", err)
	}
}

func TestISCSIModuleLoadable(t *testing.T) {
	t.Parallel()
	h := newFakeHost(t, []string{"cgroup memory rw,memory"})
	fakeFiles(t, h.dir, map[string]string{
		"modules/6.18.44-test/modules.dep": "kernel/drivers/scsi/iscsi_tcp.ko.xz: kernel/drivers/scsi/libiscsi_tcp.ko.xz\n",
	})
	host, err := Probe(h.opts...)
	if err != nil {
		t.Fatal(err)
	}
	if !host.ISCSI.ModuleLoadable || host.ISCSI.ModuleLoaded || host.ISCSI.Usable {
		t.Fatalf("iscsi %+v", host.ISCSI)
	}
	if !strings.Contains(host.ISCSI.Reason, "iscsid not running") {
		t.Fatalf("reason %q", host.ISCSI.Reason)
	}
}

func TestParseScheduler(t *testing.T) {
	t.Parallel()
	for line, want := range map[string]string{"[none] bfq": "none", "mq-deadline [bfq]\n": "bfq", "none": "none"} {
		if got, _ := ParseScheduler(line); got != want {
			t.Errorf("%q: %q, want %q", line, got, want)
		}
	}
}

func TestMultipathProbe(t *testing.T) {
	t.Parallel()
	h := newFakeHost(t, []string{"cgroup2 . rw,nsdelegate"})
	fakeFiles(t, h.dir, map[string]string{
		"cgroup/cgroup.controllers":        "memory\n",
		"modules/6.18.44-test/modules.dep": "kernel/drivers/md/dm-multipath.ko.xz: kernel/drivers/md/dm-mod.ko.xz\n",
	})
	h.opts = append(h.opts, WithLookPath(func(string) (string, error) { return "/sbin/multipath", nil }))
	host, err := Probe(h.opts...)
	if err != nil {
		t.Fatal(err)
	}
	mp := host.Multipath
	if mp.Usable || !mp.ModuleLoadable || mp.ModuleLoaded || mp.Multipath != "/sbin/multipath" {
		t.Fatalf("multipath %+v", mp)
	}
	if !strings.Contains(mp.Reason, "multipathd not running") || strings.Contains(mp.Reason, "dm_multipath") {
		t.Fatalf("reason %q", mp.Reason)
	}
	fakeFiles(t, h.dir, map[string]string{"proc/91/comm": "multipathd\n", "sys/module/dm_multipath/refcnt": "1\n"})
	if host, err = Probe(h.opts...); err != nil || !host.Multipath.Usable || !host.Multipath.ModuleLoaded {
		t.Fatalf("multipath %+v, %v", host.Multipath, err)
	}
}

func TestThinProbe(t *testing.T) {
	t.Parallel()
	h := newFakeHost(t, []string{"cgroup2 . rw,nsdelegate"})
	fakeFiles(t, h.dir, map[string]string{
		"cgroup/cgroup.controllers":        "memory\n",
		"modules/6.18.44-test/modules.dep": "kernel/drivers/md/dm-thin-pool.ko.xz: kernel/drivers/md/dm-bio-prison.ko.xz\n",
	})
	h.opts = append(h.opts, WithLookPath(func(cmd string) (string, error) {
		if cmd == "lvm" {
			return "/sbin/lvm", nil
		}
		return "", errors.New("not found")
	}))
	host, err := Probe(h.opts...)
	if err != nil {
		t.Fatal(err)
	}
	th := host.Thin
	if th.Usable || !th.ModuleLoadable || th.ModuleLoaded || th.LVM != "/sbin/lvm" || th.IBlock {
		t.Fatalf("thin %+v", th)
	}
	for _, want := range []string{"no thin_check (apt-get install thin-provisioning-tools)", "no target_core_iblock kernel module"} {
		if !strings.Contains(th.Reason, want) {
			t.Errorf("reason %q lacks %q", th.Reason, want)
		}
	}
	if strings.Contains(th.Reason, "dm_thin_pool") || strings.Contains(th.Reason, "lvm2") {
		t.Errorf("reason %q names what is there", th.Reason)
	}
	fakeFiles(t, h.dir, map[string]string{"sys/module/target_core_iblock/refcnt": "1\n"})
	h.opts = append(h.opts, WithLookPath(func(cmd string) (string, error) { return "/sbin/" + cmd, nil }))
	if host, err = Probe(h.opts...); err != nil || !host.Thin.Usable || !host.Thin.IBlock || host.Thin.Reason != "" {
		t.Fatalf("thin %+v, %v", host.Thin, err)
	}
}
