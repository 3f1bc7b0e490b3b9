package container

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// RestartPolicy says when a detached container's monitor starts its
// process again after it ended: Docker's --restart.
type RestartPolicy struct {
	// Name is "no", "on-failure", "always" or "unless-stopped".
	Name string `json:"name"`
	// MaxRetries bounds on-failure's restarts (0: no bound).
	MaxRetries int `json:"maxRetries,omitempty"`
}

// Active says whether p restarts anything (nil and "no" do not).
func (p *RestartPolicy) Active() bool { return p != nil && p.Name != "no" }

// ParseRestartPolicy reads no, on-failure[:N], always, unless-stopped.
func ParseRestartPolicy(s string) (RestartPolicy, error) {
	name, n, hasN := strings.Cut(s, ":")
	p := RestartPolicy{Name: name}
	switch name {
	case "no", "always", "unless-stopped":
		if hasN {
			return RestartPolicy{}, fmt.Errorf("%w: restart policy %q takes no count (on-failure:N does)", ErrInvalid, s)
		}
	case "on-failure":
		if hasN {
			max, err := strconv.Atoi(n)
			if err != nil || max < 0 {
				return RestartPolicy{}, fmt.Errorf("%w: restart policy %q: the count must be a number of at least 0", ErrInvalid, s)
			}
			p.MaxRetries = max
		}
	default:
		return RestartPolicy{}, fmt.Errorf("%w: restart policy %q: must be no, on-failure[:N], always or unless-stopped", ErrInvalid, s)
	}
	return p, nil
}

// restarts reports whether the policy starts the process again after ex,
// the count'th restart to come (from 1).
func (p *RestartPolicy) restarts(ex Exit, count int) bool {
	if p == nil {
		return false
	}
	switch p.Name {
	case "always", "unless-stopped":
		return true
	case "on-failure":
		return ex.Code != 0 && (p.MaxRetries == 0 || count <= p.MaxRetries)
	}
	return false
}

// Docker's back-off: 100 ms before the first restart, doubled before each
// next one, at most a minute, back to 100 ms after a run of 10 s or more.
const (
	restartDelayFirst = 100 * time.Millisecond
	restartDelayMax   = time.Minute
	restartResetAfter = 10 * time.Second
)

// WaitRestarting is Wait for a container with a restart policy: each time
// the process ends, the exit is recorded and, while the policy says so and
// nobody stopped the container (Stop, Remove), the process is started again
// in place after Docker's back-off: same ID, mounts, volumes, network and
// cgroup, the restart count incremented, the log appended. pio gives each
// run its stdio (a new console for a terminal). What the container holds is
// released once, at the end. It returns the last exit.
func (run *Running) WaitRestarting(pio func() (IO, error)) (Exit, error) {
	id := run.st.ID
	delay := restartDelayFirst
	// adopted between two runs: the last run's exit is on record
	pending, havePending := run.Recorded()
	havePending = havePending && run.st.Status == StatusRestarting
	for {
		started := run.st.StartedAt
		ex := pending
		if !havePending {
			var err error
			if ex, err = run.waitExit(); err != nil {
				if errors.Is(err, ErrExitLost) {
					run.recordLost()
				}
				return Exit{Code: 125}, errors.Join(err, run.finish(id))
			}
		}
		havePending = false
		st, err := run.rt.Store.Load(id)
		again := err == nil && !st.StopRequested && st.Restart.restarts(ex, st.RestartCount+1)
		if !again {
			ex = run.recordExit(ex, StatusExited)
			run.reap()
			return ex, run.finish(id)
		}
		// Restarting, never exited: wait and ps see a container that
		// still runs, and the exit of this run.
		ex = run.recordExit(ex, StatusRestarting)
		run.reap()
		if err := run.clearInstance(); err != nil {
			return ex, errors.Join(err, run.finish(id))
		}
		if time.Since(started) >= restartResetAfter {
			delay = restartDelayFirst
		}
		if run.stoppedDuring(id, delay) {
			run.markExited(id)
			return ex, run.finish(id)
		}
		delay = min(delay*2, restartDelayMax)
		io, err := pio()
		if err == nil {
			err = run.restart(id, io)
		}
		if err != nil {
			se := asStartError(err)
			_, _ = run.rt.Store.update(id, func(s *State) error {
				s.Status, s.ExitCode, s.Error = StatusExited, &se.Code, se.Error()
				return nil
			})
			return Exit{Code: se.Code}, errors.Join(se, run.finish(id))
		}
	}
}

// stoppedDuring waits delay, or until a stop is asked for (true).
func (run *Running) stoppedDuring(id string, delay time.Duration) bool {
	deadline := time.Now().Add(delay)
	for time.Now().Before(deadline) {
		time.Sleep(min(pollInterval, time.Until(deadline)))
		if st, err := run.rt.Store.Load(id); err == nil && st.StopRequested {
			return true
		}
	}
	return false
}

// markExited ends a restarting container that was stopped meanwhile.
func (run *Running) markExited(id string) {
	_, _ = run.rt.Store.update(id, func(s *State) error {
		s.Status = StatusExited
		return nil
	})
}

// clearInstance removes libcontainer's instance of the ended run, keeping
// the cgroup (empty now: it is removed with the rest at the end) and
// everything the container holds.
func (run *Running) clearInstance() error {
	if err := os.RemoveAll(run.rt.Store.runcRoot(run.st.ID)); err != nil {
		return fmt.Errorf("clear container %s for a restart: %w", ShortID(run.st.ID), err)
	}
	run.lc, run.proc = nil, nil
	return nil
}

// recordExit completes ex with the OOM kill and records it, the container
// then in status.
func (run *Running) recordExit(ex Exit, status Status) Exit {
	if ex.Signal == unix.SIGKILL {
		if oom, err := run.rt.Hooks.OOMKilled(run.st.CgroupPaths); err == nil {
			ex.OOMKilled = oom
		}
	}
	events := oomEvents(run.rt.Hooks, run.st.CgroupPaths)
	if st, err := run.rt.Store.update(run.st.ID, func(s *State) error {
		s.Status = status
		s.ExitCode = &ex.Code
		s.OOMKilled = ex.OOMKilled
		s.OOMEvents = events
		s.FinishedAt = time.Now().UTC()
		return nil
	}); err == nil {
		run.keepState(st)
	}
	return ex
}

// restart starts the process again in the same container.
func (run *Running) restart(id string, pio IO) error {
	if _, err := run.rt.Store.update(id, func(s *State) error {
		s.Status = StatusCreated // start's precondition
		s.RestartCount++
		return nil
	}); err != nil {
		return err
	}
	return run.start(id, pio)
}

// requestStop records that the container was stopped on purpose: its
// restart policy ends.
func (r *Runtime) requestStop(id string) {
	_, _ = r.Store.update(id, func(s *State) error {
		s.StopRequested = true
		return nil
	})
}
