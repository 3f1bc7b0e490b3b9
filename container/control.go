package container

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/opencontainers/runc/libcontainer"
	"golang.org/x/sys/unix"
)

// pollInterval is how often Wait and Stop look at the owner lock.
const pollInterval = 20 * time.Millisecond

// exitTimeout is how long Stop and Remove wait, after SIGKILL, for the
// process to end and its exit to be recorded.
const exitTimeout = 10 * time.Second

// releaseTimeout bounds the wait for an owner that recorded the exit and
// still gives back what the container held (a volume detach flushes and
// logs out; each of its steps is bounded on its own).
const releaseTimeout = 3 * time.Minute

// Running reports whether container id's process runs: its owner waits for
// it, or (the owner died) libcontainer still sees it running.
func (r *Runtime) Running(id string) bool {
	if r.Store.OwnerAlive(id) {
		st, err := r.Store.Load(id)
		return err == nil && st.Status != StatusExited
	}
	lc, err := libcontainer.Load(r.Store.runcRoot(id), id)
	if err != nil {
		return false
	}
	s, err := lc.Status()
	return err == nil && (s == libcontainer.Running || s == libcontainer.Created || s == libcontainer.Paused)
}

// Kill sends sig to container id's process.
func (r *Runtime) Kill(id string, sig unix.Signal) error {
	lc, err := libcontainer.Load(r.Store.runcRoot(id), id)
	if errors.Is(err, libcontainer.ErrNotExist) {
		return fmt.Errorf("%w: %s", ErrNotRunning, ShortID(id))
	}
	if err != nil {
		return fmt.Errorf("load container %s: %w", ShortID(id), err)
	}
	if err := lc.Signal(sig); err != nil {
		// ended between the load and the signal: not running, as it
		// would have been a moment later
		if errors.Is(err, libcontainer.ErrNotRunning) || errors.Is(err, os.ErrProcessDone) || errors.Is(err, unix.ESRCH) {
			return fmt.Errorf("%w: %s", ErrNotRunning, ShortID(id))
		}
		return fmt.Errorf("signal %s: %w", ShortID(id), err)
	}
	return nil
}

// Wait waits until container id has ended and its owner recorded the exit
// (timeout <= 0: no limit), then until the owner has released what the
// container held (its own bound, releaseTimeout, when timeout > 0), and
// returns the recorded state. A container removed meanwhile (--rm) returns
// ErrNotFound.
func (r *Runtime) Wait(id string, timeout time.Duration) (*State, error) {
	if timeout <= 0 {
		return r.WaitContext(context.Background(), id)
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := r.waitFor(ctx, id, "stop", func() bool { return r.Running(id) }); err != nil {
		return nil, err
	}
	ctx, cancel = context.WithTimeout(context.Background(), releaseTimeout)
	defer cancel()
	return r.settled(ctx, id)
}

// settled waits, once container id's process has ended, until whoever
// answers for it (its owner, or its supervisor while an adopter starts)
// has recorded the exit and released what it held, and returns the state.
// A container nobody answers for any more is settled here (Reconcile).
//
// Another process may take the container between the wait and the
// reconcile (the adopter its supervisor starts at the exit, an rm -f):
// Reconcile then returns the state as that process left it so far, exit
// not yet recorded, and the wait goes on until that one is done too.
func (r *Runtime) settled(ctx context.Context, id string) (*State, error) {
	for {
		if err := context.Cause(ctx); err != nil {
			return nil, err
		}
		err := r.waitFor(ctx, id, "release what it held", func() bool {
			st, err := r.Store.Load(id)
			return err == nil && r.tended(st)
		})
		if err != nil {
			return nil, err
		}
		st, err := r.Reconcile(id)
		if err == nil && st == nil {
			return nil, fmt.Errorf("%w: %s", ErrNotFound, ShortID(id))
		}
		if err == nil && st.Status != StatusExited && r.tended(st) {
			continue
		}
		return st, err
	}
}

// WaitContext is Wait bounded by ctx alone.
func (r *Runtime) WaitContext(ctx context.Context, id string) (*State, error) {
	if err := r.waitFor(ctx, id, "stop", func() bool { return r.Running(id) }); err != nil {
		return nil, err
	}
	// The owner gives up its lock after recording and releasing.
	return r.settled(ctx, id)
}

// waitFor polls until busy is false or ctx ends (ErrTimeout at its deadline).
func (r *Runtime) waitFor(ctx context.Context, id, what string, busy func() bool) error {
	for busy() {
		select {
		case <-ctx.Done():
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return fmt.Errorf("%w waiting for %s to %s", ErrTimeout, ShortID(id), what)
			}
			return ctx.Err()
		case <-time.After(pollInterval):
		}
	}
	return nil
}

// Stop sends SIGTERM, waits up to grace (0: not at all), then sends
// SIGKILL, and waits for the exit to be recorded.
func (r *Runtime) Stop(id string, grace time.Duration) error {
	r.requestStop(id)
	if !r.Running(id) {
		return nil
	}
	if err := r.Kill(id, unix.SIGTERM); err != nil && !errors.Is(err, ErrNotRunning) {
		return err
	}
	if grace > 0 {
		if _, err := r.Wait(id, grace); err == nil || errors.Is(err, ErrNotFound) {
			return nil
		}
	}
	if err := r.Kill(id, unix.SIGKILL); err != nil && !errors.Is(err, ErrNotRunning) {
		return err
	}
	_, err := r.Wait(id, exitTimeout)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	return err
}

// Remove deletes container id: with force a running one is killed first.
// What it held is released (again: release is idempotent) and its state
// removed. A container that vanished meanwhile (--rm) is not an error.
func (r *Runtime) Remove(id string, force bool) error {
	if r.Running(id) {
		if !force {
			return fmt.Errorf("%w: %s (stop it first, or rm -f)", ErrRunning, ShortID(id))
		}
		r.requestStop(id)
		if err := r.Kill(id, unix.SIGKILL); err != nil && !errors.Is(err, ErrNotRunning) {
			return err
		}
		if _, err := r.Wait(id, exitTimeout); err != nil {
			if errors.Is(err, ErrNotFound) {
				return nil
			}
			return err
		}
		r.afterStep("rm-stopped")
	}
	// An owner that outlived the process (still cleaning up) is waited
	// for; one that died is taken over.
	owner, err := r.Store.takeOwnership(id)
	for deadline := time.Now().Add(releaseTimeout); err != nil && time.Now().Before(deadline); {
		if _, serr := os.Stat(r.Store.Dir(id)); os.IsNotExist(serr) {
			return nil
		}
		time.Sleep(pollInterval)
		owner, err = r.Store.takeOwnership(id)
	}
	if err != nil {
		return err
	}
	defer owner.Unlock()
	if _, err := r.Store.Load(id); errors.Is(err, ErrNotFound) {
		return nil
	}
	if err := r.releaseSettled(id, nil, true); err != nil {
		return err
	}
	r.afterStep("rm-released")
	return r.removeDir(id, "")
}
