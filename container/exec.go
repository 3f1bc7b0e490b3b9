package container

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/opencontainers/runc/libcontainer"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// Exec is a process started in a running container by Runtime.Exec.
type Exec struct {
	proc   *libcontainer.Process
	stderr *heldStderr
}

// Exec starts p in running container id (its namespaces and cgroup).
// Errors are *StartError (125, 126, 127).
func (r *Runtime) Exec(id string, p *specs.Process, pio IO) (*Exec, error) {
	lc, err := libcontainer.Load(r.Store.runcRoot(id), id)
	if errors.Is(err, libcontainer.ErrNotExist) {
		return nil, &StartError{Code: 125, Err: fmt.Errorf("%w: %s", ErrNotRunning, ShortID(id))}
	}
	if err != nil {
		return nil, &StartError{Code: 125, Err: err}
	}
	if s, err := lc.Status(); err != nil || s != libcontainer.Running {
		return nil, &StartError{Code: 125, Err: fmt.Errorf("%w: %s", ErrNotRunning, ShortID(id))}
	}
	pids := pidsFiles(lc)
	if err := pids.full(id); err != nil {
		return nil, err
	}
	// The init that joins the container is a Go program: refused a thread
	// by the pids limit it dies with a runtime dump on its stderr. Its
	// stderr goes through a pipe held until it started the command: a dump
	// is dropped, and the error says why in one line.
	var held *heldStderr
	if f, ok := pio.Stderr.(*os.File); ok && !p.Terminal {
		if held, err = holdStderr(f); err != nil {
			return nil, &StartError{Code: 125, Err: err}
		}
		pio.Stderr = held.w
	}
	lp, err := newProcess(p, pio)
	if err != nil {
		held.drop()
		return nil, &StartError{Code: 125, Err: err}
	}
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		held.drop()
		return nil, &StartError{Code: 125, Err: fmt.Errorf("become subreaper: %w", err)}
	}
	bpf := compiledSeccomp(r.Store, lc.Config().Seccomp)
	err = lc.Run(lp)
	_ = bpf.Close()
	if err != nil {
		held.drop()
		if pids.nearlyFull() { // full included
			return nil, pids.refusal(id)
		}
		return nil, classifyStartError(err)
	}
	held.pass()
	return &Exec{proc: lp, stderr: held}, nil
}

// heldStderr is an exec's stderr through a pipe: held until the process
// started, then copied to the real one.
type heldStderr struct {
	w    *os.File
	r    *os.File
	to   *os.File
	buf  bytes.Buffer
	mu   sync.Mutex
	live bool
	done chan struct{}
}

func holdStderr(to *os.File) (*heldStderr, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("exec stderr: %w", err)
	}
	h := &heldStderr{w: w, r: r, to: to, done: make(chan struct{})}
	go func() {
		defer close(h.done)
		b := make([]byte, 32<<10)
		for {
			n, err := r.Read(b)
			if n > 0 {
				h.mu.Lock()
				if h.live {
					_, _ = to.Write(b[:n])
				} else {
					h.buf.Write(b[:n])
				}
				h.mu.Unlock()
			}
			if err != nil {
				return
			}
		}
	}()
	return h, nil
}

// pass starts copying: what was held first.
func (h *heldStderr) pass() {
	if h == nil {
		return
	}
	h.w.Close() // the process has its own copy
	h.mu.Lock()
	_, _ = h.to.Write(h.buf.Bytes())
	h.buf.Reset()
	h.live = true
	h.mu.Unlock()
}

// drop discards what the failed start wrote.
func (h *heldStderr) drop() {
	if h == nil {
		return
	}
	h.w.Close()
	h.wait()
}

// wait waits, at most a second, for the copy to end once the process did
// (a child it left may hold the pipe), and closes the pipe.
func (h *heldStderr) wait() {
	if h == nil {
		return
	}
	select {
	case <-h.done:
	case <-time.After(time.Second):
	}
	h.r.Close()
}

// pidsLimit reads the container's pids cgroup files.
type pidsLimit struct{ dir string }

func pidsFiles(lc *libcontainer.Container) pidsLimit {
	st, err := lc.State()
	if err != nil {
		return pidsLimit{}
	}
	if d, ok := st.CgroupPaths["pids"]; ok {
		return pidsLimit{dir: d}
	}
	return pidsLimit{dir: st.CgroupPaths[""]} // cgroup v2
}

func (p pidsLimit) read() (current, max int64, ok bool) {
	if p.dir == "" {
		return 0, 0, false
	}
	b, err := os.ReadFile(filepath.Join(p.dir, "pids.max"))
	if err != nil || strings.TrimSpace(string(b)) == "max" {
		return 0, 0, false
	}
	max, err = strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	if err != nil {
		return 0, 0, false
	}
	c, err := os.ReadFile(filepath.Join(p.dir, "pids.current"))
	if err != nil {
		return 0, 0, false
	}
	current, err = strconv.ParseInt(strings.TrimSpace(string(c)), 10, 64)
	return current, max, err == nil
}

func (p pidsLimit) refusal(id string) error {
	current, max, _ := p.read()
	return &StartError{Code: 126, Err: fmt.Errorf("container %s is at its pids limit (%d of --pids-limit %d in use): no process can start in it", ShortID(id), current, max)}
}

// full refuses at once when not one more task fits.
func (p pidsLimit) full(id string) error {
	if current, max, ok := p.read(); ok && current >= max {
		return p.refusal(id)
	}
	return nil
}

// nearlyFull: fewer tasks left than the init needs threads (a failed
// start there is the limit's doing).
func (p pidsLimit) nearlyFull() bool {
	current, max, ok := p.read()
	return ok && max-current < 16
}

// Signal sends sig to the exec'd process.
func (e *Exec) Signal(sig os.Signal) error { return e.proc.Signal(sig) }

// Wait waits for the exec'd process and returns how it ended.
func (e *Exec) Wait() (Exit, error) {
	ps, err := e.proc.Wait()
	e.stderr.wait()
	if ps == nil {
		return Exit{Code: 125}, fmt.Errorf("wait for exec: %w", err)
	}
	return exitOf(ps), nil
}
