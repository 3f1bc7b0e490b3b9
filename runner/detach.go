package runner

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"

	"github.com/cgrun/cgrun/cgroup"
	"github.com/cgrun/cgrun/container"
	"github.com/cgrun/cgrun/shim"
)

// monitorGOGC keeps the monitor's heap small: it lives as long as the
// container and allocates almost nothing after the start. It also runs with
// GOMAXPROCS=1: it waits, it does not compute.
const monitorGOGC = "25"

// startDetached hands the created container to a monitor process in its
// own session (stdio to monitor.log in the state), and waits until the
// monitor reports the start on fd 3. A monitor that cannot start it has released
// it; one that died before reporting leaves it to be removed here.
func (c *Container) startDetached() error {
	rt := c.r.rt
	rd, w, err := os.Pipe()
	if err != nil {
		return c.startFailed(err)
	}
	defer rd.Close()
	// the monitor's own words (and its supervisor's); the container's
	// output goes to its log (package logs)
	logf, err := os.OpenFile(rt.Store.MonitorLogPath(c.id), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		w.Close()
		return c.startFailed(fmt.Errorf("monitor log: %w", err))
	}
	defer logf.Close()
	cmd := c.r.monitorCommand(c.id)
	cmd.Stdin = nil // /dev/null
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.ExtraFiles = []*os.File{w} // fd 3: the start report
	if cmd.Env == nil {
		cmd.Env = os.Environ()
	}
	cmd.Env = append(cmd.Env, "GOGC="+monitorGOGC, "GOMAXPROCS=1")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	err = cmd.Start()
	w.Close()
	if err != nil {
		return c.startFailed(fmt.Errorf("start monitor: %w", err))
	}
	_ = cmd.Process.Release()
	report, err := io.ReadAll(rd)
	if err != nil {
		return c.startFailed(fmt.Errorf("read monitor report: %w", err))
	}
	if err := parseStartReport(report); err != nil {
		if errors.Is(err, errNoReport) {
			// the monitor died before reporting: the container started
			// if its process ran (the monitor's supervisor adopted it)
			if st, lerr := rt.Store.Load(c.id); lerr == nil && !st.StartedAt.IsZero() && st.Pid > 0 {
				_ = shim.Done()
				return nil
			}
		}
		// the monitor released it, or died before the start: its
		// supervisor's adopter or this removes it
		return c.startFailed(err)
	}
	_ = shim.Done() // the monitor has it now
	return nil
}

// startFailed removes a created container that could not be started
// (nothing ran), and returns err.
func (c *Container) startFailed(err error) error {
	_ = c.r.rt.Remove(c.id, true)
	_ = shim.Done()
	return err
}

// errNoReport: the monitor ended without reporting the start.
var errNoReport = errors.New("the monitor ended before the container started (see its log)")

// startReport is the monitor's report of the start, one JSON object on fd
// 3: OK, or the error with its exit code and, when the refusal came from
// the cgroup package, its typed fields, so the caller gets an error it can
// match (errors.As) as if the start had run in its own process.
type startReport struct {
	OK      bool   `json:"ok,omitempty"`
	Code    int    `json:"code,omitempty"`
	Message string `json:"message,omitempty"`
	// Unsupported or Write: the cgroup error inside the message.
	Unsupported *reportedUnsupported `json:"unsupported,omitempty"`
	Write       *reportedWrite       `json:"write,omitempty"`
}

type reportedUnsupported struct {
	Resource cgroup.Resource `json:"resource"`
	Reason   string          `json:"reason"`
}

type reportedWrite struct {
	Resource cgroup.Resource `json:"resource"`
	Path     string          `json:"path"`
	Value    string          `json:"value"`
	Err      string          `json:"err"`
}

func formatStartReport(err error) []byte {
	rep := startReport{OK: err == nil}
	if err != nil {
		rep.Code = 125
		var se *container.StartError
		if errors.As(err, &se) {
			rep.Code = se.Code
		}
		rep.Message = err.Error()
		var ue *cgroup.UnsupportedError
		var we *cgroup.WriteError
		switch {
		case errors.As(err, &ue):
			rep.Unsupported = &reportedUnsupported{Resource: ue.Resource, Reason: ue.Reason}
		case errors.As(err, &we):
			rep.Write = &reportedWrite{Resource: we.Resource, Path: we.Path, Value: we.Value, Err: fmt.Sprint(we.Err)}
		}
	}
	b, _ := json.Marshal(rep) // plain strings and numbers: never fails
	return b
}

func parseStartReport(b []byte) error {
	var rep startReport
	if err := json.Unmarshal(b, &rep); err != nil || (!rep.OK && rep.Message == "") {
		return &container.StartError{Code: 125, Err: errNoReport}
	}
	if rep.OK {
		return nil
	}
	var inner error
	switch {
	case rep.Unsupported != nil:
		inner = &cgroup.UnsupportedError{Resource: rep.Unsupported.Resource, Reason: rep.Unsupported.Reason}
	case rep.Write != nil:
		inner = &cgroup.WriteError{Resource: rep.Write.Resource, Path: rep.Write.Path, Value: rep.Write.Value, Err: errors.New(rep.Write.Err)}
	}
	return &container.StartError{Code: rep.Code, Err: &reportedError{msg: rep.Message, err: inner}}
}

// reportedError is an error of the monitor's process: its text, and the
// typed error it held when there was one.
type reportedError struct {
	msg string
	err error
}

func (e *reportedError) Error() string { return e.msg }
func (e *reportedError) Unwrap() error { return e.err }
