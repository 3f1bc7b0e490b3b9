package testutil

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Paused is a cgrun command stopped for good after a step of its work
// (--pause-after STEP, or CGRUN_PAUSE_AFTER for the processes it starts),
// for a fault test to kill there. Supervisor is the PID the test started
// (cgrun's supervisor, package shim); Runner the cgrun process under it
// that does the work.
type Paused struct {
	t          testing.TB
	c          *Cgrun
	cmd        *exec.Cmd
	cancel     context.CancelFunc
	Supervisor int
	Runner     int
	mu         sync.Mutex
	stderr     strings.Builder
	stdout     strings.Builder
	done       chan struct{}
	waitErr    error
}

// StartPaused starts `cgrun --root ROOT ARGS...` and waits until it, or
// a process it started, says it paused after step ("paused after STEP" on
// stderr, or "STEP PID" in the file CGRUN_PAUSE_REPORT names), at most a
// minute.
func (c *Cgrun) StartPaused(step string, args ...string) *Paused {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	cmd := exec.CommandContext(ctx, c.Bin, append([]string{"--root", c.Root}, args...)...)
	cmd.Env = append(os.Environ(), "CGRUN_PAUSE_AFTER="+step)
	p := &Paused{t: c.t, c: c, cmd: cmd, cancel: cancel, done: make(chan struct{})}
	// plain pipes, not exec's: the command's end is one the container may
	// hold past cgrun's exit, and Wait must not wait for it
	errPipe, errW, err := os.Pipe()
	if err != nil {
		c.t.Fatal(err)
	}
	outPipe, outW, err := os.Pipe()
	if err != nil {
		c.t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = outW, errW
	err = cmd.Start()
	outW.Close()
	errW.Close()
	if err != nil {
		c.t.Fatal(err)
	}
	p.Supervisor = cmd.Process.Pid
	c.t.Cleanup(func() {
		KillIfStopped(p.Runner) // a pause the test did not resolve
		p.cancel()
		<-p.done
		errPipe.Close()
		outPipe.Close()
	})
	paused := make(chan struct{})
	var once sync.Once
	var copies sync.WaitGroup
	copies.Add(2)
	go func() {
		defer copies.Done()
		sc := bufio.NewScanner(errPipe)
		for sc.Scan() {
			p.mu.Lock()
			p.stderr.WriteString(sc.Text() + "\n")
			p.mu.Unlock()
			if strings.Contains(sc.Text(), "paused after "+step) {
				once.Do(func() { close(paused) })
			}
		}
	}()
	go func() {
		defer copies.Done()
		b, _ := io.ReadAll(outPipe)
		p.mu.Lock()
		p.stdout.Write(b)
		p.mu.Unlock()
	}()
	go func() {
		p.waitErr = cmd.Wait()
		// what it wrote last, unless something else holds its output
		readers := make(chan struct{})
		go func() { copies.Wait(); close(readers) }()
		select {
		case <-readers:
		case <-time.After(200 * time.Millisecond):
		}
		close(p.done)
	}()
	// a process cgrun starts (the monitor) reports its pause in the file
	// CGRUN_PAUSE_REPORT names
	report := os.Getenv("CGRUN_PAUSE_REPORT")
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(time.Minute)
	done := p.done
wait:
	for {
		select {
		case <-paused:
			break wait
		case <-tick.C:
			if b, err := os.ReadFile(report); report != "" && err == nil && strings.HasPrefix(string(b), step+" ") {
				break wait
			}
		case <-done:
			if report != "" { // a process it started pauses later
				done = nil
				continue
			}
			c.t.Fatalf("cgrun %s ended before pausing after %s: %s", strings.Join(args, " "), step, p.Stderr())
		case <-deadline:
			c.t.Fatalf("cgrun %s did not pause after %s in a minute: %s", strings.Join(args, " "), step, p.Stderr())
		}
	}
	p.Runner = p.child(p.Supervisor)
	if report == "" {
		WaitStopped(c.t, p.Runner)
	}
	return p
}

// WaitStopped waits until process pid has stopped itself (a pause: state
// T), at most ten seconds, so a SIGCONT sent after cannot come first.
func WaitStopped(t testing.TB, pid int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			t.Fatalf("process %d: %v", pid, err)
		}
		i := strings.LastIndexByte(string(b), ')')
		if f := strings.Fields(string(b)[i+1:]); len(f) > 0 && (f[0] == "T" || f[0] == "t") {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("process %d did not stop in 10 s", pid)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Stderr is what the command wrote to stderr so far.
func (p *Paused) Stderr() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stderr.String()
}

// child is the one child of pid that runs cgrun (the supervised process),
// or pid itself when it has none (no supervisor).
func (p *Paused) child(pid int) int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", pid, pid))
	if err != nil {
		return pid
	}
	for _, f := range strings.Fields(string(b)) {
		c, _ := strconv.Atoi(f)
		if comm, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", c)); strings.TrimSpace(string(comm)) != "cgrun-shim" {
			exe, _ := os.Readlink(fmt.Sprintf("/proc/%d/exe", c))
			if self, _ := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid)); exe == self {
				return c
			}
		}
	}
	return pid
}

// KillRunner SIGKILLs the cgrun process that does the work.
func (p *Paused) KillRunner() {
	p.t.Helper()
	if err := syscall.Kill(p.Runner, syscall.SIGKILL); err != nil {
		p.t.Fatalf("kill runner %d: %v", p.Runner, err)
	}
}

// KillSupervisor SIGKILLs the process the test started.
func (p *Paused) KillSupervisor() {
	p.t.Helper()
	if err := syscall.Kill(p.Supervisor, syscall.SIGKILL); err != nil {
		p.t.Fatalf("kill supervisor %d: %v", p.Supervisor, err)
	}
}

// WaitRunner waits, at most timeout, for the runner to end (gone, or a
// zombie): with its supervisor killed it goes on alone, and what it
// releases (a --rm container's record among them) is released when it ends.
func (p *Paused) WaitRunner(timeout time.Duration) {
	p.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.Runner))
		// the state follows the command's name in parentheses
		if i := strings.LastIndexByte(string(b), ')'); err != nil || (i > 0 && strings.HasPrefix(string(b[i+1:]), " Z")) {
			return
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("the runner %d did not end %v after the fault", p.Runner, timeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Wait waits for the command (the supervisor) to end, at most timeout, and
// returns its result; -1 as the code when it was killed.
func (p *Paused) Wait(timeout time.Duration) Result {
	p.t.Helper()
	select {
	case <-p.done:
	case <-time.After(timeout):
		p.t.Fatalf("cgrun did not end %v after the fault: %s", timeout, p.Stderr())
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	r := Result{Stdout: strings.TrimSpace(p.stdout.String()), Stderr: strings.TrimSpace(p.stderr.String())}
	p.c.NoteIDs(r.Stdout)
	var ee *exec.ExitError
	if errors.As(p.waitErr, &ee) {
		r.Code = ee.ExitCode()
	}
	return r
}

// KillIfStopped SIGKILLs process pid when it is stopped (a pause nobody
// resolved), so a test's cleanup never waits on it.
func KillIfStopped(pid int) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return
	}
	i := strings.LastIndexByte(string(b), ')')
	if f := strings.Fields(string(b)[i+1:]); len(f) > 0 && (f[0] == "T" || f[0] == "t") {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
}
