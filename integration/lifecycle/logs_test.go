package lifecycle

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cgrun/cgrun/integration/testutil"
)

type logInspect struct {
	LogDir  string `json:"logDir"`
	LogPath string `json:"logPath"`
	Log     struct {
		Driver  string `json:"driver"`
		MaxSize int64  `json:"maxSize"`
		MaxFile int    `json:"maxFile"`
	} `json:"log"`
}

// logDir is where a detached container's log lives: its inspect's logDir.
func logDir(t *testing.T, c *testutil.Cgrun, id string) string {
	return inspectLog(t, c, id).LogDir
}

func inspectLog(t *testing.T, c *testutil.Cgrun, id string) logInspect {
	t.Helper()
	var out []logInspect
	r := c.Cmd("inspect", id)
	if err := json.Unmarshal([]byte(r.Stdout), &out); err != nil || len(out) != 1 || out[0].LogDir == "" {
		t.Fatalf("inspect %s: no logDir (%v): %s", id, err, r)
	}
	if out[0].LogPath != filepath.Join(out[0].LogDir, "json.log") {
		t.Errorf("inspect: logPath %q outside logDir %q", out[0].LogPath, out[0].LogDir)
	}
	return out[0]
}

func waitExited(t *testing.T, c *testutil.Cgrun, id string) {
	t.Helper()
	if r := c.Cmd("wait", id); r.Code != 0 {
		t.Fatalf("wait %s: %s", id, r)
	}
}

// A chatty container's log stays within --log-opt max-size × max-file on
// disk, outside the state root; `logs` reads across the rotated files with
// stdout and stderr apart, --tail and --since as Docker's; rm removes it.
func TestLogsRotationBounded(t *testing.T) {
	c := testutil.NewCgrun(t)
	// 20000 lines of 60 bytes (1.2 MB of text, about 2.4 MB of JSON)
	id := runDetached(t, c, []string{"--log-opt", "max-size=10k", "--log-opt", "max-file=3"}, "sh", "-c",
		`i=0; while [ $i -lt 20000 ]; do echo "out line $i ......................................"; i=$((i+1)); done; sleep 1; echo err-last >&2; sleep 0.2; echo out-last`)
	waitExited(t, c, id)
	dir := logDir(t, c, id)
	if strings.HasPrefix(dir, c.Root) {
		t.Errorf("log %s under the state root %s (tmpfs on most hosts)", dir, c.Root)
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var total int64
	for _, e := range ents {
		fi, _ := e.Info()
		total += fi.Size()
		if fi.Size() > 10<<10 {
			t.Errorf("%s is %d bytes, above max-size 10k", e.Name(), fi.Size())
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s mode %v, want 0600", e.Name(), fi.Mode().Perm())
		}
	}
	if len(ents) != 3 || total > 30<<10 {
		t.Errorf("log dir holds %d files, %d bytes; want 3 files within 30 KiB", len(ents), total)
	}
	t.Logf("20002 lines written, %d bytes kept in %d files", total, len(ents))

	r := c.Cmd("logs", id)
	lines := strings.Split(r.Stdout, "\n")
	if r.Code != 0 || lines[len(lines)-1] != "out-last" || strings.Contains(r.Stdout, "out line 0 ") || strings.Contains(r.Stdout, "err-last") {
		t.Fatalf("logs: exit %d, %d stdout lines, first %q last %q", r.Code, len(lines), lines[0], lines[len(lines)-1])
	}
	if r.Stderr != "err-last" {
		t.Errorf("logs stderr %q, want err-last alone", r.Stderr)
	}
	// the kept lines are the newest, in order, across the rotated files
	if n := len(lines); n < 100 || !strings.HasPrefix(lines[n-2], "out line 19999 ") {
		t.Errorf("logs: %d lines, before the last %q", n, lines[n-2])
	}
	if r := c.Cmd("logs", "--tail", "2", id); r.Stdout != "out-last" || r.Stderr != "err-last" {
		t.Errorf("logs --tail 2: %s", r)
	}
	if r := c.Cmd("logs", "-n", "0", id); r.Stdout != "" || r.Stderr != "" || r.Code != 0 {
		t.Errorf("logs -n 0: %s", r)
	}
	if r := c.Cmd("logs", "--since", "1m", "--tail", "1", "-t", id); r.Code != 0 || !strings.HasSuffix(r.Stdout, "Z out-last") {
		t.Errorf("logs --since 1m --tail 1 -t: %s", r)
	} else if ts, err := time.Parse(time.RFC3339Nano, strings.Fields(r.Stdout)[0]); err != nil || time.Since(ts) > time.Minute {
		t.Errorf("timestamp %q: %v", r.Stdout, err)
	}
	future := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	if r := c.Cmd("logs", "--since", future, id); r.Code != 0 || r.Stdout != "" || r.Stderr != "" {
		t.Errorf("logs --since %s: %s", future, r)
	}
	if r := c.Cmd("logs", "--tail", "x", id); r.Code != 125 || !strings.Contains(r.Stderr, "--tail") {
		t.Errorf("logs --tail x: %s", r)
	}
	if r := c.Cmd("rm", id); r.Code != 0 {
		t.Fatalf("rm: %s", r)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("rm left the log %s: %v", dir, err)
	}
	assertNoLeftovers(t, c, id)
}

// Without --log-opt a detached container gets Docker's bound (the
// project's default: 10 MiB × 3); --log-driver none keeps nothing and
// `logs` says so; bad options are refused with nothing made.
func TestLogsDefaultsAndRefusals(t *testing.T) {
	c := testutil.NewCgrun(t)
	id := runDetached(t, c, nil, "echo", "hi")
	waitExited(t, c, id)
	if l := inspectLog(t, c, id).Log; l.Driver != "json-file" || l.MaxSize != 10<<20 || l.MaxFile != 3 {
		t.Errorf("default log config: %+v", l)
	}
	none := runDetached(t, c, []string{"--log-driver", "none"}, "echo", "hi")
	waitExited(t, c, none)
	if r := c.Cmd("logs", none); r.Code != 125 || !strings.Contains(r.Stderr, "none") {
		t.Errorf("logs of --log-driver none: %s", r)
	}
	for _, bad := range [][]string{
		{"-d", "--log-opt", "max-size=0"},
		{"-d", "--log-opt", "max-file=0"},
		{"-d", "--log-opt", "max-size=10m,color=red"},
		{"-d", "--log-driver", "syslog"},
		{"--log-opt", "max-size=1m"}, // foreground: the terminal gets the output
	} {
		r := c.Run(bad, "true")
		if r.Code != 125 || !strings.Contains(r.Stderr, "--log-") || strings.Count(r.Stderr, "\n") > 0 {
			t.Errorf("run %v: want 125 and one line naming the flag, got %s", bad, r)
		}
	}
	c.Cmd("rm", id, none)
	assertNoLeftovers(t, c, "")
}

// logs -f prints what comes while the container runs and ends when it
// does; it reads on across a rotation.
func TestLogsFollow(t *testing.T) {
	c := testutil.NewCgrun(t)
	id := runDetached(t, c, []string{"--log-opt", "max-size=1k", "--log-opt", "max-file=2"}, "sh", "-c",
		`sleep 0.5; i=0; while [ $i -lt 60 ]; do echo "tick $i ........................."; i=$((i+1)); sleep 0.02; done`)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, c.Bin, "--root", c.Root, "logs", "-f", id)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var got []string
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		got = append(got, sc.Text())
	}
	if err := cmd.Wait(); err != nil || ctx.Err() != nil {
		t.Fatalf("logs -f did not end with the container: %v %v", err, ctx.Err())
	}
	// 60 lines of 49 bytes through 1k files: follow saw every one, in order
	if len(got) != 60 || got[0] != "tick 0 ........................." || got[59] != "tick 59 ........................." {
		t.Fatalf("logs -f: %d lines %q", len(got), got)
	}
	c.Cmd("rm", id)
}

// The output of a detached container reaches its log even after its
// monitor (its keeper, once handed off) is SIGKILLed: the supervisor
// copies the pipes and its adopter records the exit.
func TestLogsSurviveMonitorKill(t *testing.T) {
	c := testutil.NewCgrun(t)
	id := runDetached(t, c, nil, "sh", "-c", `echo before; sleep 1.5; echo after; echo after-err >&2`)
	waitFor(t, func() bool { return strings.Contains(c.Cmd("logs", id).Stdout, "before") }, "the first line")
	mon := inspect(t, c, id).MonitorPid
	if mon <= 0 {
		t.Fatalf("no monitor pid")
	}
	if err := syscall.Kill(mon, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitExited(t, c, id)
	waitFor(t, func() bool { return c.Cmd("logs", id).Stderr == "after-err" }, "the adopter to copy stderr")
	if r := c.Cmd("logs", id); r.Stdout != "before\nafter" {
		t.Errorf("logs after the monitor's SIGKILL: %s", r)
	}
	if r := c.Cmd("rm", id); r.Code != 0 {
		t.Fatalf("rm: %s", r)
	}
	assertNoLeftovers(t, c, id)
}

// Once a detached container runs, no Go process tends it: its monitor
// execs into the keeper and the supervisor copies its output, both C
// processes of one thread (conmon's footprint; make bench measures it).
func TestDetachedTendedByCProcesses(t *testing.T) {
	c := testutil.NewCgrun(t)
	id := runDetached(t, c, nil, "sh", "-c", "echo up; sleep 30")
	waitFor(t, func() bool { return strings.Contains(c.Cmd("logs", id).Stdout, "up") }, "the first line")
	in := inspect(t, c, id)
	// the shim copies from the handoff on; the monitor's exec follows it
	waitFor(t, func() bool {
		b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", in.MonitorPid))
		return strings.TrimSpace(string(b)) == "cgrun-keeper"
	}, "the monitor to exec into the keeper")
	for pid, comm := range map[int]string{in.MonitorPid: "cgrun-keeper", in.Supervisor.Pid: "cgrun-shim"} {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
		if err != nil {
			t.Fatalf("%s (pid %d): %v", comm, pid, err)
		}
		status := string(b)
		if !strings.Contains(status, "Name:\t"+comm+"\n") || !strings.Contains(status, "Threads:\t1\n") {
			t.Fatalf("pid %d tending the container: want %s with one thread:\n%s", pid, comm, status)
		}
		for _, l := range strings.Split(status, "\n") {
			if strings.HasPrefix(l, "RssAnon:") {
				t.Logf("%s %s", comm, strings.Join(strings.Fields(l), " "))
			}
		}
	}
	if r := c.Cmd("rm", "-f", id); r.Code != 0 {
		t.Fatalf("rm -f: %s", r)
	}
	assertNoLeftovers(t, c, id)
}

// The supervisor of a handed-off container is SIGKILLed while it runs:
// the keeper copies the rest of its output into the log and writes the
// exit of the init it reaps, which the next command records. No exit and
// no line is lost.
func TestLogsSurviveSupervisorKill(t *testing.T) {
	c := testutil.NewCgrun(t)
	id := runDetached(t, c, nil, "sh", "-c", `echo before; sleep 1.5; echo after; echo after-err >&2; exit 7`)
	waitFor(t, func() bool { return strings.Contains(c.Cmd("logs", id).Stdout, "before") }, "the first line")
	sup := inspect(t, c, id).Supervisor.Pid
	if sup <= 0 {
		t.Fatalf("no supervisor pid")
	}
	if err := syscall.Kill(sup, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if r := c.Cmd("wait", id); r.Code != 0 || r.Stdout != "7" {
		t.Fatalf("wait after the supervisor's SIGKILL: %s; want 7", r)
	}
	if r := c.Cmd("logs", id); r.Stdout != "before\nafter" || r.Stderr != "after-err" {
		t.Errorf("logs after the supervisor's SIGKILL: %s", r)
	}
	if r := c.Cmd("rm", id); r.Code != 0 {
		t.Fatalf("rm: %s", r)
	}
	assertNoLeftovers(t, c, id)
}
