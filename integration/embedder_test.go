package integration

import (
	"bytes"
	"debug/elf"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/cgrun/cgrun/integration/testutil"
)

// An embedder's programs (integration/embedder: their own module, with a
// replace directive to this one) use the library the way a higher-level
// runtime would, in both lanes; the CLI and the library release each
// other's containers, image mounts, cgroups and volumes.

// embedderBins builds the embedder's two programs once per test binary, or
// takes them from CGRUN_EMBEDDER_BINDIR (the VM lane builds them on the
// host first: compiling under emulation takes minutes).
func embedderBins(t *testing.T) (story, release string) {
	t.Helper()
	testutil.RequireRoot(t)
	dir := os.Getenv("CGRUN_EMBEDDER_BINDIR")
	if dir == "" {
		goBin := testutil.GoTool()
		_, err := exec.LookPath(goBin)
		testutil.Require(t, err == nil, "no go toolchain to build the embedder", "make test-integration")
		embedderBuild.Do(func() {
			dir, err := os.MkdirTemp("", "cgrun-embedder-")
			if err != nil {
				embedderBuild.err = err
				return
			}
			embedderBuild.dir = dir
			src := filepath.Join(testutil.RepoRoot(t), "integration", "embedder")
			for _, b := range []struct{ out, pkg string }{{"embedder", "."}, {"release", "./release"}} {
				cmd := exec.Command(goBin, "build", "-o", filepath.Join(dir, b.out), b.pkg)
				cmd.Dir = src
				if out, err := cmd.CombinedOutput(); err != nil {
					embedderBuild.err = fmt.Errorf("build the embedder's %s: %v\n%s", b.pkg, err, out)
					return
				}
			}
		})
		if embedderBuild.err != nil {
			t.Fatal(embedderBuild.err)
		}
		dir = embedderBuild.dir
	}
	return filepath.Join(dir, "embedder"), filepath.Join(dir, "release")
}

// embedderBuild is the one build of a test binary's run, in a temporary
// directory that TestMain removes.
var embedderBuild struct {
	sync.Once
	dir string
	err error
}

// runBin runs a program and returns its stdout, stderr and exit code.
func runBin(t *testing.T, bin string, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		return out.String(), errb.String(), ee.ExitCode()
	case err != nil:
		t.Fatalf("%s: %v", bin, err)
	}
	return out.String(), errb.String(), 0
}

// assertGone: no container state, no cgroup under the parent, nothing
// mounted from the store or the state directory.
func (e *imageEnv) assertGone(c *testutil.Cgrun) {
	e.t.Helper()
	if out := e.must("ps", "-a", "-q"); strings.TrimSpace(out) != "" {
		e.t.Errorf("containers left: %s", out)
	}
	if dirs := c.CgroupDirs("*"); len(dirs) > 0 {
		e.t.Errorf("cgroups left: %v", dirs)
	}
	if m := storeMounts(e.t, e.store); len(m) != 0 {
		e.t.Errorf("image mounts left: %v", m)
	}
	if m := storeMounts(e.t, e.root); len(m) != 0 {
		e.t.Errorf("mounts left under the state directory: %v", m)
	}
}

// The embedder's first story: an OCI layout, -m 100M and a pids limit, the
// exit code; the container is gone afterwards (AutoRemove).
func TestEmbedderRunsAContainer(t *testing.T) {
	story, _ := embedderBins(t)
	c := testutil.NewCgrun(t)
	e := &imageEnv{t: t, bin: c.Bin, root: c.Root, parent: c.Parent, store: t.TempDir()}
	t.Cleanup(e.cleanup)
	out, errs, code := runBin(t, story, "-root", e.root, "-images", e.store, "-parent", e.parent, testutil.TestImageOCI(t),
		"sh", "-c", "cd /sys/fs/cgroup; cat memory.max memory/memory.limit_in_bytes pids.max pids/pids.max 2>/dev/null; exit 7")
	if code != 7 || out != "104857600\n50\n" {
		t.Fatalf("embedder: exit %d, stdout %q, stderr %q; want exit 7 and the limits 104857600, 50", code, out, errs)
	}
	e.assertGone(c)
}

// Importing the library links no constructor that reads the program's argv
// (cgrun's head start, cmd/cgrun/early.c, is in cgrun's binary alone).
func TestEmbedderLinksNoConstructor(t *testing.T) {
	story, _ := embedderBins(t)
	has := func(bin, sym string) bool {
		t.Helper()
		f, err := elf.Open(bin)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		syms, err := f.Symbols()
		if err != nil {
			t.Fatalf("%s: %v", bin, err)
		}
		return slices.ContainsFunc(syms, func(s elf.Symbol) bool { return s.Name == sym })
	}
	if !has(testutil.CgrunBin(t), "cgrun_early") {
		t.Fatal("cgrun's binary has no cgrun_early: the check below would prove nothing")
	}
	if has(story, "cgrun_early") {
		t.Error("a program importing the library links cgrun's argv-reading constructor")
	}
	if !has(story, "cgrun_warm_spawn") {
		t.Error("the embedder lacks the warm package's spawn (container.Start calls it)")
	}
}

// A container the CLI started (detached, from an image: an overlay mount
// and a monitor) is removed by the library; one the library started
// (detached, its monitor the embedder's program) is removed by `cgrun rm
// -f`. Nothing is left mounted either way.
func TestCLIAndLibraryRemoveEachOthersContainers(t *testing.T) {
	_, release := embedderBins(t)
	c := testutil.NewCgrun(t)
	e := &imageEnv{t: t, bin: c.Bin, root: c.Root, parent: c.Parent, store: t.TempDir()}
	t.Cleanup(e.cleanup)
	lib := func(args ...string) string {
		t.Helper()
		out, errs, code := runBin(t, release, append([]string{"-root", e.root, "-images", e.store, "-parent", e.parent}, args...)...)
		if code != 0 {
			t.Fatalf("release %v: exit %d: %s", args, code, errs)
		}
		return strings.TrimSpace(out)
	}
	image := testutil.TestImageOCI(t)

	e.cleanupNames = append(e.cleanupNames, "by-cli", "by-lib")
	e.must("run", "-d", "--name", "by-cli", image, "sleep", "600")
	if m := storeMounts(t, e.store); len(m) != 1 {
		t.Fatalf("the CLI's container has %d image mounts, want 1: %v", len(m), m)
	}
	lib("rm", "by-cli")
	e.assertGone(c)

	id := lib("start", "by-lib", image, "sleep", "600")
	if got := strings.TrimSpace(e.must("ps", "-q")); got != id[:12] {
		t.Fatalf("cgrun ps sees %q, want the library's container %s running", got, id[:12])
	}
	if m := storeMounts(t, e.store); len(m) != 1 {
		t.Fatalf("the library's container has %d image mounts, want 1: %v", len(m), m)
	}
	e.must("rm", "-f", "by-lib")
	e.assertGone(c)
}

// The same with an iSCSI volume (VM lane): attached by the CLI, detached
// when the library removes the container, and the other way round.
func TestCLIAndLibraryReleaseEachOthersVolumes(t *testing.T) {
	e, c := runVolEnv(t)
	_, release := embedderBins(t)
	e.must("create", "--provision", "tgt", "--size", "32m", "xrel")
	e.must("publish", "xrel")
	iqn := e.iqn("xrel")
	lib := func(args ...string) string {
		t.Helper()
		out, errs, code := runBin(t, release, append([]string{"-root", c.Root, "-volumes", e.state, "-parent", c.Parent}, args...)...)
		if code != 0 {
			t.Fatalf("release %v: exit %d: %s", args, code, errs)
		}
		return strings.TrimSpace(out)
	}

	mustRun(t, c.Run([]string{"-d", "--name", "cli-vol", "-v", "xrel:/data"}, "sleep", "600"), "run -d")
	if u := e.users("xrel"); len(u) != 1 {
		t.Fatalf("users of xrel: %v, want the CLI's container", u)
	}
	lib("rm", "cli-vol")
	e.detached("xrel", iqn)

	id := lib("start", "lib-vol", testutil.Image(t), "-v", "xrel:/data", "sh", "-c", "echo by-lib > /data/f; sleep 600")
	if u := e.users("xrel"); len(u) != 1 || !strings.HasSuffix(u[0], "/"+id) {
		t.Fatalf("users of xrel: %v, want the library's container %s", u, id)
	}
	mustRun(t, c.Cmd("rm", "-f", "lib-vol"), "rm -f")
	e.detached("xrel", iqn)
	if out := mustRun(t, c.Run([]string{"--rm", "-v", "xrel:/data:ro"}, "cat", "/data/f"), "read back"); out != "by-lib" {
		t.Fatalf("the library's container wrote %q, want by-lib", out)
	}
	e.detached("xrel", iqn)
}
