package lifecycle

import (
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/cgrun/cgrun/integration/testutil"
)

// Lifecycle commands racing on one container end consistent: the
// container gone, nothing left (no state directory, lock file, name,
// cgroup), no error but "no such container" or "not running" from a
// command whose container went meanwhile.
func TestRaceStopKillRemove(t *testing.T) {
	c := testutil.NewCgrun(t)
	rounds := 25
	if testutil.InVM() { // five times slower under emulation
		rounds = 8
	}
	bad := []string{"not empty", "already finished", "panic", "timed out", "locked", "owned by another"}
	for round := 0; round < rounds; round++ {
		id := mustOut(t, c.Run([]string{"-d"}, "sleep", "30"), "run -d")
		cmds := [][]string{
			{"stop", "-t", "1", id}, {"kill", id}, {"rm", "-f", id}, {"wait", id}, {"rm", "-f", id}, {"kill", "-s", "TERM", id},
		}
		results := make([]testutil.Result, len(cmds))
		var wg sync.WaitGroup
		for i, args := range cmds {
			wg.Add(1)
			go func() {
				defer wg.Done()
				results[i] = c.Cmd(args...)
			}()
		}
		wg.Wait()
		removed := false
		for i, r := range results {
			for _, b := range bad {
				if strings.Contains(r.Stderr, b) {
					t.Errorf("round %d: %v: %s", round, cmds[i], r)
				}
			}
			if cmds[i][0] == "rm" && r.Code == 0 {
				removed = true
			}
			if r.Code != 0 && !strings.Contains(r.Stderr, "no such container") && !strings.Contains(r.Stderr, "not running") {
				t.Errorf("round %d: %v: %s", round, cmds[i], r)
			}
		}
		if !removed {
			t.Errorf("round %d: no rm -f succeeded: %v", round, results)
		}
		if ps := c.Cmd("ps", "-a", "-q"); ps.Stdout != "" {
			t.Errorf("round %d: ps -a: %s", round, ps)
		}
		if left := c.Leftovers(); len(left) > 0 {
			t.Fatalf("round %d: left behind: %v", round, left)
		}
	}
}

// A run racing rmis of its image holds the image from its pull to its
// mount: the run always runs (pulling it again after an rmi that came
// first), and each rmi removes the image or is refused while it is in use.
func TestRaceRunRmi(t *testing.T) {
	c := testutil.NewCgrun(t)
	store := t.TempDir()
	image := testutil.TestImageOCI(t)
	rounds := 8
	if testutil.InVM() {
		rounds = 3
	}
	for round := 0; round < rounds; round++ {
		done := make(chan struct{})
		var rmis []testutil.Result
		var wg sync.WaitGroup
		wg.Add(1)
		go func() { // rmi after rmi, until the run ends
			defer wg.Done()
			for {
				select {
				case <-done:
					return
				default:
				}
				rmis = append(rmis, c.Cmd("--image-store", store, "rmi", image))
			}
		}()
		run := c.Cmd("--image-store", store, "run", "--rm", "--cgroup-parent", c.Parent, image, "true")
		close(done)
		wg.Wait()
		if run.Code != 0 {
			t.Errorf("round %d: run: %s", round, run)
		}
		for _, rmi := range rmis {
			if rmi.Code != 0 && !strings.Contains(rmi.Stderr, "used by container") && !strings.Contains(rmi.Stderr, "not found") {
				t.Errorf("round %d: rmi: %s", round, rmi)
			}
		}
		if m, _ := filepath.Glob(filepath.Join(store, "mounts", "*")); len(m) > 0 {
			t.Fatalf("round %d: image mounts left: %v", round, m)
		}
	}
}
