package integration

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cgrun/cgrun/integration/testutil"
)

// cgrun run with iSCSI volumes (make test-vm): -v NAME:/path and --mount
// type=volume attach a volume provisioned on tgt; every exit path (foreground,
// --rm, detached through the monitor then rm -f) detaches it; a second writer
// is refused with exit 125 and nothing left; --device-read-bps NAME:RATE
// lands in io.max for the volume's disk.

// runVolEnv is a volume env plus a cgrun harness using its registry.
func runVolEnv(t *testing.T) (*volEnv, *testutil.Cgrun) {
	t.Helper()
	e := newVolEnv(t)
	c := testutil.NewCgrun(t) // cleaned up first: rm -f detaches, then the volumes go
	t.Setenv("CGRUN_VOLUME_DIR", e.state)
	return e, c
}

// detached says whether the volume has no attachment left, and nothing of
// it is in the kernel.
func (e *volEnv) detached(name, iqn string) {
	e.t.Helper()
	if v := e.inspect(name); v["attachment"] != nil {
		e.t.Fatalf("volume %s still attached: %v", name, v["attachment"])
	}
	e.assertNoTrace(iqn)
}

// users returns the users of name's attachment (none when detached).
func (e *volEnv) users(name string) []string {
	e.t.Helper()
	var v struct {
		Attachment *struct {
			Users map[string]json.RawMessage `json:"users"`
		} `json:"attachment"`
	}
	if err := json.Unmarshal([]byte(e.must("inspect", name)), &v); err != nil {
		e.t.Fatal(err)
	}
	var out []string
	if v.Attachment != nil {
		for u := range v.Attachment.Users {
			out = append(out, u)
		}
	}
	return out
}

func mustRun(t *testing.T, r testutil.Result, what string) string {
	t.Helper()
	if r.Code != 0 {
		t.Fatalf("%s: %s", what, r)
	}
	return r.Stdout
}

func TestVolumeRunWriteThenReadBack(t *testing.T) {
	e, c := runVolEnv(t)
	e.must("create", "--provision", "tgt", "--size", "64m", "data")
	e.must("publish", "data")
	iqn := e.iqn("data")

	// foreground, kept after exit: the volume is detached at exit already
	mustRun(t, c.Run([]string{"--name", "writer", "-v", "data:/data"}, "sh", "-c", "echo from-writer > /data/f && sync"), "writer")
	e.detached("data", iqn)
	mustRun(t, c.Cmd("rm", "writer"), "rm writer")

	// a second container reads it back (--rm), read-only
	if out := mustRun(t, c.Run([]string{"--rm", "-v", "data:/data:ro"}, "cat", "/data/f"), "reader"); out != "from-writer" {
		t.Fatalf("reader read %q, want from-writer", out)
	}
	e.detached("data", iqn)

	// --mount type=volume
	got := mustRun(t, c.Run([]string{"--rm", "--mount", "type=volume,source=data,target=/m,readonly"}, "sh", "-c", "cat /m/f; grep ' /m ' /proc/mounts"), "--mount reader")
	if !strings.HasPrefix(got, "from-writer\n") || !strings.Contains(got, " /m ext4 ro,") {
		t.Fatalf("--mount type=volume: %q", got)
	}
	e.detached("data", iqn)
	if ps := mustRun(t, c.Cmd("ps", "-a", "-q"), "ps"); ps != "" {
		t.Fatalf("containers left: %s", ps)
	}
}

func TestVolumeRunDetachedSecondWriterRefused(t *testing.T) {
	e, c := runVolEnv(t)
	e.must("create", "--provision", "tgt", "--size", "32m", "shared")
	e.must("publish", "shared")
	iqn := e.iqn("shared")

	id := mustRun(t, c.Run([]string{"-d", "-v", "shared:/data"}, "sleep", "600"), "run -d")
	if u := e.users("shared"); len(u) != 1 || !strings.HasSuffix(u[0], "/"+id) {
		t.Fatalf("users of shared: %v, want the state dir of %s", u, id)
	}
	for _, flags := range [][]string{
		{"--rm", "-v", "shared:/data"},
		{"--rm", "-v", "shared:/data:ro"}, // the first one writes
		{"--rm", "--mount", "type=volume,src=shared,dst=/data"},
	} {
		r := c.Run(flags, "true")
		if r.Code != 125 || !strings.Contains(r.Stderr, "in use") || !strings.Contains(r.Stderr, id[:12]) || strings.Contains(r.Stderr, "\n") {
			t.Fatalf("second user %v: want exit 125 and one line naming %s, got %s", flags, id[:12], r)
		}
	}
	if ps := mustRun(t, c.Cmd("ps", "-a", "-q"), "ps"); ps != id[:12] {
		t.Fatalf("refused runs left containers: %q", ps)
	}
	if u := e.users("shared"); len(u) != 1 {
		t.Fatalf("refused runs changed the users: %v", u)
	}
	// reconcile keeps a running container's attachment
	e.must("reconcile")
	if u := e.users("shared"); len(u) != 1 {
		t.Fatalf("reconcile dropped a running container: %v", u)
	}
	mustRun(t, c.Cmd("rm", "-f", id), "rm -f")
	e.detached("shared", iqn)

	// two read-only users share it; the monitor detaches at exit
	a := mustRun(t, c.Run([]string{"-d", "-v", "shared:/data:ro"}, "sleep", "600"), "ro 1")
	mustRun(t, c.Run([]string{"--rm", "-v", "shared:/data:ro"}, "true"), "ro 2")
	if u := e.users("shared"); len(u) != 1 {
		t.Fatalf("users after the second reader left: %v", u)
	}
	mustRun(t, c.Cmd("kill", a), "kill")
	mustRun(t, c.Cmd("wait", a), "wait")
	e.detached("shared", iqn)
	mustRun(t, c.Cmd("rm", a), "rm")
}

func TestVolumeRunDeviceReadBps(t *testing.T) {
	testutil.RequireV2Controllers(t, "io")
	e, c := runVolEnv(t)
	e.must("create", "--provision", "tgt", "--size", "32m", "thr")
	e.must("publish", "thr")
	iqn := e.iqn("thr")
	out := mustRun(t, c.Run([]string{"--rm", "-v", "thr:/data", "--device-read-bps", "thr:1mb", "--device-write-iops", "thr:100"},
		"sh", "-c", `awk '$5=="/data"{print $3}' /proc/self/mountinfo; cat /sys/fs/cgroup/io.max`), "run")
	lines := strings.SplitN(out, "\n", 2)
	if len(lines) != 2 || !strings.Contains(lines[0], ":") {
		t.Fatalf("output %q", out)
	}
	want := fmt.Sprintf("%s rbps=1048576 wbps=max riops=max wiops=100", lines[0])
	if !strings.Contains(lines[1], want) {
		t.Fatalf("io.max %q, want a line %q", lines[1], want)
	}
	e.detached("thr", iqn)
	// a volume name not attached by the run is refused before anything
	r := c.Run([]string{"--rm", "--device-read-bps", "thr:1mb"}, "true")
	if r.Code != 125 || !strings.Contains(r.Stderr, "--device-read-bps") || !strings.Contains(r.Stderr, "-v thr:/PATH") {
		t.Fatalf("limit on a volume not mounted: %s", r)
	}
}

// `cgrun run --rm -v VOL:/data` whose runner is SIGKILLed after each of its
// steps from the attach on: the supervisor (or, before the user's process
// ran, the runner's own undo) detaches the volume, removes the container
// and passes the exit code on; what the container fsynced is on the disk.
func TestVolumeRunFault(t *testing.T) {
	e, c := runVolEnv(t)
	e.must("create", "--provision", "tgt", "--size", "32m", "fault")
	e.must("publish", "fault")
	iqn := e.iqn("fault")
	for i, s := range []struct {
		step    string
		started bool
	}{{"volumes", false}, {"init", false}, {"running", true}, {"exit-recorded", true}, {"released", true}} {
		t.Run(s.step, func(t *testing.T) {
			p := c.StartPaused(s.step, "run", "--rm", "--cgroup-parent", c.Parent, "-v", "fault:/data", testutil.Image(t),
				"sh", "-c", fmt.Sprintf("echo %d > /data/f; sync; sleep 1; exit 7", i))
			p.KillRunner()
			r := p.Wait(2 * time.Minute)
			want := 125
			if s.started {
				want = 7
			}
			if r.Code != want {
				t.Errorf("run exited %d after its runner died at %s, want %d: %s", r.Code, s.step, want, r.Stderr)
			}
			waitUntil(30*time.Second, func() bool { return len(e.users("fault")) == 0 && len(c.Leftovers()) == 0 })
			e.detached("fault", iqn)
			if left := c.Leftovers(); len(left) > 0 {
				t.Errorf("left behind: %v", left)
			}
			if s.started {
				if out := mustRun(t, c.Run([]string{"--rm", "-v", "fault:/data:ro"}, "cat", "/data/f"), "reader"); out != fmt.Sprint(i) {
					t.Errorf("the volume holds %q, want %d", out, i)
				}
				e.detached("fault", iqn)
			}
		})
	}
}

// `cgrun rm -f` of a detached container with a volume, SIGKILLed after
// each of its steps: the next rm -f detaches the volume and leaves nothing.
func TestVolumeRemoveFault(t *testing.T) {
	e, c := runVolEnv(t)
	e.must("create", "--provision", "tgt", "--size", "32m", "rmfault")
	e.must("publish", "rmfault")
	iqn := e.iqn("rmfault")
	for _, step := range []string{"rm-stopped", "rm-released", "rm-renamed"} {
		t.Run(step, func(t *testing.T) {
			mustRun(t, c.Run([]string{"-d", "--name", "v", "-v", "rmfault:/data"}, "sleep", "60"), "run -d")
			p := c.StartPaused(step, "rm", "-f", "v")
			p.KillRunner()
			p.Wait(time.Minute)
			if step != "rm-renamed" {
				mustRun(t, c.Cmd("rm", "-f", "v"), "rm -f after a killed rm -f")
			} else if ps := mustRun(t, c.Cmd("ps", "-a", "-q"), "ps"); ps != "" {
				// past the rename the container is gone for every command;
				// the next (this ps) sweeps what the removal left
				t.Fatalf("ps -a after a removal killed past its rename: %s", ps)
			}
			e.detached("rmfault", iqn)
			if left := c.Leftovers(); len(left) > 0 {
				t.Errorf("left behind: %v", left)
			}
		})
	}
}
