package integration

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cgrun/cgrun/integration/testutil"
)

// The memory rows of the resource guide (SEED-TESTS.md) on the host's cgroup
// v1. Inside the container /sys/fs/cgroup/memory is the container's own
// cgroup; the paused container's under_oom is read from the host.

// doubling grows a shell string fourfold until the memory limit stops it.
const doubling = "x=a; while true; do x=$x$x$x$x; done"

func TestMemoryLimitFiles(t *testing.T) {
	c := seedEnv(t)
	cases := []struct {
		name  string
		flags []string
		file  string
		want  []string // lines of the file
	}{
		{"memory", []string{"--memory", "100M"}, "memory.limit_in_bytes", []string{"104857600"}},
		{"memory-swap", []string{"-m", "300M", "--memory-swap", "1G"}, "memory.memsw.limit_in_bytes", []string{"1073741824"}},
		{"memory-swappiness", []string{"--memory-swappiness=100"}, "memory.swappiness", []string{"100"}},
		{"oom-kill-disable", []string{"-m", "20m", "--oom-kill-disable=true"}, "memory.oom_control",
			[]string{"oom_kill_disable 1", "under_oom 0"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := seedRun(c, tc.flags, "cat", "/sys/fs/cgroup/memory/"+tc.file)
			for _, w := range tc.want {
				if r.Code != 0 || !hasLine(r.Stdout, w) {
					t.Errorf("cgrun run %s IMG cat %s: %s; want line %q", strings.Join(tc.flags, " "), tc.file, r, w)
				}
			}
			t.Logf("%s: %q", tc.file, r.Stdout)
		})
	}
}

// TestMemoryWmarkRatio: memory.wmark_ratio exists on Alibaba kernels only;
// elsewhere cgrun refuses the flag with exit 125, one line, and no cgroup.
func TestMemoryWmarkRatio(t *testing.T) {
	c := seedEnv(t)
	_, err := os.Stat(filepath.Join(testutil.CgroupRoot, "memory", "memory.wmark_ratio"))
	r := seedRun(c, []string{"--memory-wmark-ratio=60"}, "cat", "/sys/fs/cgroup/memory/memory.wmark_ratio")
	if err == nil {
		if r.Code != 0 || r.Stdout != "60" {
			t.Errorf("--memory-wmark-ratio=60 on a kernel with the file: %s; want 60", r)
		}
		return
	}
	t.Logf("refusal: %s", r.Stderr)
	if r.Code != 125 || strings.Contains(r.Stderr, "\n") || !strings.Contains(r.Stderr, "--memory-wmark-ratio") ||
		!strings.Contains(r.Stderr, "memory.wmark_ratio") {
		t.Errorf("--memory-wmark-ratio=60 on a kernel without memory.wmark_ratio: %s; want exit 125 and one line naming the flag and the file", r)
	}
	if dirs := c.CgroupDirs(""); len(dirs) != 0 {
		t.Errorf("refused run left cgroups behind: %v", dirs)
	}
}

func TestMemoryOOMExit137(t *testing.T) {
	c := seedEnv(t)
	r := seedRun(c, []string{"-m", "20m"}, "sh", "-c", doubling)
	t.Logf("-m 20m, doubling loop: exit %d", r.Code)
	if r.Code != 137 {
		t.Errorf("-m 20m, sh -c %q: %s; want exit 137 (killed by the memory cgroup)", doubling, r)
	}
}

// TestMemoryStressKilled: 150M of anonymous memory under -m 100M, with no
// swap on the host: the memory cgroup kills stress's worker.
func TestMemoryStressKilled(t *testing.T) {
	c := seedEnv(t)
	r := seedRun(c, []string{"-m", "100M"}, "stress", "--vm", "1", "--vm-bytes", "150M")
	t.Logf("-m 100M, stress --vm-bytes 150M: exit %d, %q", r.Code, r.Stderr)
	if r.Code == 0 || !strings.Contains(r.Stdout+r.Stderr, "got signal 9") {
		t.Errorf("-m 100M, stress --vm 1 --vm-bytes 150M: %s; want stress to fail with its worker killed (got signal 9)", r)
	}
}

// TestMemorySwapKilled: 300M under -m 100M --memory-swap 200M (both lanes:
// memory.memsw.limit_in_bytes on v1, memory.swap.max on v2).
func TestMemorySwapKilled(t *testing.T) {
	c := seedEnvAnyMode(t, "memory")
	r := seedRun(c, []string{"-m", "100M", "--memory-swap", "200M"}, "stress", "--vm", "1", "--vm-bytes", "300M")
	t.Logf("-m 100M --memory-swap 200M, stress --vm-bytes 300M: exit %d, %q", r.Code, r.Stderr)
	if r.Code == 0 || !strings.Contains(r.Stdout+r.Stderr, "got signal 9") {
		t.Errorf("-m 100M --memory-swap 200M, stress --vm 1 --vm-bytes 300M: %s; want stress to fail with its worker killed (got signal 9)", r)
	}
}

// TestMemoryOOMKillDisablePauses: with the OOM killer disabled the kernel
// parks the process at the limit instead of killing it: the host reads
// under_oom 1 while the process lives; the test then kills it.
func TestMemoryOOMKillDisablePauses(t *testing.T) {
	c := seedEnv(t)
	ctr := seedStart(t, c, []string{"-m", "20m", "--oom-kill-disable=true"}, "sh", "-c", doubling)
	oomControl := filepath.Join(ctr.cgroupDir(t, c, "memory"), "memory.oom_control")
	underOOM := func() bool { return hasLine(readFile(t, oomControl), "under_oom 1") }
	start := time.Now()
	if !waitUntil(30*time.Second, underOOM) {
		t.Fatalf("%s never read under_oom 1 within 30s: %q", oomControl, readFile(t, oomControl))
	}
	t.Logf("under_oom 1 after %.2fs: %q", time.Since(start).Seconds(), readFile(t, oomControl))
	time.Sleep(time.Second) // paused, not killed: still there a second later
	if !underOOM() || !hasLine(readFile(t, oomControl), "oom_kill 0") {
		t.Errorf("a second later %s reads %q; want under_oom 1 and oom_kill 0", oomControl, readFile(t, oomControl))
	}
	if s := seedInspect(t, c, ctr.ID); !s.Running {
		t.Errorf("container %s under OOM with the killer disabled: status %q, want running", ctr.ID, s.Status)
	}
	if _, err := os.Stat(filepath.Join("/proc", strconv.Itoa(ctr.Pid))); err != nil {
		t.Errorf("the paused process %d is gone: %v", ctr.Pid, err)
	}
	if r := c.Cmd("kill", ctr.ID); r.Code != 0 {
		t.Fatalf("cgrun kill %s: %s", ctr.ID, r)
	}
	if r := c.Cmd("wait", ctr.ID); r.Code != 0 || r.Stdout != "137" {
		t.Errorf("cgrun wait after cgrun kill (SIGKILL): %s; want 137", r)
	}
	if r := c.Cmd("rm", ctr.ID); r.Code != 0 {
		t.Errorf("cgrun rm %s: %s", ctr.ID, r)
	}
}

// TestMemoryOOMScoreAdj: the process's own oom_score_adj (both lanes).
func TestMemoryOOMScoreAdj(t *testing.T) {
	c := seedEnvAnyMode(t)
	r := seedRun(c, []string{"--oom-score-adj=300"}, "cat", "/proc/self/oom_score_adj")
	if r.Code != 0 || r.Stdout != "300" {
		t.Errorf("--oom-score-adj=300, cat /proc/self/oom_score_adj: %s; want 300", r)
	}
}
