package container

import (
	"errors"
	"fmt"
)

// Errors of the container package. Callers match them with errors.Is.
var (
	// ErrNotFound: no container has the given ID, ID prefix or name.
	ErrNotFound = errors.New("no such container")
	// ErrAmbiguous: an ID prefix matches more than one container.
	ErrAmbiguous = errors.New("ambiguous container ID prefix")
	// ErrNameInUse: another container already has the requested name.
	ErrNameInUse = errors.New("container name already in use")
	// ErrRunning: the operation needs a stopped container.
	ErrRunning = errors.New("container is running")
	// ErrNotRunning: the operation needs a running container.
	ErrNotRunning = errors.New("container is not running")
	// ErrInvalidName: a name holds characters other than [a-zA-Z0-9_.-].
	ErrInvalidName = errors.New("invalid container name")
	// ErrNoReleaser: the state names a release kind nobody registered.
	ErrNoReleaser = errors.New("no releaser registered")
	// ErrTimeout: the container did not stop in time.
	ErrTimeout = errors.New("timed out")
	// ErrNoSeccomp: the spec has a seccomp profile and this program was
	// built without libcontainer's seccomp support.
	ErrNoSeccomp = errors.New("the spec has a seccomp profile, and this program was built without seccomp support (build it with -tags seccomp and libseccomp-dev)")
	// ErrInvalid: a field of a container's configuration breaks a rule
	// (wrapped by every *FieldError).
	ErrInvalid = errors.New("invalid configuration")
)

// FieldError is a field of a container's configuration whose value breaks
// a rule. Field is the field's name in the Go type that carries it
// ("CgroupParent", or a runner request's "Process.User"), so a front end
// can name its own flag for it.
type FieldError struct {
	Field string
	Value string
	Err   error // the rule broken, or the cause
}

func (e *FieldError) Error() string   { return fmt.Sprintf("invalid %s %q: %v", e.Field, e.Value, e.Err) }
func (e *FieldError) Unwrap() []error { return []error{ErrInvalid, e.Err} }

// ReleaseError is a container whose process ended (its exit is recorded)
// but of which something could not be released yet: it stays recorded,
// and the next remove, or any later process, releases it.
type ReleaseError struct {
	ID  string
	Err error
}

func (e *ReleaseError) Error() string { return fmt.Sprintf("cleanup of %s: %v", ShortID(e.ID), e.Err) }
func (e *ReleaseError) Unwrap() error { return e.Err }

// StartError is a failure to start the container's process. Code is the
// Docker exit code for it: 127 when the command is not found, 126 when it
// cannot be invoked, 125 for every other failure of cgrun's own.
type StartError struct {
	Code int
	Err  error
}

func (e *StartError) Error() string { return e.Err.Error() }
func (e *StartError) Unwrap() error { return e.Err }
