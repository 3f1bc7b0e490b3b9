package integration

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/cgrun/cgrun/cgroup"
	"github.com/cgrun/cgrun/integration/testutil"
)

// testCgroup creates /cgrun-test-PID-N in each controller the lane needs
// (one unified directory on v2) and removes it in t.Cleanup.
func testCgroup(t *testing.T, n int) cgroup.Paths {
	t.Helper()
	testutil.RequireRoot(t)
	name := fmt.Sprintf("cgrun-test-%d-%d", os.Getpid(), n)
	var paths cgroup.Paths
	if testutil.CgroupMode() == testutil.V2 {
		testutil.RequireV2Controllers(t, "memory", "pids", "cpu")
		paths = cgroup.UnifiedPaths(filepath.Join(testutil.CgroupRoot, name))
	} else {
		paths = cgroup.Paths{}
		for _, c := range []string{"memory", "cpuacct", "pids"} {
			paths[c] = filepath.Join(testutil.CgroupRoot, c, name)
		}
	}
	for _, d := range paths {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			for i := 0; i < 50; i++ { // the killed child may take a moment to leave
				if err := os.Remove(d); err == nil || errors.Is(err, os.ErrNotExist) {
					return
				}
				time.Sleep(100 * time.Millisecond)
			}
			t.Errorf("cgroup %s left behind", d)
		})
	}
	return paths
}

// startInCgroup starts sh -c script, blocked on stdin until it has been
// moved into every directory of paths, then lets it go. The child is killed
// by its PID in t.Cleanup.
func startInCgroup(t *testing.T, paths cgroup.Paths, script string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command("sh", "-c", "read go; "+script)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-done
	})
	for _, d := range paths {
		writeCgroupFile(t, d, "cgroup.procs", strconv.Itoa(cmd.Process.Pid))
	}
	if _, err := io.WriteString(stdin, "go\n"); err != nil {
		t.Fatal(err)
	}
	return cmd
}

func writeCgroupFile(t *testing.T, dir, file, value string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, file), []byte(value), 0); err != nil {
		t.Fatalf("write %q to %s/%s: %v", value, dir, file, err)
	}
}

func memFile(paths cgroup.Paths) string {
	if paths.Unified() {
		return "memory.max"
	}
	return "memory.limit_in_bytes"
}

// TestStatsOfRealCgroup reads usage of a cgroup holding a busy-then-sleeping
// shell through containerd/cgroups and checks it against the cgroup files.
func TestStatsOfRealCgroup(t *testing.T) {
	paths := testCgroup(t, 1)
	mem, _ := paths.Dir("memory")
	pids, _ := paths.Dir("pids")
	writeCgroupFile(t, mem, memFile(paths), strconv.Itoa(64<<20))
	writeCgroupFile(t, pids, "pids.max", "7")
	startInCgroup(t, paths, "i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done; exec sleep 600")

	var s *cgroup.Stats
	deadline := time.Now().Add(20 * time.Second)
	for {
		var err error
		if s, err = cgroup.ReadStats(paths); err != nil {
			t.Fatal(err)
		}
		if s.CPUUsageNs > 50_000_000 || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("stats: %+v", *s)
	if s.CPUUsageNs <= 50_000_000 {
		t.Errorf("cpu usage %d ns after a busy loop", s.CPUUsageNs)
	}
	if !paths.Unified() && len(s.PerCPUUsageNs) == 0 {
		t.Errorf("no per-cpu usage on v1")
	}
	if s.MemoryLimit != 64<<20 || s.MemoryUsage == 0 || s.MemoryMaxUsage < s.MemoryUsage && !paths.Unified() {
		t.Errorf("memory usage %d limit %d max %d", s.MemoryUsage, s.MemoryLimit, s.MemoryMaxUsage)
	}
	if s.PidsCurrent != 1 || s.PidsLimit != 7 {
		t.Errorf("pids %d/%d, want 1/7", s.PidsCurrent, s.PidsLimit)
	}
	if s.OOMKills != 0 {
		t.Errorf("oom kills %d", s.OOMKills)
	}
}

// TestOOMEventsOfRealCgroup lets the kernel OOM-kill a string-doubling
// shell under a 20 MiB limit and counts the kill.
func TestOOMEventsOfRealCgroup(t *testing.T) {
	paths := testCgroup(t, 2)
	mem, _ := paths.Dir("memory")
	writeCgroupFile(t, mem, memFile(paths), strconv.Itoa(20<<20))
	if paths.Unified() {
		writeCgroupFile(t, mem, "memory.swap.max", "0")
	}
	cmd := startInCgroup(t, paths, "x=a; while true; do x=$x$x$x$x; done")
	deadline := time.Now().Add(60 * time.Second)
	var n uint64
	for time.Now().Before(deadline) {
		var err error
		if n, err = cgroup.OOMEvents(paths); err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if n != 1 {
		t.Fatalf("oom_kill = %d, want 1 (pid %d)", n, cmd.Process.Pid)
	}
	s, err := cgroup.ReadStats(paths)
	if err != nil {
		t.Fatal(err)
	}
	if s.OOMKills != 1 {
		t.Errorf("stats oom kills %d, want 1", s.OOMKills)
	}
	if under, err := cgroup.UnderOOM(paths); !paths.Unified() && (err != nil || under) {
		t.Errorf("under_oom %v %v with the OOM killer on", under, err)
	}
}

// TestReadBackRealKernel writes limits as libcontainer does and reads them
// back: the kernel's page rounding and unlimited value match Requested.
func TestReadBackRealKernel(t *testing.T) {
	paths := testCgroup(t, 3)
	mem, _ := paths.Dir("memory")
	pids, _ := paths.Dir("pids")
	writeCgroupFile(t, mem, memFile(paths), "100000000") // not page aligned
	writeCgroupFile(t, pids, "pids.max", "max")
	limit, pidsLimit := int64(100000000), int64(-1)
	r := &specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: &limit}, Pids: &specs.LinuxPids{Limit: &pidsLimit}}
	got, err := cgroup.ReadBack(paths, r, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range got {
		t.Logf("%s %s requested %s actual %s", l.Resource, l.File, l.Requested, l.Actual)
		if !l.Match() {
			t.Errorf("%s: requested %q, kernel holds %q", l.File, l.Requested, l.Actual)
		}
	}
	if len(got) != 2 {
		t.Fatalf("%d limits", len(got))
	}
	// A wrong request is seen as such.
	other := int64(50 << 20)
	r.Memory.Limit = &other
	got, err = cgroup.ReadBack(paths, r, nil)
	if err != nil || got[0].Match() {
		t.Fatalf("mismatch not seen: %+v %v", got, err)
	}
}
