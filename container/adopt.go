package container

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/opencontainers/runc/libcontainer"
	"golang.org/x/sys/unix"
)

// ErrExitLost: the container's process ended and nobody saw how (its
// runner and its supervisor both died): the exit code is unknown.
var ErrExitLost = errors.New("the container's process ended unseen: its runner and its supervisor died, the exit code is lost")

// Orphans gives the exits of processes this one did not start: a
// supervisor that reaped the init of a container whose runner died (see
// package shim).
type Orphans interface {
	// Exit waits for process pid to end and returns its wait status. ok is
	// false when it ended unseen: gone reports whether it has ended, for an
	// exit that no longer comes.
	Exit(pid int, gone func() bool) (status unix.WaitStatus, ok bool)
}

// Supervisor is the process that outlives the runner of a container and
// reaps its init should the runner die: its PID and start time (against
// PID reuse). The zero value is none.
type Supervisor struct {
	Pid   int    `json:"pid"`
	Start uint64 `json:"start"`
}

// SupervisorOf returns pid as a Supervisor (zero when it is not running).
func SupervisorOf(pid int) Supervisor {
	start, err := processStart(pid)
	if err != nil {
		return Supervisor{}
	}
	return Supervisor{Pid: pid, Start: start}
}

// Alive reports whether the supervisor still runs.
func (s Supervisor) Alive() bool {
	if s.Pid <= 0 {
		return false
	}
	start, err := processStart(s.Pid)
	return err == nil && start == s.Start
}

// processStart reads a process's start time (clock ticks since boot,
// field 22 of /proc/PID/stat).
func processStart(pid int) (uint64, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, err
	}
	// the command may hold spaces and parentheses: fields follow the last ')'
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, errors.New("bad stat")
	}
	f := bytes.Fields(b[i+1:])
	if len(f) < 20 {
		return 0, errors.New("bad stat")
	}
	// f[0] is field 3 (state); start time is field 22
	if f[0][0] == 'Z' || f[0][0] == 'X' {
		return 0, errors.New("process ended")
	}
	return strconv.ParseUint(string(f[19]), 10, 64)
}

// tended reports whether a process answers for container st: its owner
// (the runner or monitor that waits for it) or, between the owner's death
// and its adopter's start, its supervisor.
func (r *Runtime) tended(st *State) bool {
	return r.Store.OwnerAlive(st.ID) || st.Supervisor.Alive()
}

// Adopt takes over container id, whose runner died, for the adopter its
// supervisor started: this process becomes its owner, and orphans gives
// the exit of its init, which the supervisor reaps. The returned Running
// waits (Wait, WaitRestarting) and releases as the runner would have. A
// container that never started (its runner died creating or starting it)
// is removed with what it held: the error is then a *StartError (125).
func (r *Runtime) Adopt(id string, orphans Orphans) (*Running, error) {
	owner, err := r.Store.takeOwnership(id)
	if err != nil {
		return nil, err
	}
	run := &Running{rt: r, owner: owner, orphans: orphans}
	st, err := r.Store.Load(id)
	if err != nil {
		owner.Unlock()
		return nil, err
	}
	run.st = st
	lc, lerr := libcontainer.Load(r.Store.runcRoot(id), id)
	var status libcontainer.Status = libcontainer.Stopped
	if lerr == nil {
		run.lc = lc
		if s, err := lc.Status(); err == nil {
			status = s
		}
		if lst, err := lc.State(); err == nil {
			run.adoptedPid = lst.InitProcessPid
			if st.CgroupPaths == nil {
				run.st.CgroupPaths = lst.CgroupPaths
			}
		}
	}
	switch {
	case st.Status == StatusExited, st.Status == StatusRestarting, st.Status == StatusRunning:
		return run, nil
	case st.Creating || status != libcontainer.Running:
		// created, or started up to libcontainer's init and no further:
		// the user's process never ran
		se, rerr := run.discardUnstarted(id, status)
		if rerr != nil {
			return nil, errors.Join(se, rerr)
		}
		return nil, se
	default:
		// the user's process runs, but the runner died before recording
		// it: record it now
		var up *State
		up, err = r.Store.update(id, func(s *State) error {
			s.Status = StatusRunning
			s.Pid = run.adoptedPid
			s.StartedAt = time.Now().UTC()
			return nil
		})
		if err == nil {
			run.keepState(up)
		}
		if err != nil {
			owner.Unlock()
			return nil, err
		}
		return run, nil
	}
}

// discardUnstarted settles a container whose runner died before the
// user's process ran: its init (libcontainer status) killed, the failure
// recorded, what it held released and the container removed. It returns
// the failure, and what the release could not give back.
func (run *Running) discardUnstarted(id string, status libcontainer.Status) (*StartError, error) {
	if run.lc != nil && status != libcontainer.Stopped {
		_ = run.lc.Signal(unix.SIGKILL)
	}
	se := &StartError{Code: 125, Err: fmt.Errorf("container %s: its runner died before it started", ShortID(id))}
	if err := run.failed(id, se); err != nil {
		return se, err
	}
	run.remove(id)
	return se, nil
}

// remove deletes a container that failed and was released (its state
// recorded why), whatever its AutoRemove: it never ran.
func (run *Running) remove(id string) {
	_ = run.rt.removeDir(id, run.st.Name)
}

// waitAdopted waits for the init of an adopted container through the
// supervisor's reaped exits.
func (run *Running) waitAdopted() (Exit, error) {
	if run.orphans == nil || run.adoptedPid <= 0 {
		return Exit{}, ErrExitLost
	}
	gone := func() bool {
		if run.lc == nil {
			return true
		}
		s, err := run.lc.Status()
		return err != nil || s == libcontainer.Stopped
	}
	ws, ok := run.orphans.Exit(run.adoptedPid, gone)
	if !ok {
		return Exit{}, ErrExitLost
	}
	return exitOfStatus(syscall.WaitStatus(ws)), nil
}

// keptExit is the exit a keeper wrote for the container's init (ExitFile).
func (run *Running) keptExit() (Exit, bool) {
	b, err := os.ReadFile(filepath.Join(run.rt.Store.Dir(run.st.ID), ExitFile))
	if err != nil {
		return Exit{}, false
	}
	var pid, ws int
	if n, err := fmt.Sscanf(string(b), "%d %d", &pid, &ws); err != nil || n != 2 || pid != run.st.Pid || pid <= 0 {
		return Exit{}, false
	}
	return exitOfStatus(syscall.WaitStatus(ws)), true
}

// recordLost records that the container ended with its exit unseen.
func (run *Running) recordLost() {
	if st, err := run.rt.Store.update(run.st.ID, func(s *State) error {
		s.Status = StatusExited
		s.ExitCode = nil
		s.Error = ErrExitLost.Error()
		s.FinishedAt = time.Now().UTC()
		return nil
	}); err == nil {
		run.keepState(st)
	}
}

// Recorded is the exit of an adopted container that was recorded before
// its runner died (status exited or restarting): what Wait would return.
func (run *Running) Recorded() (Exit, bool) {
	if run.st.ExitCode == nil || (run.st.Status != StatusExited && run.st.Status != StatusRestarting) {
		return Exit{}, false
	}
	ex := Exit{Code: *run.st.ExitCode, OOMKilled: run.st.OOMKilled}
	if ex.Code > 128 {
		ex.Signal = syscall.Signal(ex.Code - 128)
	}
	return ex, true
}

// Finish releases an adopted container that had ended already, as Wait
// does after the exit, and removes it with AutoRemove.
func (run *Running) Finish() error { return run.finish(run.st.ID) }

// Reconcile settles container id when nobody answers for it any more (its
// runner and its supervisor died, or it was run by a program with no
// supervisor): a container its creator left half made, or whose start was
// cut short before the user's process ran, is removed with what it held;
// one whose process ended is recorded as exited (the exit code lost when
// it was not recorded), released and, with AutoRemove, removed; one left
// half released is released. A container somebody tends, one created and
// not started, and one whose process still runs are left as they are. It
// returns the state (nil when removed).
func (r *Runtime) Reconcile(id string) (*State, error) {
	st, err := r.Store.Load(id)
	if err != nil {
		return nil, err
	}
	if st.Status == StatusExited && len(st.Releases) == 0 && !st.Creating && !st.AutoRemove {
		return st, nil
	}
	if r.tended(st) {
		return st, nil
	}
	lcStatus := libcontainer.Stopped
	lc, lerr := libcontainer.Load(r.Store.runcRoot(id), id)
	if lerr == nil {
		if s, err := lc.Status(); err == nil {
			lcStatus = s
		}
	} else {
		lc = nil
	}
	switch {
	case st.Creating:
	case st.Status == StatusCreated && lc == nil:
		return st, nil // created, never started: a container to start later
	case lcStatus == libcontainer.Running && st.Status != StatusExited:
		return st, nil // runs, unsupervised: settled once it ends
	}
	owner, err := r.Store.takeOwnership(id)
	if err != nil { // somebody took it meanwhile
		return r.Store.Load(id)
	}
	run := &Running{rt: r, owner: owner, lc: lc}
	if st, err = r.Store.Load(id); err != nil {
		owner.Unlock()
		return nil, err
	}
	run.st = st
	switch {
	case st.Creating || st.Status == StatusCreated:
		// made or started halfway: the user's process never ran
		if _, err := run.discardUnstarted(id, lcStatus); err != nil {
			return st, err
		}
		return nil, nil
	case st.Status == StatusRestarting && st.ExitCode != nil:
		run.markExited(id) // between two runs: the last exit is on record
	case st.Status != StatusExited:
		if ex, ok := run.keptExit(); ok {
			run.recordExit(ex, StatusExited) // the keeper saw it: no exit is lost
		} else {
			run.recordLost()
		}
	}
	err = run.finish(id)
	st, _ = r.Store.Load(id)
	return st, err
}
