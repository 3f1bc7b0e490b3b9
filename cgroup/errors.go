package cgroup

import (
	"errors"
	"fmt"
)

// ErrNoController is wrapped by errors about a cgroup controller that the
// container's cgroup (or the host) does not have.
var ErrNoController = errors.New("no such cgroup controller")

// ErrBadAnnotation is wrapped when an extension annotation names a file
// cgrun refuses to touch (a path, not a plain cgroup file name).
var ErrBadAnnotation = errors.New("invalid cgroup extension annotation")

// UnsupportedError says that this host cannot honour a flag. Its text is
// "FLAG: REASON", the same wording `cgrun check` prints for the flag.
type UnsupportedError struct {
	Flag   string // Docker/Pouch flag name, with dashes: --memory-swappiness
	Reason string // why, naming the missing kernel file or controller
	Err    error  // the underlying error, if any
}

func (e *UnsupportedError) Error() string { return e.Flag + ": " + e.Reason }
func (e *UnsupportedError) Unwrap() error { return e.Err }

// WriteError reports a failed write of an extension knob; it quotes the
// value written.
type WriteError struct {
	Flag  string
	Path  string
	Value string
	Err   error
}

func (e *WriteError) Error() string {
	return fmt.Sprintf("%s: write %q to %s: %v", e.Flag, e.Value, e.Path, e.Err)
}
func (e *WriteError) Unwrap() error { return e.Err }

// ReadError reports a cgroup file that could not be read back.
type ReadError struct {
	Path string
	Err  error
}

func (e *ReadError) Error() string { return fmt.Sprintf("read %s: %v", e.Path, e.Err) }
func (e *ReadError) Unwrap() error { return e.Err }
