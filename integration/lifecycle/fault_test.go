package lifecycle

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cgrun/cgrun/integration/testutil"
)

// The fault suite: cgrun SIGKILLed after each step of a run (its runner,
// the process under the supervisor that does the work), its supervisor
// (the process a shell started) or both. Each case ends with nothing left
// (state, name, cgroup, image mount, process) beyond the record of a
// container without --rm, and the container's exit code recorded where a
// process that saw it survived.

// runSteps are the runner's steps (runner.Options.AfterStep) in order;
// started: the user's process runs from this step on.
var runSteps = []struct {
	step    string
	started bool
}{
	{"recorded", false}, {"image", false}, {"network", false}, {"init", false},
	{"running", true}, {"exit", true}, {"exit-recorded", true}, {"reaped", true}, {"released", true},
}

// faultCommand is the container's: it runs long enough for a fault after
// "running" to land while it runs, and exits with a code of its own.
var faultCommand = []string{"sh", "-c", "sleep 1; exit 7"}

const faultCode = 7

type psJSON struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Status   string `json:"status"`
	ExitCode *int   `json:"exitCode"`
}

func psAll(t *testing.T, c *testutil.Cgrun) []psJSON {
	t.Helper()
	r := c.Cmd("ps", "-a", "--format", "json")
	var out []psJSON
	if r.Code != 0 || json.Unmarshal([]byte(r.Stdout), &out) != nil {
		t.Fatalf("ps -a: %s", r)
	}
	return out
}

// settle waits until the container named name is gone or exited (as ps
// sees it), at most 30 s, and returns its entry (nil: gone).
func settle(t *testing.T, c *testutil.Cgrun, name string) *psJSON {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var found *psJSON
		for _, e := range psAll(t, c) {
			if e.Name == name {
				found = &e
			}
		}
		if found == nil {
			return nil
		}
		if found.Status != "running" && found.Status != "created" && !strings.HasPrefix(found.Status, "restarting") {
			// an exited container's owner may still be releasing (and
			// removing it): wait settles that, then ps says what is left
			c.Cmd("wait", found.ID)
			for _, e := range psAll(t, c) {
				if e.Name == name {
					return &e
				}
			}
			return nil
		}
		if time.Now().After(deadline) {
			t.Fatalf("container %s still %s 30 s after the fault", name, found.Status)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// noLeftovers checks the harness's state root, cgroup parent and image
// store, and that no process of the container runs.
func noLeftovers(t *testing.T, c *testutil.Cgrun, store string, keep bool) {
	t.Helper()
	left := c.Leftovers()
	if keep { // the record of the exited container stays, and its name
		var rest []string
		for _, l := range left {
			if !strings.HasPrefix(l, "state ") && !strings.HasPrefix(l, "name ") {
				rest = append(rest, l)
			}
		}
		left = rest
	}
	if m, _ := filepath.Glob(filepath.Join(store, "mounts", "*")); len(m) > 0 {
		left = append(left, fmt.Sprintf("image mounts %v", m))
	}
	if mi, _ := os.ReadFile("/proc/self/mountinfo"); strings.Contains(string(mi), store) {
		left = append(left, "an overlay of the store is mounted")
	}
	if len(left) > 0 {
		t.Errorf("left behind: %v", left)
	}
}

// inVMSubset says whether a case of the fault matrix runs in the VM lane:
// there, under emulation five times slower, the steps around the user's
// process run (with --rm only), enough to see cgroup v2's release; the
// host lane runs the whole matrix.
func inVMSubset(step string, rm bool) bool {
	if !testutil.InVM() {
		return true
	}
	switch step {
	case "init", "running", "exit-recorded", "released":
		return rm
	}
	return false
}

// TestFaultForegroundRun kills `cgrun run` after each step.
func TestFaultForegroundRun(t *testing.T) {
	store := t.TempDir()
	image := testutil.TestImageOCI(t)
	for _, s := range runSteps {
		for _, fault := range []string{"runner", "supervisor", "both"} {
			for _, rm := range []bool{false, true} {
				if !inVMSubset(s.step, rm) {
					continue
				}
				t.Run(fmt.Sprintf("%s/%s/rm=%v", s.step, fault, rm), func(t *testing.T) {
					faultForeground(t, store, image, s.step, s.started, fault, rm)
				})
			}
		}
	}
}

func faultForeground(t *testing.T, store, image, step string, started bool, fault string, rm bool) {
	c := testutil.NewCgrun(t)
	args := []string{"--image-store", store, "run", "--cgroup-parent", c.Parent, "--name", "f"}
	if rm {
		args = append(args, "--rm")
	}
	p := c.StartPaused(step, append(append(args, image), faultCommand...)...)
	t.Logf("supervisor %d runner %d", p.Supervisor, p.Runner)
	if p.Runner == p.Supervisor {
		t.Fatal("cgrun run has no supervisor")
	}
	switch fault {
	case "runner":
		p.KillRunner()
		r := p.Wait(time.Minute)
		want := 125
		if started {
			want = faultCode
		}
		if r.Code != want {
			t.Errorf("run exited %d after its runner died at %s, want %d: %s", r.Code, step, want, r.Stderr)
		}
	case "supervisor":
		// the runner goes on alone (it holds the command's output)
		p.KillSupervisor()
		if err := syscall.Kill(p.Runner, syscall.SIGCONT); err != nil {
			t.Fatal(err)
		}
		p.Wait(time.Minute)
		p.WaitRunner(time.Minute)
	case "both":
		p.KillSupervisor()
		p.KillRunner()
		p.Wait(time.Minute)
	}
	e := settle(t, c, "f")
	switch {
	case rm || (!started && fault != "supervisor"):
		// --rm, or the run failed before the user's process ran (a
		// runner alone completes it): gone
		if e != nil {
			t.Errorf("after the fault: %+v, want no container", *e)
		}
	case e == nil:
		t.Error("after the fault the container is gone, want it exited")
	case fault == "both" && (step == "running" || step == "exit"):
		// nobody saw the exit: recorded as exited, its code lost
		if e.Status == "running" || e.ExitCode != nil {
			t.Errorf("after the fault: %+v, want exited with no code", *e)
		}
	case e.ExitCode == nil || *e.ExitCode != faultCode:
		t.Errorf("after the fault: %+v, want exited (%d)", *e, faultCode)
	}
	noLeftovers(t, c, store, e != nil)
	if e != nil {
		c.Cmd("rm", "-f", e.ID)
	}
}

// TestFaultDetachedRun kills the process of `cgrun run -d` that reaches
// each step, or its supervisor: the CLI's steps before the monitor starts
// (its runner), the monitor's up to the running container it hands off,
// then the adopter's the supervisor starts at the exit.
func TestFaultDetachedRun(t *testing.T) {
	store := t.TempDir()
	image := testutil.TestImageOCI(t)
	for _, s := range runSteps {
		for _, fault := range []string{"runner", "supervisor"} {
			if !inVMSubset(s.step, fault == "runner") {
				continue
			}
			t.Run(fmt.Sprintf("%s/%s", s.step, fault), func(t *testing.T) {
				faultDetached(t, store, image, s.step, s.started, fault)
			})
		}
	}
}

func faultDetached(t *testing.T, store, image, step string, started bool, fault string) {
	c := testutil.NewCgrun(t)
	report := filepath.Join(t.TempDir(), "paused")
	t.Setenv("CGRUN_PAUSE_REPORT", report)
	// Once the container runs, the monitor hands it off to the supervisor
	// (its keeper waits for the init): the steps from its exit on are the
	// adopter's the supervisor starts then. The first process to reach the
	// step pauses there.
	t.Setenv("CGRUN_PAUSE_ADOPTER_AFTER", step)
	args := append([]string{"--image-store", store, "run", "-d", "--cgroup-parent", c.Parent, "--name", "f", image}, faultCommand...)
	p := c.StartPaused(step, args...)
	var f []string
	for deadline := time.Now().Add(10 * time.Second); len(f) != 2; time.Sleep(10 * time.Millisecond) {
		b, _ := os.ReadFile(report)
		if f = strings.Fields(string(b)); len(f) != 2 && time.Now().After(deadline) {
			t.Fatalf("pause report %q", b)
		}
	}
	pid, _ := strconv.Atoi(f[1])
	t.Cleanup(func() { testutil.KillIfStopped(pid) })
	testutil.WaitStopped(t, pid)
	monitor := pid != p.Runner // the pause was the monitor's
	var supervisor int
	if monitor {
		supervisor = parentOf(pid)
	} else {
		supervisor = p.Supervisor
	}
	if fault == "runner" {
		if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
	} else {
		if err := syscall.Kill(supervisor, syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		if err := syscall.Kill(pid, syscall.SIGCONT); err != nil {
			t.Fatal(err)
		}
	}
	r := p.Wait(time.Minute)
	switch {
	case !monitor && fault == "runner":
		if r.Code != 125 {
			t.Errorf("run -d exited %d after its runner died at %s: %s", r.Code, step, r.Stderr)
		}
	case monitor && !started && fault == "runner":
		if r.Code != 125 || !strings.Contains(r.Stderr, "monitor") {
			t.Errorf("run -d exited %d after its monitor died at %s: %s", r.Code, step, r.Stderr)
		}
	}
	e := settle(t, c, "f")
	switch {
	case !started && fault == "runner":
		if e != nil {
			t.Errorf("after the fault: %+v, want no container", *e)
		}
	case e == nil:
		t.Error("after the fault the container is gone, want it exited")
	case e.ExitCode == nil || *e.ExitCode != faultCode:
		t.Errorf("after the fault: %+v, want exited (%d)", *e, faultCode)
	default:
		if w := c.Cmd("wait", e.ID); w.Stdout != strconv.Itoa(faultCode) {
			t.Errorf("wait: %s", w)
		}
	}
	noLeftovers(t, c, store, e != nil)
	if e != nil {
		c.Cmd("rm", "-f", e.ID)
	}
}

// parentOf reads a process's parent PID.
func parentOf(pid int) int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	i := strings.LastIndexByte(string(b), ')')
	f := strings.Fields(string(b)[i+1:])
	if len(f) < 2 {
		return 0
	}
	ppid, _ := strconv.Atoi(f[1])
	return ppid
}

// TestFaultRemove kills `cgrun rm -f` of a running detached container
// after each of its steps (the container stopped and its exit recorded,
// what it held released, its state renamed away): the next rm (or, for a
// removal already past its rename, the next command) finishes it, and
// nothing is left, its log and name included.
func TestFaultRemove(t *testing.T) {
	store := t.TempDir()
	image := testutil.TestImageOCI(t)
	for _, step := range []string{"rm-stopped", "rm-released", "rm-renamed"} {
		t.Run(step, func(t *testing.T) {
			c := testutil.NewCgrun(t)
			id := c.Cmd("--image-store", store, "run", "-d", "--cgroup-parent", c.Parent, "--name", "r", image, "sleep", "60")
			if id.Code != 0 {
				t.Fatalf("run -d: %s", id)
			}
			p := c.StartPaused(step, "--image-store", store, "rm", "-f", "r")
			p.KillRunner()
			p.Wait(time.Minute)
			if step != "rm-renamed" {
				if r := c.Cmd("--image-store", store, "rm", "-f", "r"); r.Code != 0 {
					t.Fatalf("rm -f after a killed rm -f: %s", r)
				}
			} else if e := psAll(t, c); len(e) != 0 { // gone for every command already
				t.Fatalf("ps -a after a removal killed past its rename: %+v", e)
			}
			noLeftovers(t, c, store, false)
			// the name is free again
			if r := c.Cmd("--image-store", store, "run", "--rm", "--cgroup-parent", c.Parent, "--name", "r", image, "true"); r.Code != 0 {
				t.Fatalf("run --name r after the removal: %s", r)
			}
			noLeftovers(t, c, store, false)
		})
	}
}
