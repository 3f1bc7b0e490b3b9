package lifecycle

import (
	"bytes"
	"net"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cgrun/cgrun/integration/testutil"
)

// Ctrl-C while `cgrun run IMAGE` still pulls stops the run, as Docker's CLI
// does: exit 130, one line, no container, no cgroup. The registry is a
// listener that accepts and never answers, so the pull is in flight.
func TestRunInterruptedWhilePulling(t *testing.T) {
	c := testutil.NewCgrun(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 8)
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			accepted <- conn
		}
	}()
	defer func() {
		for {
			select {
			case conn := <-accepted:
				conn.Close()
			default:
				return
			}
		}
	}()

	ref := "docker://" + ln.Addr().String() + "/stuck/image:1"
	cmd := exec.Command(c.Bin, "--root", c.Root, "--image-store", t.TempDir(),
		"run", "--rm", "--cgroup-parent", c.Parent, ref, "true")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case conn := <-accepted:
		accepted <- conn // closed at the end
	case err := <-done:
		t.Fatalf("cgrun ended before it reached the registry: %v, stderr %q", err, stderr.String())
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatal("cgrun never connected to the registry")
	}
	time.Sleep(100 * time.Millisecond)
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = cmd.Process.Kill()
		<-done
		t.Fatalf("cgrun did not stop on SIGINT while pulling; stderr %q", stderr.String())
	}
	if code := cmd.ProcessState.ExitCode(); code != 130 {
		t.Errorf("exit code %d, want 130; stderr %q", code, stderr.String())
	}
	if got := strings.TrimSpace(stderr.String()); got != "cgrun: interrupted by SIGINT before the container started" {
		t.Errorf("stderr %q", got)
	}
	if r := c.Cmd("ps", "-a", "-q"); r.Code != 0 || r.Stdout != "" {
		t.Errorf("containers left: %s", r)
	}
	if dirs := c.CgroupDirs("*"); len(dirs) != 0 {
		t.Errorf("cgroups left: %v", dirs)
	}
}
