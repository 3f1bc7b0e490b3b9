package lifecycle

import (
	"encoding/json"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cgrun/cgrun/integration/testutil"
)

// A detached container is listed, inspected, logged, stopped, waited for
// and removed, leaving nothing behind.
func TestDetachedLifecycle(t *testing.T) {
	c := testutil.NewCgrun(t)
	id := runDetached(t, c, []string{"--name", "web", "-m", "50m"},
		"sh", "-c", `echo hello-log; trap 'echo bye; exit 3' TERM; while :; do sleep 0.1; done`)

	r := c.Cmd("ps")
	if r.Code != 0 || !strings.Contains(r.Stdout, id[:12]) || !strings.Contains(r.Stdout, "web") {
		t.Fatalf("ps: want the container listed, got %s", r)
	}
	r = c.Cmd("ps", "--format", "json")
	var list []struct {
		ID      string `json:"id"`
		Running bool   `json:"running"`
	}
	if err := json.Unmarshal([]byte(r.Stdout), &list); err != nil || len(list) != 1 || list[0].ID != id || !list[0].Running {
		t.Fatalf("ps --format json: want one running %s, got %s (%v)", id, r.Stdout, err)
	}
	in := inspect(t, c, "web")
	if in.ID != id || in.Status != "running" || in.Pid <= 0 || in.MonitorPid <= 0 {
		t.Fatalf("inspect: %+v", in)
	}
	if _, err := os.Stat("/proc/" + itoa(in.Pid)); err != nil {
		t.Errorf("inspect pid %d is not a live process: %v", in.Pid, err)
	}
	t.Logf("monitor VmRSS: %s", vmRSS(t, in.MonitorPid))

	waitFor(t, func() bool { return strings.Contains(c.Cmd("logs", id).Stdout, "hello-log") }, "logs to show hello-log")
	if r := c.Cmd("rm", id); r.Code != 125 {
		t.Errorf("rm of a running container: want 125, got %s", r)
	}
	if r := c.Cmd("stop", "-t", "5", "web"); r.Code != 0 {
		t.Fatalf("stop: %s", r)
	}
	if r := c.Cmd("wait", id[:12]); r.Code != 0 || r.Stdout != "3" {
		t.Errorf("wait: want 3 (the TERM trap's code), got %s", r)
	}
	if logs := c.Cmd("logs", "web").Stdout; !strings.Contains(logs, "bye") {
		t.Errorf("logs: want the trap's output, got %q", logs)
	}
	if r := c.Cmd("ps"); strings.Contains(r.Stdout, id[:12]) {
		t.Errorf("ps without -a lists a stopped container: %s", r.Stdout)
	}
	if r := c.Cmd("ps", "-a"); !strings.Contains(r.Stdout, "exited (3)") {
		t.Errorf("ps -a: want exited (3), got %s", r)
	}
	if dirs := c.CgroupDirs(id); len(dirs) > 0 {
		t.Errorf("a stopped container keeps cgroups: %v", dirs)
	}
	if r := c.Cmd("rm", "web"); r.Code != 0 {
		t.Fatalf("rm: %s", r)
	}
	if r := c.Cmd("inspect", id); r.Code != 125 {
		t.Errorf("inspect after rm: want 125, got %s", r)
	}
	assertNoLeftovers(t, c, "")
}

// stop escalates to SIGKILL after the grace period; the OOM kill of a
// detached container is recorded.
func TestStopKillAndOOM(t *testing.T) {
	c := testutil.NewCgrun(t)
	id := runDetached(t, c, nil, "sleep", "60") // pid 1 ignores SIGTERM
	start := time.Now()
	if r := c.Cmd("stop", "-t", "1", id); r.Code != 0 {
		t.Fatalf("stop: %s", r)
	}
	if d := time.Since(start); d < time.Second {
		t.Errorf("stop -t 1 returned after %v, before the grace period", d)
	}
	if r := c.Cmd("wait", id); r.Stdout != "137" {
		t.Errorf("wait after stop's SIGKILL: want 137, got %s", r)
	}

	oom := runDetached(t, c, []string{"-m", "20m"}, "sh", "-c", "x=a; while true; do x=$x$x$x$x; done")
	if r := c.Cmd("wait", oom); r.Stdout != "137" {
		t.Fatalf("wait: want 137, got %s", r)
	}
	if in := inspect(t, c, oom); !in.OOMKilled || in.ExitCode == nil || *in.ExitCode != 137 {
		t.Errorf("inspect: want oomKilled and 137, got %+v", in)
	}
}

// exec runs in the running container: its cgroup, its filesystem, its
// exit codes.
func TestExec(t *testing.T) {
	c := testutil.NewCgrun(t)
	id := runDetached(t, c, []string{"-m", "40m"}, "sh", "-c", "echo inside > /tmp/mark; sleep 60")
	waitFor(t, func() bool { return c.Cmd("exec", id, "cat", "/tmp/mark").Stdout == "inside" }, "exec to read the container's file")
	if r := c.Cmd("exec", "-e", "FOO=bar", "-w", "/tmp", id, "sh", "-c", `echo "$FOO $(pwd)"`); r.Code != 0 || r.Stdout != "bar /tmp" {
		t.Errorf("exec -e -w: want %q, got %s", "bar /tmp", r)
	}
	if testutil.CgroupMode() == testutil.V1 {
		if r := c.Cmd("exec", id, "cat", "/sys/fs/cgroup/memory/memory.limit_in_bytes"); r.Stdout != "41943040" {
			t.Errorf("exec: want the container's memory limit, got %s", r)
		}
	}
	// The exec'd process joins the container's cgroup: inside, v1 shows the
	// container's path and v2's cgroup namespace shows its root; from the
	// host, every cgroup directory of the container lists its PID.
	self, joined, all := execInCgroup(t, c, id)
	if testutil.CgroupMode() == testutil.V2 {
		if self != "0::/" {
			t.Errorf("exec'd process: /proc/self/cgroup %q, want %q (its cgroup namespace's root)", self, "0::/")
		}
	} else if !strings.Contains(self, id) {
		t.Errorf("exec'd process: /proc/self/cgroup %q does not name the container", self)
	}
	if len(all) == 0 || len(joined) != len(all) {
		t.Errorf("exec'd process is in %v of the container's cgroups %v (read from the host)", joined, all)
	}
	t.Logf("exec'd process: in %d cgroup directories from the host", len(joined))
	for _, tc := range []struct {
		cmd  []string
		want int
	}{{[]string{"sh", "-c", "exit 4"}, 4}, {[]string{"no-such-command"}, 127}, {[]string{"/etc/passwd"}, 126}} {
		if r := c.Cmd(append([]string{"exec", id}, tc.cmd...)...); r.Code != tc.want {
			t.Errorf("exec %v: want %d, got %s", tc.cmd, tc.want, r)
		}
	}
	if r := c.Cmd("rm", "-f", id); r.Code != 0 {
		t.Fatalf("rm -f: %s", r)
	}
	if r := c.Cmd("exec", id, "true"); r.Code != 125 {
		t.Errorf("exec into a removed container: want 125, got %s", r)
	}
	assertNoLeftovers(t, c, "")
}

// Two cgrun processes start containers at once; a name is taken once.
func TestConcurrentRuns(t *testing.T) {
	c := testutil.NewCgrun(t)
	var wg sync.WaitGroup
	results := make([]testutil.Result, 4)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			name := []string{"a", "b", "same", "same"}[i]
			results[i] = c.Run([]string{"--rm", "--name", name, "-m", "30m"}, "sh", "-c", "cat /proc/self/cgroup; sleep 1")
		}()
	}
	wg.Wait()
	for i, r := range results[:2] {
		if r.Code != 0 {
			t.Errorf("run %d: %s", i, r)
		}
	}
	same := []int{results[2].Code, results[3].Code}
	if !(same[0] == 0 && same[1] == 125 || same[0] == 125 && same[1] == 0) {
		t.Errorf("two runs named %q at once: want one 0 and one 125, got %s / %s", "same", results[2], results[3])
	}
	assertNoLeftovers(t, c, "")
}

// Nothing is left behind by --rm (foreground and detached), rm, rm -f,
// or a failed start.
func TestNothingLeaks(t *testing.T) {
	c := testutil.NewCgrun(t)
	if r := c.Run([]string{"--rm", "-m", "30m"}, "true"); r.Code != 0 {
		t.Fatalf("run --rm: %s", r)
	}
	if r := c.Run([]string{"--rm"}, "no-such-command"); r.Code != 127 {
		t.Fatalf("run --rm of a missing command: %s", r)
	}
	assertNoLeftovers(t, c, "")

	r := c.Run([]string{"--name", "kept"}, "true")
	if r.Code != 0 {
		t.Fatalf("run: %s", r)
	}
	if r := c.Cmd("ps", "-a", "-q"); r.Stdout == "" {
		t.Fatal("a container run without --rm is not kept")
	}
	if r := c.Cmd("rm", "kept"); r.Code != 0 {
		t.Fatalf("rm: %s", r)
	}
	assertNoLeftovers(t, c, "")

	id := runDetached(t, c, []string{"--rm"}, "sleep", "60")
	if r := c.Cmd("stop", "-t", "0", id); r.Code != 0 {
		t.Fatalf("stop: %s", r)
	}
	gone := func() bool { _, err := os.Stat(c.Root + "/" + id); return os.IsNotExist(err) }
	if !eventually(gone) {
		// Say why: the monitor's own errors are in the container's log.
		t.Fatalf("timed out waiting for --rm to remove the detached container\ninspect: %s\nlog: %s",
			c.Cmd("inspect", id), c.Cmd("logs", id))
	}
	assertNoLeftovers(t, c, "")

	id = runDetached(t, c, []string{"-m", "30m"}, "sleep", "60")
	if r := c.Cmd("rm", "-f", id); r.Code != 0 {
		t.Fatalf("rm -f: %s", r)
	}
	assertNoLeftovers(t, c, "")
}

func waitFor(t *testing.T, ok func() bool, what string) {
	t.Helper()
	if !eventually(ok) {
		t.Fatalf("timed out waiting for %s", what)
	}
}

// eventually polls ok for up to 10 s.
func eventually(ok func() bool) bool {
	deadline := time.Now().Add(10 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(50 * time.Millisecond)
	}
	return true
}

func itoa(n int) string { return strconv.Itoa(n) }

// vmRSS is the VmRSS line of /proc/PID/status.
func vmRSS(t *testing.T, pid int) string {
	t.Helper()
	b, err := os.ReadFile("/proc/" + itoa(pid) + "/status")
	if err != nil {
		t.Fatalf("monitor %d: %v", pid, err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			return strings.TrimSpace(v)
		}
	}
	return "?"
}
