// Package lifecycle tests cgrun run and the container lifecycle (ps,
// inspect, logs, stop, kill, rm, wait, exec) on the real kernel, as root.
package lifecycle

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cgrun/cgrun/integration/testutil"
)

// inspected is the part of `cgrun inspect` the tests read.
type inspected struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	Status     string `json:"status"`
	Running    bool   `json:"running"`
	Pid        int    `json:"pid"`
	ExitCode   *int   `json:"exitCode"`
	OOMKilled  bool   `json:"oomKilled"`
	MonitorPid int    `json:"monitorPid"`
	Supervisor struct {
		Pid int `json:"pid"`
	} `json:"supervisor"`
	CgroupPaths map[string]string `json:"cgroupPaths"`
	Limits      []struct {
		Flag, File, Requested, Actual string
	} `json:"limits"`
}

func inspect(t *testing.T, c *testutil.Cgrun, ref string) inspected {
	t.Helper()
	r := c.Cmd("inspect", ref)
	if r.Code != 0 {
		t.Fatalf("inspect %s: %s", ref, r)
	}
	var out []inspected
	if err := json.Unmarshal([]byte(r.Stdout), &out); err != nil || len(out) != 1 {
		t.Fatalf("inspect %s: not one JSON object (%v): %s", ref, err, r.Stdout)
	}
	return out[0]
}

// runDetached runs `cgrun run -d` and returns the printed ID.
func runDetached(t *testing.T, c *testutil.Cgrun, flags []string, cmd ...string) string {
	t.Helper()
	r := c.Run(append([]string{"-d"}, flags...), cmd...)
	if r.Code != 0 || len(r.Stdout) != 64 {
		t.Fatalf("run -d: want exit 0 and a 64-character ID, got %s", r)
	}
	return r.Stdout
}

// assertNoLeftovers fails when id (or, with id "", any container) left a
// state directory, a cgroup under the test's parent or a mount.
func assertNoLeftovers(t *testing.T, c *testutil.Cgrun, id string) {
	t.Helper()
	ents, err := os.ReadDir(c.Root)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), ".") {
			continue
		}
		if id == "" || e.Name() == id {
			t.Errorf("state left behind: %s", filepath.Join(c.Root, e.Name()))
		}
	}
	pattern := id
	if pattern == "" {
		pattern = "*"
	}
	if dirs := c.CgroupDirs(pattern); len(dirs) > 0 {
		t.Errorf("cgroups left behind: %v", dirs)
	}
	mi, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(mi), "\n") {
		if strings.Contains(line, c.Root) {
			t.Errorf("mount left behind: %s", line)
		}
	}
}
