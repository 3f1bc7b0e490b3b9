package shim

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// The test binary is its own monitor: `shim.test cgrun-monitor DIR MODE`
// gets a supervisor from the constructor, as cgrun's monitor does.
func TestMain(m *testing.M) {
	if len(os.Args) == 4 && os.Args[1] == MonitorArg {
		os.Exit(helper(os.Args[2], os.Args[3]))
	}
	os.Exit(m.Run())
}

func writeFile(dir, name, v string) {
	_ = os.WriteFile(filepath.Join(dir, name+".tmp"), []byte(v), 0o600)
	_ = os.Rename(filepath.Join(dir, name+".tmp"), filepath.Join(dir, name))
}

// helper plays a monitor. MODE "adopt": a "container" (sh) that prints
// and exits 7 after a while, its output through a kept pipe, then it
// waits to be killed; its adopter collects the exit. MODE "done": says
// Done and exits 3. MODE "signal": says Done, exits 0 on SIGTERM.
func helper(dir, mode string) int {
	if Adopting() {
		return adopter(dir)
	}
	if !Supervised() {
		return 90
	}
	writeFile(dir, "parents", fmt.Sprintf("%d %d", os.Getpid(), os.Getppid()))
	switch mode {
	case "done":
		_ = Done()
		return 3
	case "signal":
		_ = Done() // a monitor's container is announced by its argv
		ch := make(chan os.Signal, 1)
		signal.Notify(ch, syscall.SIGTERM)
		writeFile(dir, "ready", "")
		<-ch
		writeFile(dir, "got", "SIGTERM")
		return 0
	}
	if err := Announce(dir, mode); err != nil {
		return 91
	}
	r, w, err := os.Pipe()
	if err != nil {
		return 92
	}
	if err := Keep("out", r); err != nil {
		return 93
	}
	cmd := exec.Command("sh", "-c", "sleep 0.5; echo hello; exit 7")
	cmd.Stdout = w
	if err := cmd.Start(); err != nil {
		return 94
	}
	writeFile(dir, "pid", strconv.Itoa(cmd.Process.Pid))
	writeFile(dir, "ready", "")
	select {}
}

func adopter(dir string) int {
	b, _ := os.ReadFile(filepath.Join(dir, "pid"))
	pid, _ := strconv.Atoi(string(b))
	out := Kept("out")
	if out == nil {
		return 95
	}
	exits, ready, err := Exits()
	if err != nil {
		return 96
	}
	<-ready
	for e := range exits {
		if e.Pid != pid {
			continue
		}
		// the container ended: whatever it wrote is in the kept pipe
		_ = unix.SetNonblock(int(out.Fd()), true)
		var buf bytes.Buffer
		_, _ = io.Copy(&buf, out)
		writeFile(dir, "out", buf.String())
		_ = Done()
		return e.Status.ExitStatus()
	}
	return 97
}

func waitFile(t *testing.T, path string) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		b, err := os.ReadFile(path)
		if err == nil {
			return string(b)
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %s in 10 s", path)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func startMonitor(t *testing.T, mode string) (*exec.Cmd, string) {
	t.Helper()
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], MonitorArg, dir, mode)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	return cmd, dir
}

func parents(t *testing.T, dir string, supervisor int) int {
	t.Helper()
	f := strings.Fields(waitFile(t, filepath.Join(dir, "parents")))
	if len(f) != 2 {
		t.Fatalf("parents: %q", f)
	}
	child, _ := strconv.Atoi(f[0])
	parent, _ := strconv.Atoi(f[1])
	if parent != supervisor || child == supervisor {
		t.Fatalf("the monitor %d has parent %d, want the supervisor %d", child, parent, supervisor)
	}
	return child
}

func exitCode(err error) int {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	if err == nil {
		return 0
	}
	return -1
}

// The supervised process dies by SIGKILL while its "container" runs: the
// supervisor reaps the orphan, hands its exit and the kept pipe to an
// adopter, and exits with the container's code.
func TestAdoptionKeepsTheExitCode(t *testing.T) {
	cmd, dir := startMonitor(t, "c1")
	child := parents(t, dir, cmd.Process.Pid)
	waitFile(t, filepath.Join(dir, "ready"))
	if err := unix.Kill(child, unix.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if code := exitCode(cmd.Wait()); code != 7 {
		t.Fatalf("supervisor exit: %d, want the container's 7", code)
	}
	if out := waitFile(t, filepath.Join(dir, "out")); out != "hello\n" {
		t.Errorf("output through the kept pipe: %q", out)
	}
}

// A process that said Done is not adopted: the supervisor exits with its
// code.
func TestDoneMirrorsTheExit(t *testing.T) {
	cmd, dir := startMonitor(t, "done")
	parents(t, dir, cmd.Process.Pid)
	if code := exitCode(cmd.Wait()); code != 3 {
		t.Fatalf("supervisor exit: %d, want 3", code)
	}
}

// A signal sent to the supervisor reaches the supervised process.
func TestSignalsAreForwarded(t *testing.T) {
	cmd, dir := startMonitor(t, "signal")
	parents(t, dir, cmd.Process.Pid)
	waitFile(t, filepath.Join(dir, "ready"))
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code := exitCode(cmd.Wait()); code != 0 {
		t.Fatalf("supervisor exit: %d, want 0", code)
	}
	if got := waitFile(t, filepath.Join(dir, "got")); got != "SIGTERM" {
		t.Errorf("the monitor got %q", got)
	}
}

// A process with nothing to adopt (it said Done) that is killed takes its
// supervisor with it: the same signal, as a shell would see.
func TestUnannouncedDeathIsMirrored(t *testing.T) {
	cmd, dir := startMonitor(t, "signal")
	child := parents(t, dir, cmd.Process.Pid)
	waitFile(t, filepath.Join(dir, "ready"))
	if err := unix.Kill(child, unix.SIGKILL); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		t.Fatalf("wait: %v", err)
	}
	if ws := ee.Sys().(syscall.WaitStatus); !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("supervisor ended %v, want killed by SIGKILL", ws)
	}
}

func TestParseEnv(t *testing.T) {
	c, fds, err := parseEnv("ctl=5,out=6,console=9")
	if err != nil || c != 5 || fds["out"] != 6 || fds["console"] != 9 || len(fds) != 2 {
		t.Fatalf("parseEnv: %d %v %v", c, fds, err)
	}
	for _, bad := range []string{"", "out=6", "ctl=x", "ctl=-1", "ctl=5,=6", "ctl=5,out"} {
		if _, _, err := parseEnv(bad); err == nil {
			t.Errorf("parseEnv(%q) accepted", bad)
		}
	}
}
