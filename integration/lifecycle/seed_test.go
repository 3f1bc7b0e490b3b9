package lifecycle

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cgrun/cgrun/integration/testutil"
)

// The seed's rows that need a workload: stress beyond the memory limit,
// a fork loop beyond the pids limit, the OOM killer disabled, and the
// extension knob this kernel lacks.
func TestSeedWorkloads(t *testing.T) {
	testutil.RequireV1(t)
	c := testutil.NewCgrun(t)

	t.Run("stress beyond --memory", func(t *testing.T) {
		r := c.Run([]string{"--rm", "-m", "100M"}, "stress", "--vm", "1", "--vm-bytes", "150M", "--timeout", "20")
		if r.Code == 0 || !strings.Contains(r.Stderr+r.Stdout, "got signal 9") {
			t.Fatalf("want the worker killed by signal 9 and stress failing, got %s", r)
		}
	})
	t.Run("stress beyond --memory-swap", func(t *testing.T) {
		r := c.Run([]string{"--rm", "-m", "100M", "--memory-swap", "200M"}, "stress", "--vm", "1", "--vm-bytes", "300M", "--timeout", "20")
		if r.Code == 0 || !strings.Contains(r.Stderr+r.Stdout, "got signal 9") {
			t.Fatalf("want the worker killed by signal 9 and stress failing, got %s", r)
		}
	})
	t.Run("fork loop beyond --pids-limit", func(t *testing.T) {
		r := c.Run([]string{"--rm", "--pids-limit", "10"}, "sh", "-c", "for i in $(seq 1 20); do sleep 2 & done; wait")
		if r.Code == 0 || !strings.Contains(r.Stderr, "can't fork") {
			t.Fatalf("want busybox's fork failure, got %s", r)
		}
	})
	t.Run("--memory-wmark-ratio", func(t *testing.T) {
		_, err := os.Stat(filepath.Join(testutil.CgroupRoot, "memory", "memory.wmark_ratio"))
		r := c.Run([]string{"--rm", "--memory-wmark-ratio=60"}, "cat", "/sys/fs/cgroup/memory/memory.wmark_ratio")
		switch {
		case err == nil && (r.Code != 0 || r.Stdout != "60"):
			t.Fatalf("kernel has memory.wmark_ratio: want 60, got %s", r)
		case err != nil && (r.Code != 125 || !strings.Contains(r.Stderr, "--memory-wmark-ratio")):
			t.Fatalf("kernel lacks memory.wmark_ratio: want a 125 refusal naming the flag, got %s", r)
		}
	})
	t.Run("--oom-kill-disable pauses", func(t *testing.T) {
		id := runDetached(t, c, []string{"-m", "20m", "--oom-kill-disable=true"}, "sh", "-c", "x=a; while true; do x=$x$x$x$x; done")
		file := filepath.Join(testutil.CgroupRoot, "memory", c.Parent, id, "memory.oom_control")
		waitFor(t, func() bool {
			b, _ := os.ReadFile(file)
			return strings.Contains(string(b), "under_oom 1")
		}, "under_oom 1 in "+file)
		if in := inspect(t, c, id); !in.Running {
			t.Errorf("a container paused by the kernel must still run: %+v", in)
		}
		if r := c.Cmd("rm", "-f", id); r.Code != 0 {
			t.Fatalf("rm -f: %s", r)
		}
		assertNoLeftovers(t, c, id)
	})
	assertNoLeftovers(t, c, "")
}
