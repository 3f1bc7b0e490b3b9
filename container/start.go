package container

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/opencontainers/runc/libcontainer"
	"github.com/opencontainers/runc/libcontainer/configs"
	"github.com/opencontainers/runc/libcontainer/specconv"
	"github.com/sirupsen/logrus"
	"golang.org/x/sys/unix"

	"github.com/cgrun/cgrun/cgroup/warm"
	"github.com/cgrun/cgrun/container/seccompcache"
	"github.com/cgrun/cgrun/internal/flock"
)

// Running is a container whose process this cgrun process started and
// waits for (cgrun run in the foreground, or the monitor). It holds the
// container's owner lock until Finish.
type Running struct {
	rt    *Runtime
	st    *State
	lc    *libcontainer.Container
	proc  *libcontainer.Process
	owner *flock.Lock
	// orphans and adoptedPid: a container adopted from a runner that died
	// (Adopt), whose init this process did not start; proc is nil until a
	// restart starts one here.
	orphans    Orphans
	adoptedPid int
}

// Start creates the prepared container id in libcontainer and runs its
// process: libcontainer's Start runs the init up to the exec, the cgroup
// hooks write the extension knobs, then Exec runs the user's process. On
// failure everything is released, the state records the exit code, and
// the error is a *StartError (125, 126 or 127).
func (r *Runtime) Start(id string, pio IO) (*Running, error) {
	owner, err := r.Store.takeOwnership(id)
	if err != nil {
		return nil, &StartError{Code: 125, Err: err}
	}
	run := &Running{rt: r, owner: owner}
	if err := run.start(id, pio); err != nil {
		se := asStartError(err)
		if rerr := run.failed(id, se); rerr != nil {
			se = &StartError{Code: se.Code, Err: fmt.Errorf("%w; %w", se.Err, rerr)}
		}
		return nil, se
	}
	return run, nil
}

func asStartError(err error) *StartError {
	var se *StartError
	if errors.As(err, &se) {
		return se
	}
	return &StartError{Code: 125, Err: err}
}

func (run *Running) start(id string, pio IO) error {
	defer func() {
		for _, c := range pio.CloseAfterStart {
			_ = c.Close()
		}
	}()
	st, err := run.rt.Store.Load(id)
	if err != nil {
		return err
	}
	run.st = st
	if st.Creating {
		return fmt.Errorf("container %s is still being created", ShortID(id))
	}
	if st.Status != StatusCreated {
		return fmt.Errorf("container %s was already started", ShortID(id))
	}
	cfg, err := libcontainerConfig(st)
	if err != nil {
		return err
	}
	if err := prepare(run.rt.Hooks, st.Spec); err != nil {
		return err
	}
	// The container's init is a grandchild; as subreaper this process
	// inherits it and can wait for it.
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("become subreaper: %w", err)
	}
	// A second head start (see package cgroup/warm; main's constructor made
	// the first), so the fast path is fresh when the init joins its cgroups.
	warm.Attach()
	lc, err := libcontainer.Create(run.rt.Store.runcRoot(id), id, cfg)
	if err != nil {
		return fmt.Errorf("create container: %w", err)
	}
	run.lc = lc
	proc, err := newProcess(st.Spec.Process, pio)
	if err != nil {
		return err
	}
	proc.Init = true
	bpf := compiledSeccomp(run.rt.Store, cfg.Seccomp)
	err = lc.Start(proc)
	_ = bpf.Close()
	if err != nil {
		return classifyStartError(err)
	}
	run.proc = proc
	lst, err := lc.State()
	if err != nil {
		return err
	}
	if err := run.rt.Hooks.Apply(st.Spec, lst.CgroupPaths); err != nil {
		return err
	}
	run.rt.afterStep("init")
	if err := lc.Exec(); err != nil {
		return fmt.Errorf("start container process: %w", err)
	}
	pid, _ := proc.Pid()
	st, err = run.rt.Store.update(id, func(s *State) error {
		s.Status = StatusRunning
		s.Pid = pid
		s.StartedAt = time.Now().UTC()
		s.CgroupPaths = lst.CgroupPaths
		s.MonitorPid = os.Getpid()
		s.Supervisor = run.rt.Supervisor
		return nil
	})
	if err == nil {
		run.keepState(st)
		run.rt.afterStep("running")
	}
	return err
}

// keepState makes st, a state Store.update returned (its spec not
// decoded), the state run holds, with the spec run read at its start (a
// container's spec is set before it starts and never changes in place).
func (run *Running) keepState(st *State) {
	if st.Spec == nil && run.st != nil {
		st.Spec = run.st.Spec
	}
	run.st = st
}

// compiledSeccomp is the filter s compiled once for every init that
// builds it (package seccompcache), held while an init starts: nil when
// there is none to hand over, and the init generates it itself.
func compiledSeccomp(st *Store, s *configs.Seccomp) *os.File {
	f, err := seccompcache.ForInit(st.Root(), s)
	if err != nil {
		logrus.Debugf("seccomp filter not precompiled: %v", err)
	}
	return f
}

// libcontainerConfig converts the recorded spec: the one way from OCI to
// libcontainer.
func libcontainerConfig(st *State) (*configs.Config, error) {
	cfg, err := specconv.CreateLibcontainerConfig(&specconv.CreateOpts{
		CgroupName: st.ID,
		Spec:       st.Spec,
	})
	if err != nil {
		return nil, fmt.Errorf("convert spec: %w", err)
	}
	return cfg, nil
}

// failed ends a start that did not get to run the user's process; it
// returns what its release could not give back.
func (run *Running) failed(id string, se *StartError) error {
	if run.proc != nil {
		_ = run.proc.Signal(unix.SIGKILL)
		_, _ = run.proc.Wait()
	}
	if run.lc != nil {
		_ = run.lc.Destroy()
	}
	_, _ = run.rt.Store.update(id, func(s *State) error {
		code := se.Code
		s.Status = StatusExited
		s.ExitCode = &code
		s.Error = se.Error()
		s.FinishedAt = time.Now().UTC()
		return nil
	})
	return run.finish(id)
}

// ExitFile is where a keeper (package shim) writes the wait status of the
// init it reaped, in the container's state directory: "PID STATUS".
// Reconcile records it when the process that should have did not.
const ExitFile = "exit-status"

// KeepAcrossExec prepares this process to exec into a keeper that waits
// for the container's init in its place: the owner lock stays held
// across the exec (the container stays tended). It returns the lock's
// descriptor and the exit file the keeper writes.
func (run *Running) KeepAcrossExec() (uintptr, string) {
	return run.owner.Fd(), filepath.Join(run.rt.Store.Dir(run.st.ID), ExitFile)
}

// ID is the container's ID.
func (run *Running) ID() string { return run.st.ID }

// State is the container's state as of its start.
func (run *Running) State() *State { return run.st }

// Pid is the host PID of the container's process.
func (run *Running) Pid() int { return run.st.Pid }

// Signal sends sig to the container's process.
func (run *Running) Signal(sig os.Signal) error {
	if run.proc == nil { // adopted: not this process's child
		return run.lc.Signal(sig)
	}
	return run.proc.Signal(sig)
}

// Wait waits for the container's process to end, records the exit (code,
// OOM kill) in the state, releases what the container held and, with
// AutoRemove, removes it. It returns the exit; a *ReleaseError when the exit
// is recorded but something could not be released (it stays recorded).
func (run *Running) Wait() (Exit, error) {
	ex, err := run.waitExit()
	if errors.Is(err, ErrExitLost) {
		run.recordLost()
		return Exit{Code: 125}, errors.Join(err, run.finish(run.st.ID))
	}
	if err != nil {
		return Exit{Code: 125}, errors.Join(err, run.finish(run.st.ID))
	}
	run.rt.afterStep("exit")
	ex = run.recordExit(ex, StatusExited)
	run.rt.afterStep("exit-recorded")
	run.reap()
	run.rt.afterStep("reaped")
	return ex, run.finish(run.st.ID) // destroys libcontainer's instance through the handle it holds
}

// waitExit waits for the process to end and returns its exit without
// reaping it: the exit is recorded first (recordExit), then reap, so that
// if this process dies in between, the ended process is still there for
// the supervisor to reap and the exit is on record either way.
func (run *Running) waitExit() (Exit, error) {
	if run.proc == nil {
		return run.waitAdopted()
	}
	pid, err := run.proc.Pid()
	if err != nil {
		return Exit{}, fmt.Errorf("wait for container: %w", err)
	}
	var info unix.Siginfo
	for {
		err = unix.Waitid(unix.P_PID, pid, &info, unix.WEXITED|unix.WNOWAIT, nil)
		if !errors.Is(err, unix.EINTR) {
			break
		}
	}
	if err != nil {
		// not waitable (never this process's child): the reap says how
		ps, werr := run.proc.Wait()
		if ps == nil {
			if werr == nil {
				werr = errors.New("no exit status")
			}
			return Exit{}, fmt.Errorf("wait for container: %w", werr)
		}
		run.proc = nil
		return exitOf(ps), nil
	}
	return exitOfSiginfo(&info), nil
}

// reap collects the ended process once its exit is recorded.
func (run *Running) reap() {
	if run.proc != nil {
		_, _ = run.proc.Wait()
	}
}

// finish releases what the container held (kept: a stopped container
// keeps nothing but its state, so ps -a and inspect still show it),
// removes it with AutoRemove, and gives up the owner lock. A failure is a
// *ReleaseError.
func (run *Running) finish(id string) error {
	defer run.owner.Unlock()
	err := run.rt.releaseSettled(id, run.lc, run.st != nil && run.st.AutoRemove)
	if err == nil {
		run.rt.afterStep("released")
	}
	if err == nil && run.st != nil && run.st.AutoRemove {
		err = run.rt.removeDir(id, run.st.Name)
	}
	if err != nil {
		return &ReleaseError{ID: id, Err: err}
	}
	return nil
}
