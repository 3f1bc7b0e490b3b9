package lifecycle

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cgrun/cgrun/integration/testutil"
)

type restartInspect struct {
	Status       string `json:"status"`
	RestartCount int    `json:"restartCount"`
	ExitCode     *int   `json:"exitCode"`
}

func inspectRestart(t *testing.T, c *testutil.Cgrun, id string) restartInspect {
	t.Helper()
	r := c.Cmd("inspect", id)
	var in []restartInspect
	if r.Code != 0 || json.Unmarshal([]byte(r.Stdout), &in) != nil || len(in) != 1 {
		t.Fatalf("inspect %s: %s", id, r)
	}
	return in[0]
}

// The check: --restart on-failure:3 with a failing command runs
// four times, then the container is released completely (its image mount,
// its cgroup); wait returns once, at the end, with the last exit code.
func TestRestartOnFailureRunsFourTimes(t *testing.T) {
	c := testutil.NewCgrun(t)
	store := t.TempDir()
	r := c.Cmd("--image-store", store, "run", "-d", "--cgroup-parent", c.Parent, "--restart", "on-failure:3",
		testutil.TestImageOCI(t), "sh", "-c", "echo run; exit 3")
	id := mustOut(t, r, "run -d --restart on-failure:3")
	start := time.Now()
	if got := mustOut(t, c.Cmd("wait", id), "wait"); got != "3" {
		t.Fatalf("wait: %q, want 3", got)
	}
	if d := time.Since(start); d < 500*time.Millisecond {
		t.Errorf("wait returned after %v: the back-off (0.1+0.2+0.4 s) was not waited for", d)
	}
	if logs := mustOut(t, c.Cmd("logs", id), "logs"); logs != "run\nrun\nrun\nrun" {
		t.Errorf("logs: %q, want four runs", logs)
	}
	in := inspectRestart(t, c, id)
	if in.Status != "exited" || in.RestartCount != 3 || in.ExitCode == nil || *in.ExitCode != 3 {
		t.Errorf("inspect: %+v", in)
	}
	if ps := mustOut(t, c.Cmd("ps", "-a"), "ps -a"); !strings.Contains(ps, "exited (3), 3 restarts") {
		t.Errorf("ps -a: %s", ps)
	}
	if dirs := c.CgroupDirs(id); len(dirs) > 0 {
		t.Errorf("cgroups left after the last run: %v", dirs)
	}
	if m, _ := filepath.Glob(filepath.Join(store, "mounts", "*")); len(m) > 0 {
		t.Errorf("image mounts left after the last run: %v", m)
	}
	mi, _ := os.ReadFile("/proc/self/mountinfo")
	if strings.Contains(string(mi), store) {
		t.Error("an overlay of the store is still mounted")
	}
	mustOut(t, c.Cmd("rm", id), "rm")
}

// always restarts until stop, which ends the policy at once.
func TestRestartAlwaysUntilStop(t *testing.T) {
	c := testutil.NewCgrun(t)
	id := mustOut(t, c.Run([]string{"-d", "--restart", "always"}, "sh", "-c", "sleep 0.1; exit 0"), "run -d --restart always")
	deadline := time.Now().Add(30 * time.Second)
	for inspectRestart(t, c, id).RestartCount < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("no second restart in 30 s: %+v", inspectRestart(t, c, id))
		}
		time.Sleep(100 * time.Millisecond)
	}
	mustOut(t, c.Cmd("stop", "-t", "2", id), "stop")
	after := inspectRestart(t, c, id)
	time.Sleep(1500 * time.Millisecond)
	if in := inspectRestart(t, c, id); in.Status != "exited" || in.RestartCount != after.RestartCount {
		t.Errorf("after stop: %+v then %+v, want exited and no more restarts", after, in)
	}
	if dirs := c.CgroupDirs(id); len(dirs) > 0 {
		t.Errorf("cgroups left: %v", dirs)
	}
	mustOut(t, c.Cmd("rm", id), "rm")

	// rm -f ends it too.
	id = mustOut(t, c.Run([]string{"-d", "--restart", "unless-stopped"}, "sh", "-c", "exit 1"), "run -d --restart unless-stopped")
	time.Sleep(500 * time.Millisecond)
	mustOut(t, c.Cmd("rm", "-f", id), "rm -f")
	if left := c.Leftovers(); len(left) > 0 {
		t.Errorf("rm -f of a restarting container left %v", left)
	}
}

func TestRestartRefusals(t *testing.T) {
	c := testutil.NewCgrun(t)
	for _, flags := range [][]string{
		{"-d", "--restart", "sometimes"},
		{"-d", "--restart", "on-failure:x"},
		{"-d", "--restart", "always:3"},
		{"--restart", "always"},
		{"-d", "--rm", "--restart", "on-failure"},
	} {
		if r := c.Run(flags, "true"); r.Code != 125 || strings.Contains(r.Stderr, "\n") || !strings.Contains(r.Stderr, "--restart") {
			t.Errorf("%v: want exit 125 and one line naming --restart, got %s", flags, r)
		}
	}
	if left := c.Leftovers(); len(left) > 0 {
		t.Errorf("refused runs left %v", left)
	}
}
