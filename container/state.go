package container

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/cgrun/cgrun/logs"
	"github.com/cgrun/cgrun/network"
)

// Status is where a container is in its lifecycle.
type Status string

// The statuses a container goes through, in order.
const (
	// StatusCreated: state written, process not started yet.
	StatusCreated Status = "created"
	// StatusRunning: the process runs.
	StatusRunning Status = "running"
	// StatusExited: the process ended (or never started); ExitCode holds why.
	StatusExited Status = "exited"
	// StatusRestarting: the process ended and the restart policy starts it
	// again after its back-off.
	StatusRestarting Status = "restarting"
)

// State is what cgrun records about one container, in DIR/state.json
// (0600). The spec is the single model of what was asked for.
type State struct {
	ID      string    `json:"id"`
	Name    string    `json:"name"`
	Created time.Time `json:"created"`
	// Spec is nil while the container is being created (Creating).
	Spec *specs.Spec `json:"spec"`
	// CgroupsPath is PARENT/ID, as in Spec.Linux.CgroupsPath.
	CgroupsPath string `json:"cgroupsPath"`
	// CgroupPaths maps each controller to the container's cgroup
	// directory, known once the container started.
	CgroupPaths map[string]string `json:"cgroupPaths,omitempty"`
	Status      Status            `json:"status"`
	// Creating: the container is being created (Creation); its spec may
	// be missing. Found so with nobody owning it, its creator died.
	Creating   bool      `json:"creating,omitempty"`
	Pid        int       `json:"pid,omitempty"`
	StartedAt  time.Time `json:"startedAt,omitzero"`
	FinishedAt time.Time `json:"finishedAt,omitzero"`
	// ExitCode is Docker's: the process's code, 128+N after signal N,
	// 125/126/127 when it could not start.
	ExitCode  *int `json:"exitCode,omitempty"`
	OOMKilled bool `json:"oomKilled"`
	// OOMEvents counts the OOM kills in the container's cgroup: recorded
	// at exit, live in inspect while it runs.
	OOMEvents uint64 `json:"oomEvents"`
	Error     string `json:"error,omitempty"`
	// Detached containers have a monitor process and a log file.
	// Restart is the restart policy of a detached container (nil: none);
	// RestartCount counts its restarts; StopRequested ends the policy.
	Restart       *RestartPolicy `json:"restart,omitempty"`
	RestartCount  int            `json:"restartCount"`
	StopRequested bool           `json:"stopRequested,omitempty"`
	// Labels are the container's metadata (Docker's --label).
	Labels   map[string]string `json:"labels,omitempty"`
	Detached bool              `json:"detached"`
	// Log is how a detached container's output is kept, in LogDir
	// (package logs); nil: it is not (a container in the foreground).
	Log        *logs.Config `json:"log,omitempty"`
	LogDir     string       `json:"logDir,omitempty"`
	AutoRemove bool         `json:"autoRemove"`
	MonitorPid int          `json:"monitorPid,omitempty"`
	// Supervisor is the process that reaps the container's init should
	// its runner (MonitorPid) die, and starts an adopter (package shim).
	Supervisor Supervisor `json:"supervisor,omitzero"`
	// Releases are what must be released when the container goes away,
	// in the order they were acquired (released in reverse).
	Releases []Release `json:"releases,omitempty"`
	// Network is what the container got from its networks (addresses,
	// published ports), when it is on any.
	Network *network.Status `json:"network,omitempty"`

	// specRecorded: the record read has a spec, which a lite read
	// (Store.update) leaves undecoded in Spec's place.
	specRecorded bool
}

// Running reports whether the state says the process runs.
func (s *State) Running() bool { return s.Status == StatusRunning }

const stateFile = "state.json"

func readState(dir string) (*State, error) {
	st, raw, err := readStateLite(dir)
	if err != nil {
		return nil, err
	}
	if st.specRecorded {
		var spec specs.Spec
		if err := json.Unmarshal(raw, &spec); err != nil {
			return nil, fmt.Errorf("parse container state %s: spec: %w", filepath.Join(dir, stateFile), err)
		}
		st.Spec = &spec
	}
	return st, nil
}

// stateRecord is State as state.json holds it with the spec left as its
// JSON (the outer field hides State's). A start reads and writes its
// container's state a dozen times and needs the spec in only a few of
// them, while the spec is most of the record (11 of 13 KB, the seccomp
// profile 8.5): decoding it cost more than the rest of the state together,
// and in a process that never decodes a spec, its decoder is never built.
type stateRecord struct {
	*stateFields
	Spec json.RawMessage `json:"spec"`
}

// stateFields is State without its methods.
type stateFields State

// readStateLite reads DIR/state.json but for the spec, which it returns
// as JSON (nil when there is none); Spec stays nil and specRecorded says
// whether the record has one.
func readStateLite(dir string) (*State, json.RawMessage, error) {
	b, err := os.ReadFile(filepath.Join(dir, stateFile))
	if err != nil {
		if os.IsNotExist(err) {
			return nil, nil, fmt.Errorf("%w: %s", ErrNotFound, filepath.Base(dir))
		}
		return nil, nil, fmt.Errorf("read container state: %w", err)
	}
	var st State
	rec := stateRecord{stateFields: (*stateFields)(&st)}
	if err := json.Unmarshal(b, &rec); err != nil {
		return nil, nil, fmt.Errorf("parse container state %s: %w", filepath.Join(dir, stateFile), err)
	}
	if len(rec.Spec) > 0 && string(rec.Spec) != "null" {
		st.specRecorded = true
		return &st, rec.Spec, nil
	}
	return &st, nil, nil
}

// encodeState is st's record: its spec encoded when st carries one (a
// spec set or changed), else raw, the spec as read (readStateLite), or
// null. Only a spec to encode needs the spec's JSON encoder, the largest
// to build (WarmJSON builds it meanwhile): the first record of a start
// has none.
func encodeState(st *State, raw json.RawMessage) ([]byte, error) {
	if st.Spec != nil {
		return json.Marshal(st)
	}
	return json.Marshal(stateRecord{stateFields: (*stateFields)(st), Spec: raw})
}

// writeState replaces DIR/state.json atomically, so a reader never sees a
// partial file and needs no lock.
//
// A full disk must not cost a container its recorded exit: every write
// keeps DIR/reserve, an allocated file of twice the state's size, and a
// write refused for want of space gives the reserve back and tries again
// (the space goes back to the reserve at the next write that finds room).
func writeState(dir string, st *State) error {
	return writeStateLite(dir, st, nil)
}

// writeStateLite is writeState of a state read by readStateLite: raw is
// the spec it returned, written back as it was unless st.Spec is set.
func writeStateLite(dir string, st *State, raw json.RawMessage) error {
	b, err := encodeState(st, raw)
	if err != nil {
		return fmt.Errorf("encode container state: %w", err)
	}
	err = replaceFile(dir, b)
	if errors.Is(err, syscall.ENOSPC) {
		if rerr := os.Remove(filepath.Join(dir, reserveFile)); rerr == nil {
			err = replaceFile(dir, b)
		}
	}
	if err != nil {
		return fmt.Errorf("write container state: %w", err)
	}
	keepReserve(dir, 2*int64(len(b))+reserveSlack)
	return nil
}

// reserveFile holds space for the state's next write on a full disk.
const (
	reserveFile  = "reserve"
	reserveSlack = 16 << 10
)

func replaceFile(dir string, b []byte) error {
	tmp, err := os.CreateTemp(dir, ".state-*")
	if err != nil {
		return err
	}
	_, werr := tmp.Write(b)
	cerr := tmp.Close()
	if werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Rename(tmp.Name(), filepath.Join(dir, stateFile))
	}
	if werr != nil {
		_ = os.Remove(tmp.Name())
	}
	return werr
}

// keepReserve grows DIR/reserve to size bytes of allocated space, when
// there is room (best effort: on a full disk the reserve waits).
func keepReserve(dir string, size int64) {
	p := filepath.Join(dir, reserveFile)
	if fi, err := os.Stat(p); err == nil && fi.Size() >= size {
		return
	}
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|syscall.O_CLOEXEC, 0o600)
	if err != nil {
		return
	}
	defer f.Close()
	if err := unix.Fallocate(int(f.Fd()), 0, 0, size); err != nil {
		_ = f.Truncate(0) // a reserve that is not allocated reserves nothing
	}
}
