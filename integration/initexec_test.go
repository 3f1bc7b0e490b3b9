package integration

import (
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cgrun/cgrun/container/initexec"
	"github.com/cgrun/cgrun/integration/testutil"
)

// TestInitOnSmallBinary: a container's init runs as cgrun-init, installed
// beside cgrun (package container/initexec), through a view the container
// cannot write (CVE-2019-5736), and only when it is fit to: absent, open to
// others' writes, owned by another user or built against another
// libcontainer release, the init stays in cgrun's own binary and the
// container runs all the same.
func TestInitOnSmallBinary(t *testing.T) {
	c := testutil.NewCgrun(t)
	initBin := filepath.Join(filepath.Dir(c.Bin), "cgrun-init")
	_, err := os.Stat(initBin)
	testutil.Require(t, err == nil, "no cgrun-init beside "+c.Bin, "make build")
	sum := fileSum(t, initBin)

	exe := initExe(t, c, c.Bin)
	t.Logf("the container's init runs %s", exe)
	if st := initStatus(t, c.Bin); !st.Used || st.Sealing == "" || st.Protocol == "" || st.Binary != initBin {
		t.Fatalf("cgrun check says %+v for the init it runs", st)
	}
	if filepath.Base(strings.TrimSuffix(exe, " (deleted)")) != "cgrun-init" && !strings.Contains(exe, "memfd:cgrun-init") {
		t.Fatalf("the container's init runs %q, not cgrun-init", exe)
	}
	if fileSum(t, initBin) != sum {
		t.Fatal("cgrun-init changed on the host")
	}

	// the same cgrun binary elsewhere, beside init binaries unfit to run
	copyFile := func(dst, src string, mode os.FileMode) {
		t.Helper()
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst, b, mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(dst, mode); err != nil { // past the umask
			t.Fatal(err)
		}
	}
	stays := func(name, dir, why string) {
		t.Helper()
		bin := filepath.Join(dir, "cgrun")
		if exe := initExe(t, c, bin); strings.Contains(exe, "cgrun-init") {
			t.Fatalf("%s: the container's init runs %q", name, exe)
		}
		if st := initStatus(t, bin); st.Used || !strings.Contains(st.Reason, why) {
			t.Fatalf("%s: cgrun check says %+v, want the reason %q", name, st, why)
		}
	}
	setup := func(name string) string {
		dir := filepath.Join(t.TempDir(), name)
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		copyFile(filepath.Join(dir, "cgrun"), c.Bin, 0o755)
		return dir
	}

	stays("no cgrun-init", setup("absent"), "none beside")

	dir := setup("groupwritable")
	copyFile(filepath.Join(dir, "cgrun-init"), initBin, 0o775)
	stays("a group-writable cgrun-init", dir, "only its owner")

	dir = setup("otheruser")
	copyFile(filepath.Join(dir, "cgrun-init"), initBin, 0o755)
	if err := os.Chown(filepath.Join(dir, "cgrun-init"), 65534, 65534); err != nil {
		t.Fatal(err)
	}
	stays("a cgrun-init owned by another user", dir, "only its owner")

	// built against another protocol: the init goes back to cgrun's binary
	// (a build: the host lane's, not the emulated VM lane's, time)
	if testutil.InVM() {
		t.Log("the init binary of another protocol is built and run on the host lane")
		return
	}
	goBin, err := exec.LookPath(testutil.GoTool())
	if err != nil {
		t.Fatal(err)
	}
	dir = setup("otherprotocol")
	build := exec.Command(goBin, "build", "-tags", "seccomp", "-o", filepath.Join(dir, "cgrun-init"), "./cmd/cgrun-init")
	build.Dir = testutil.RepoRoot(t)
	build.Env = append(os.Environ(), `CGO_CFLAGS=-O2 -DCGRUN_INITEXEC_PROTO="libcontainer-v0.0.0-test"`)
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build cgrun-init with another protocol: %v\n%s", err, out)
	}
	stays("a cgrun-init built against another libcontainer", dir, "built against libcontainer-v0.0.0-test")
}

// initExe starts `BIN run` paused once its container's init waits to exec
// the command, reads what that init runs (/proc/PID/exe), proves the
// container cannot write it there, and lets the run end: the command's exit
// code comes through.
func initExe(t *testing.T, c *testutil.Cgrun, bin string) string {
	t.Helper()
	cc := *c
	cc.Bin = bin
	p := cc.StartPaused("init", "run", "--rm", "--network", "none", "--cgroup-parent", c.Parent, testutil.Image(t), "sh", "-c", "exit 7")
	testutil.WaitStopped(t, p.Runner)
	init := childOf(t, p.Runner)
	exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", init))
	if err != nil {
		t.Fatal(err)
	}
	if f, err := os.OpenFile(fmt.Sprintf("/proc/%d/exe", init), os.O_WRONLY, 0); err == nil {
		_, werr := f.WriteAt([]byte{0}, 0)
		f.Close()
		if werr == nil {
			t.Fatalf("the init's binary %q took a write", exe)
		}
	} else if !errors.Is(err, syscall.EROFS) && !errors.Is(err, syscall.ETXTBSY) && !errors.Is(err, syscall.EPERM) && !errors.Is(err, syscall.EACCES) {
		t.Fatalf("open the init's binary %q for writing: %v", exe, err)
	}
	if err := syscall.Kill(p.Runner, syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	if r := p.Wait(time.Minute); r.Code != 7 {
		t.Fatalf("%s run: %s", bin, r)
	}
	return exe
}

// initStatus is what `BIN check --format json` says of the containers'
// init.
func initStatus(t *testing.T, bin string) initexec.Status {
	t.Helper()
	out, err := exec.Command(bin, "check", "--format", "json").Output()
	if err != nil {
		t.Fatalf("%s check: %v", bin, err)
	}
	var rep struct {
		Init initexec.Status `json:"init"`
	}
	if err := json.Unmarshal(out, &rep); err != nil {
		t.Fatal(err)
	}
	return rep.Init
}

// childOf is the one child of pid (the container's init under its runner).
func childOf(t *testing.T, pid int) int {
	t.Helper()
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", pid))
	var kids []int
	for _, f := range tasks {
		b, _ := os.ReadFile(f)
		for _, s := range strings.Fields(string(b)) {
			k, _ := strconv.Atoi(s)
			kids = append(kids, k)
		}
	}
	if len(kids) != 1 {
		t.Fatalf("runner %d has children %v, want the container's init alone", pid, kids)
	}
	return kids[0]
}

func fileSum(t *testing.T, path string) [32]byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		t.Fatal(err)
	}
	var s [32]byte
	copy(s[:], h.Sum(nil))
	return s
}
