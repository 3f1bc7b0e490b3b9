package lifecycle

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/cgrun/cgrun/integration/testutil"
)

// execInCgroup runs `cgrun exec ID sh` that prints its PID in the
// container and its /proc/self/cgroup, then sleeps; while it sleeps, the
// container's cgroup directories are read from the host. It returns the
// /proc/self/cgroup text and the cgroup directories whose cgroup.procs list
// the exec'd process (matched by its PID inside the container through
// NSpid), out of all the container's cgroup directories.
func execInCgroup(t *testing.T, c *testutil.Cgrun, id string) (selfCgroup string, joined, all []string) {
	t.Helper()
	cmd := exec.Command(c.Bin, "--root", c.Root, "exec", id, "sh", "-c", `echo $$; cat /proc/self/cgroup; echo end; exec sleep 30`)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := false
	t.Cleanup(func() {
		if !done {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	sc := bufio.NewScanner(out)
	var lines []string
	for sc.Scan() && sc.Text() != "end" {
		lines = append(lines, sc.Text())
	}
	if len(lines) < 2 {
		t.Fatalf("exec printed %q, want its PID and /proc/self/cgroup", lines)
	}
	inner, err := strconv.Atoi(lines[0])
	if err != nil {
		t.Fatalf("exec printed PID %q: %v", lines[0], err)
	}
	all = c.CgroupDirs(id)
	for _, d := range all {
		if slices.ContainsFunc(readProcs(t, d), func(pid int) bool { return innerPID(pid) == inner }) {
			joined = append(joined, d)
		}
	}
	cmd.Process.Kill()
	cmd.Wait()
	done = true
	return strings.Join(lines[1:], "\n"), joined, all
}

// readProcs reads the host PIDs in dir/cgroup.procs.
func readProcs(t *testing.T, dir string) []int {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "cgroup.procs"))
	if err != nil {
		t.Fatal(err)
	}
	var pids []int
	for _, f := range strings.Fields(string(b)) {
		if pid, err := strconv.Atoi(f); err == nil {
			pids = append(pids, pid)
		}
	}
	return pids
}

// innerPID is host process pid's PID in its innermost PID namespace (the
// last NSpid field), -1 if unknown.
func innerPID(pid int) int {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "status"))
	if err != nil {
		return -1
	}
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) > 1 && f[0] == "NSpid:" {
			if n, err := strconv.Atoi(f[len(f)-1]); err == nil {
				return n
			}
		}
	}
	return -1
}
