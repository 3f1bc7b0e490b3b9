package integration

import (
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The pids rows of the resource guide (SEED-TESTS.md) on the host's cgroup v1.

func TestPidsLimitFile(t *testing.T) {
	c := seedEnv(t)
	r := seedRun(c, []string{"--pids-limit", "100"}, "cat", "/sys/fs/cgroup/pids/pids.max")
	if r.Code != 0 || r.Stdout != "100" {
		t.Errorf("--pids-limit 100, cat pids.max: %s; want 100", r)
	}
}

// forkLoop runs an inner shell that forks 20 sleepers; under --pids-limit 10
// its fork fails, and the outer shell then execs (no fork) so the container
// stays at its limit while the host is checked.
const forkLoop = `sh -c 'for i in $(seq 20); do sleep 60 & done'; echo fork-loop-ended; exec sleep 60`

// TestPidsLimitForkFails: a fork loop inside --pids-limit 10 hits the limit
// (busybox sh: "can't fork: Resource temporarily unavailable") while the
// host, at the same moment, still forks.
func TestPidsLimitForkFails(t *testing.T) {
	c := seedEnv(t)
	ctr := seedStart(t, c, []string{"--pids-limit", "10"}, "sh", "-c", forkLoop)
	var logs string
	if !waitUntil(20*time.Second, func() bool {
		r := c.Cmd("logs", ctr.ID) // the shell's complaint is on stderr, kept apart as Docker does
		logs = r.Stdout + "\n" + r.Stderr
		return strings.Contains(logs, "fork-loop-ended")
	}) {
		t.Fatalf("the fork loop did not end within 20s; logs %q", logs)
	}
	t.Logf("container output: %q", logs)
	if !strings.Contains(logs, "can't fork") && !strings.Contains(logs, "Resource temporarily unavailable") {
		t.Errorf("--pids-limit 10, fork loop: output %q; want the shell's fork failure", logs)
	}
	dir := ctr.cgroupDir(t, c, "pids")
	cur, _ := strconv.Atoi(readFile(t, filepath.Join(dir, "pids.current")))
	events := readFile(t, filepath.Join(dir, "pids.events"))
	t.Logf("host: pids.max %s, pids.current %d, pids.events %q", readFile(t, filepath.Join(dir, "pids.max")), cur, events)
	if cur < 2 || cur > 10 || events == "max 0" {
		t.Errorf("host view of the container: pids.current %d, pids.events %q; want 2..10 and a refused fork counted", cur, events)
	}
	// The host is unaffected: it forks 20 processes while the container
	// sits at its limit.
	for i := 0; i < 20; i++ {
		if out, err := exec.Command("true").CombinedOutput(); err != nil {
			t.Fatalf("host fork %d while the container is at its pids limit: %v: %s", i, err, out)
		}
	}
	if s := seedInspect(t, c, ctr.ID); !s.Running {
		t.Errorf("container %s ended early (status %q); the host check did not run beside a full container", ctr.ID, s.Status)
	}
}

// exec into a container at its pids limit is refused in one line (126),
// not with the Go runtime's dump of the init that could not start a
// thread; with room again, exec works and its stderr passes through.
func TestExecAtPidsLimit(t *testing.T) {
	c := seedEnv(t)
	ctr := seedStart(t, c, []string{"--pids-limit", "10"}, "sh", "-c", forkLoop)
	if !waitUntil(20*time.Second, func() bool { return strings.Contains(c.Cmd("logs", ctr.ID).Stdout, "fork-loop-ended") }) {
		t.Fatal("the fork loop did not end within 20s")
	}
	r := c.Cmd("exec", ctr.ID, "true")
	if r.Code != 126 || strings.Count(r.Stderr, "\n") > 0 || !strings.Contains(r.Stderr, "pids limit") {
		t.Errorf("exec at the pids limit: %s; want 126 and one line naming the pids limit", r)
	}
	if r := c.Cmd("update", "--pids-limit", "100", ctr.ID); r.Code != 0 {
		t.Fatalf("update: %s", r)
	}
	r = c.Cmd("exec", ctr.ID, "sh", "-c", "echo out; echo err >&2; exit 3")
	if r.Code != 3 || r.Stdout != "out" || r.Stderr != "err" {
		t.Errorf("exec with room: %s; want 3, out, err", r)
	}
}
