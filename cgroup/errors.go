package cgroup

import (
	"errors"
	"fmt"
)

// Kinds of refusal. Every *UnsupportedError (and Support.Err) wraps one.
var (
	// ErrNoController: the host (or the container's cgroup) lacks the
	// resource's controller.
	ErrNoController = errors.New("no such cgroup controller")
	// ErrNoFile: the kernel lacks the resource's control file (swap
	// accounting off, no bfq, no Alibaba knob).
	ErrNoFile = errors.New("no such cgroup file")
	// ErrRemovedInV2: cgroup v2 has no file for the resource at all
	// (memory.swappiness, memory.oom_control).
	ErrRemovedInV2 = errors.New("not in cgroup v2")
	// ErrNotScheduled: a per-device weight on a device bfq does not
	// schedule.
	ErrNotScheduled = errors.New("device not scheduled by bfq")
)

// ErrBadAnnotation is wrapped when an extension annotation names a file
// the package refuses to touch (a path, not a plain cgroup file name).
var ErrBadAnnotation = errors.New("invalid cgroup extension annotation")

// UnsupportedError says that this host cannot honour a resource. Its text
// is "RESOURCE: REASON"; Reason is the wording Host.Support gives.
type UnsupportedError struct {
	Resource Resource
	Reason   string // why, naming the missing kernel file, controller or device
	Err      error  // the kind (ErrNoController, ErrNoFile, ...) or the cause
}

func (e *UnsupportedError) Error() string { return string(e.Resource) + ": " + e.Reason }
func (e *UnsupportedError) Unwrap() error { return e.Err }

// WriteError reports a failed write of an extension knob; it quotes the
// value written.
type WriteError struct {
	Resource Resource
	Path     string
	Value    string
	Err      error
}

func (e *WriteError) Error() string {
	return fmt.Sprintf("%s: write %q to %s: %v", e.Resource, e.Value, e.Path, e.Err)
}
func (e *WriteError) Unwrap() error { return e.Err }

// ReadError reports a cgroup file that could not be read back.
type ReadError struct {
	Path string
	Err  error
}

func (e *ReadError) Error() string { return fmt.Sprintf("read %s: %v", e.Path, e.Err) }
func (e *ReadError) Unwrap() error { return e.Err }
