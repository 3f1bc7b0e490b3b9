package container

import (
	"errors"
	"fmt"
	"os"

	"github.com/opencontainers/runc/libcontainer"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// Exec is a process started in a running container by Runtime.Exec.
type Exec struct{ proc *libcontainer.Process }

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
	lp, err := newProcess(p, pio)
	if err != nil {
		return nil, &StartError{Code: 125, Err: err}
	}
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		return nil, &StartError{Code: 125, Err: fmt.Errorf("become subreaper: %w", err)}
	}
	if err := lc.Run(lp); err != nil {
		return nil, classifyStartError(err)
	}
	return &Exec{proc: lp}, nil
}

// Signal sends sig to the exec'd process.
func (e *Exec) Signal(sig os.Signal) error { return e.proc.Signal(sig) }

// Wait waits for the exec'd process and returns how it ended.
func (e *Exec) Wait() (Exit, error) {
	ps, err := e.proc.Wait()
	if ps == nil {
		return Exit{Code: 125}, fmt.Errorf("wait for exec: %w", err)
	}
	return exitOf(ps), nil
}
