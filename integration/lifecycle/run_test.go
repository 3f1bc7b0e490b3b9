package lifecycle

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/cgrun/cgrun/integration/testutil"
)

// The seed's memory, CPU-file and pids rows read from inside the container
// (v1 file names: the cgroup mount shows the container's own cgroup).
func TestRunLimitsReadInside(t *testing.T) {
	testutil.RequireV1(t)
	c := testutil.NewCgrun(t)
	cases := []struct {
		name  string
		flags []string
		file  string
		want  string
	}{
		{"memory", []string{"--memory", "100M"}, "memory/memory.limit_in_bytes", "104857600"},
		{"memory-swap", []string{"-m", "300M", "--memory-swap", "1G"}, "memory/memory.memsw.limit_in_bytes", "1073741824"},
		{"swappiness", []string{"--memory-swappiness=100"}, "memory/memory.swappiness", "100"},
		{"cpu-period", []string{"--cpu-period", "50000"}, "cpu/cpu.cfs_period_us", "50000"},
		{"cpu-quota", []string{"--cpu-quota", "1600"}, "cpu/cpu.cfs_quota_us", "1600"},
		{"cpu-shares", []string{"--cpu-shares", "1600"}, "cpu/cpu.shares", "1600"},
		{"cpuset-cpus", []string{"--cpuset-cpus", "0"}, "cpuset/cpuset.cpus", "0"},
		{"cpuset-mems", []string{"--cpuset-mems=0"}, "cpuset/cpuset.mems", "0"},
		{"pids", []string{"--pids-limit", "100"}, "pids/pids.max", "100"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := c.Run(append([]string{"--rm"}, tc.flags...), "cat", "/sys/fs/cgroup/"+tc.file)
			if r.Code != 0 || r.Stdout != tc.want {
				t.Fatalf("%v: cat %s: want %q, got %s", tc.flags, tc.file, tc.want, r)
			}
		})
	}
	t.Run("oom-kill-disable", func(t *testing.T) {
		r := c.Run([]string{"--rm", "-m", "20m", "--oom-kill-disable=true"}, "cat", "/sys/fs/cgroup/memory/memory.oom_control")
		if r.Code != 0 || !strings.Contains(r.Stdout, "oom_kill_disable 1") || !strings.Contains(r.Stdout, "under_oom 0") {
			t.Fatalf("want oom_kill_disable 1 and under_oom 0, got %s", r)
		}
	})
	t.Run("oom-score-adj", func(t *testing.T) {
		r := c.Run([]string{"--rm", "--oom-score-adj=300"}, "cat", "/proc/self/oom_score_adj")
		if r.Code != 0 || r.Stdout != "300" {
			t.Fatalf("want 300, got %s", r)
		}
	})
	assertNoLeftovers(t, c, "")
}

// The same limits read from the host's cgroup files and by inspect.
func TestRunLimitsReadFromHost(t *testing.T) {
	testutil.RequireV1(t)
	c := testutil.NewCgrun(t)
	id := runDetached(t, c, []string{"-m", "64m", "--cpu-period", "50000", "--cpu-quota", "25000", "--pids-limit", "20"}, "sleep", "60")
	want := map[string]string{
		"memory/memory.limit_in_bytes": "67108864",
		"cpu/cpu.cfs_period_us":        "50000",
		"cpu/cpu.cfs_quota_us":         "25000",
		"pids/pids.max":                "20",
	}
	for file, v := range want {
		ctl, name := filepath.Split(file)
		p := filepath.Join(testutil.CgroupRoot, ctl, c.Parent, id, name)
		b, err := os.ReadFile(p)
		if err != nil || strings.TrimSpace(string(b)) != v {
			t.Errorf("%s: want %q, got %q (%v)", p, v, b, err)
		}
	}
	in := inspect(t, c, id)
	if !in.Running || in.Pid <= 0 {
		t.Errorf("inspect: want running with a pid, got running=%v pid=%d", in.Running, in.Pid)
	}
	if len(in.Limits) < 4 {
		t.Errorf("inspect: want at least 4 limits, got %+v", in.Limits)
	}
	for _, l := range in.Limits {
		if l.Requested != l.Actual {
			t.Errorf("inspect: %s (%s) requested %q, read back %q", l.Flag, l.File, l.Requested, l.Actual)
		}
	}
	if r := c.Cmd("rm", "-f", id); r.Code != 0 {
		t.Fatalf("rm -f: %s", r)
	}
	assertNoLeftovers(t, c, id)
}

// Docker's exit codes.
func TestRunExitCodes(t *testing.T) {
	c := testutil.NewCgrun(t)
	cases := []struct {
		name  string
		flags []string
		cmd   []string
		want  int
	}{
		{"success", nil, []string{"true"}, 0},
		{"failure", nil, []string{"sh", "-c", "exit 1"}, 1},
		{"own code", nil, []string{"sh", "-c", "exit 42"}, 42},
		{"cannot invoke", nil, []string{"/etc/passwd"}, 126},
		{"not found", nil, []string{"no-such-command"}, 127},
		{"not found by path", nil, []string{"/no/such/file"}, 127},
		{"bad flag", []string{"--memory", "lots"}, []string{"true"}, 125},
		{"oom killed", []string{"-m", "20m"}, []string{"sh", "-c", "x=a; while true; do x=$x$x$x$x; done"}, 137},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := c.Run(append([]string{"--rm"}, tc.flags...), tc.cmd...)
			if r.Code != tc.want {
				t.Fatalf("%v: want exit %d, got %s", tc.cmd, tc.want, r)
			}
			if tc.want >= 125 && tc.want <= 127 && (r.Stderr == "" || strings.Count(r.Stderr, "\n") != 0) {
				t.Errorf("want one line on stderr, got %q", r.Stderr)
			}
		})
	}
	assertNoLeftovers(t, c, "")
}

// A signal sent to cgrun reaches the container's process; a process that
// dies of SIGTERM gives 143 (exec'd: pid 1 of a namespace ignores signals it
// does not handle, as under Docker).
func TestRunSignals(t *testing.T) {
	c := testutil.NewCgrun(t)
	cmd := exec.Command(c.Bin, "--root", c.Root, "run", "--rm", "--cgroup-parent", c.Parent, testutil.Image(t),
		"sh", "-c", `trap 'echo got-TERM; exit 143' TERM; echo ready; while :; do sleep 0.1; done`)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 6)
	if _, err := out.Read(buf); err != nil || string(buf) != "ready\n" {
		t.Fatalf("container did not start: %q %v", buf, err)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	rest := make([]byte, 64)
	n, _ := out.Read(rest)
	err = cmd.Wait()
	if cmd.ProcessState.ExitCode() != 143 || !strings.Contains(string(rest[:n]), "got-TERM") {
		t.Fatalf("want the trap's output and exit 143, got %q, %v", rest[:n], err)
	}

	id := runDetached(t, c, nil, "sleep", "60")
	if r := c.Cmd("exec", id, "sh", "-c", "kill -TERM $$; sleep 5"); r.Code != 143 {
		t.Errorf("exec'd process killed by SIGTERM: want 143, got %s", r)
	}
	if r := c.Cmd("kill", "-s", "KILL", id); r.Code != 0 {
		t.Fatalf("kill: %s", r)
	}
	if r := c.Cmd("wait", id); r.Code != 0 || r.Stdout != "137" {
		t.Errorf("wait after SIGKILL: want 137, got %s", r)
	}
}

// A flag value keeps its commas, as in Docker: -e A=1,2 is one variable.
func TestFlagValuesKeepCommas(t *testing.T) {
	c := testutil.NewCgrun(t)
	r := c.Run([]string{"--rm", "-e", "A=1,2", "-e", "B=x"}, "sh", "-c", `echo "$A|$B"`)
	if r.Code != 0 || r.Stdout != "1,2|x" {
		t.Fatalf("-e A=1,2 -e B=x: %s, want stdout 1,2|x", r)
	}
}
