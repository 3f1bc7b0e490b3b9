package testutil

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// CgrunBin returns the built cgrun (CGRUN_BIN, set by make test-integration).
func CgrunBin(t testing.TB) string {
	t.Helper()
	bin := os.Getenv("CGRUN_BIN")
	_, err := os.Stat(bin)
	Require(t, bin != "" && err == nil, "CGRUN_BIN does not name the built cgrun", "make test-integration")
	return bin
}

// RepoRoot is the directory holding go.mod above the test's directory.
func RepoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test's directory")
		}
		dir = parent
	}
}

// Image returns the IMAGE argument for `cgrun run` naming the test image
// (busybox and stress): CGRUN_IMAGE when set, else the root filesystem
// `make image` builds. This is the one place that says which form the
// tests use.
func Image(t testing.TB) string {
	t.Helper()
	if img := os.Getenv("CGRUN_IMAGE"); img != "" {
		return img
	}
	rootfs := filepath.Join(RepoRoot(t), "build", "testimage", "rootfs")
	_, err := os.Stat(filepath.Join(rootfs, "usr", "bin", "stress"))
	Require(t, err == nil, "test image not built at "+rootfs, "make image")
	return rootfs
}

// Result is what one cgrun command did.
type Result struct {
	Code   int
	Stdout string
	Stderr string
}

func (r Result) String() string {
	return fmt.Sprintf("exit %d, stdout %q, stderr %q", r.Code, r.Stdout, r.Stderr)
}

// Cgrun runs the built cgrun with a state root and a cgroup parent of the
// test's own (Root under t.TempDir(), Parent /cgrun-test-RANDOM), so tests
// never see each other's containers or cgroups. Its cleanup removes every
// container left (rm -f) and the parent cgroup in every hierarchy.
type Cgrun struct {
	t      testing.TB
	Bin    string
	Root   string
	Parent string
	// ids are the container IDs the harness saw printed (run -d), whose
	// logs Leftovers looks for.
	ids map[string]bool
	// Timeout bounds each command (default two minutes).
	Timeout time.Duration
}

// NewCgrun requires root and the built cgrun and makes the harness.
func NewCgrun(t testing.TB) *Cgrun {
	t.Helper()
	RequireRoot(t)
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	c := &Cgrun{t: t, Bin: CgrunBin(t), Root: filepath.Join(t.TempDir(), "state"), Parent: "/cgrun-test-" + hex.EncodeToString(b[:])}
	t.Cleanup(c.cleanup)
	return c
}

// Cmd runs `cgrun --root ROOT ARGS...` (at most Timeout).
func (c *Cgrun) Cmd(args ...string) Result {
	c.t.Helper()
	timeout := c.Timeout
	if timeout == 0 {
		timeout = 2 * time.Minute
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, c.Bin, append([]string{"--root", c.Root}, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := Result{Stdout: strings.TrimSpace(stdout.String()), Stderr: strings.TrimSpace(stderr.String())}
	c.NoteIDs(r.Stdout)
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee) && ctx.Err() == nil:
		r.Code = ee.ExitCode()
	default:
		c.t.Fatalf("cgrun %s: %v (stderr %q)", strings.Join(args, " "), err, r.Stderr)
	}
	return r
}

// Run runs `cgrun run --cgroup-parent PARENT FLAGS... IMAGE CMD...`; flags
// come before the image, cmd after.
func (c *Cgrun) Run(flags []string, cmd ...string) Result {
	c.t.Helper()
	args := append([]string{"run", "--cgroup-parent", c.Parent}, flags...)
	args = append(args, Image(c.t))
	return c.Cmd(append(args, cmd...)...)
}

// CgroupDirs lists the directories named PARENT[/SUB] in every v1
// hierarchy and the unified one that exist.
func (c *Cgrun) CgroupDirs(sub string) []string {
	matches, _ := filepath.Glob(filepath.Join(CgroupRoot, "*", c.Parent, sub))
	if d := filepath.Join(CgroupRoot, c.Parent, sub); isDir(d) {
		matches = append(matches, d)
	}
	var dirs []string
	for _, m := range matches {
		if isDir(m) {
			dirs = append(dirs, m)
		}
	}
	return dirs
}

func isDir(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}

func (c *Cgrun) cleanup() {
	if ids := c.Cmd("ps", "-a", "-q"); ids.Code == 0 && ids.Stdout != "" {
		c.Cmd(append([]string{"rm", "-f"}, strings.Fields(ids.Stdout)...)...)
	}
	for _, d := range c.CgroupDirs("") {
		if err := os.Remove(d); err != nil && !errors.Is(err, os.ErrNotExist) {
			c.t.Errorf("cgroup parent %s not removable (a container cgroup left behind?): %v", d, err)
		}
	}
}

// NoteIDs records the container IDs (64 hex digits on a line) in out, so
// that Leftovers looks for their logs.
func (c *Cgrun) NoteIDs(out string) {
	for _, l := range strings.Fields(out) {
		if len(l) == 64 && strings.Trim(l, "0123456789abcdef") == "" {
			if c.ids == nil {
				c.ids = map[string]bool{}
			}
			c.ids[l] = true
		}
	}
}

// LogRoot is where detached containers' logs live: the image store's
// containers/ (CGRUN_IMAGE_STORE or the default store).
func LogRoot() string {
	store := os.Getenv("CGRUN_IMAGE_STORE")
	if store == "" {
		store = "/var/lib/cgrun"
	}
	return filepath.Join(store, "containers")
}

// Leftovers lists what the harness's containers left behind: state
// entries under Root (directories being removed and names included),
// cgroups under Parent, mounts under Root, logs of removed containers.
func (c *Cgrun) Leftovers() []string {
	var left []string
	ents, _ := os.ReadDir(c.Root)
	for _, e := range ents {
		if !strings.HasPrefix(e.Name(), ".") || strings.HasPrefix(e.Name(), ".removed-") {
			left = append(left, "state "+filepath.Join(c.Root, e.Name()))
		}
	}
	names, _ := os.ReadDir(filepath.Join(c.Root, ".names"))
	for _, e := range names {
		left = append(left, "name "+e.Name())
	}
	for _, d := range c.CgroupDirs("*") {
		left = append(left, "cgroup "+d)
	}
	for id := range c.ids {
		if _, err := os.Stat(filepath.Join(c.Root, id)); err != nil {
			if _, err := os.Stat(filepath.Join(LogRoot(), id)); err == nil {
				left = append(left, "log "+filepath.Join(LogRoot(), id))
			}
		}
	}
	if mi, err := os.ReadFile("/proc/self/mountinfo"); err == nil {
		for _, line := range strings.Split(string(mi), "\n") {
			if strings.Contains(line, c.Root) {
				left = append(left, "mount "+line)
			}
		}
	}
	return append(left, c.processes()...)
}

// processes lists the processes that still name the state root in their
// command line (a supervisor, a keeper, a monitor or an adopter), after
// giving those that are ending a moment to go.
func (c *Cgrun) processes() []string {
	var left []string
	for deadline := time.Now().Add(3 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		left = left[:0]
		procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
		for _, p := range procs {
			b, err := os.ReadFile(p)
			if err != nil || !bytes.Contains(b, []byte(c.Root)) {
				continue
			}
			stat, _ := os.ReadFile(filepath.Join(filepath.Dir(p), "stat"))
			if f := strings.Fields(string(stat)); len(f) > 2 && f[2] == "Z" {
				continue // ended, its parent not told yet
			}
			left = append(left, "process "+filepath.Base(filepath.Dir(p))+" "+strings.ReplaceAll(string(b), "\x00", " "))
		}
		if len(left) == 0 || time.Now().After(deadline) {
			return left
		}
	}
}

// GoTool is the go command the tests build with: $GO (the Makefile's), else
// go from PATH.
func GoTool() string {
	if g := os.Getenv("GO"); g != "" {
		return g
	}
	return "go"
}
