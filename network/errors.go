package network

import (
	"errors"
	"fmt"
	"strings"
)

// Error kinds. Every error of the package that is about its input wraps
// one of them (errors.Is).
var (
	// ErrInvalid: a name, subnet, gateway or port mapping breaks a rule.
	ErrInvalid = errors.New("invalid network definition")
	// ErrNotFound: no network of that name.
	ErrNotFound = errors.New("not found")
	// ErrExists: a network (or bridge) of that name exists.
	ErrExists = errors.New("already exists")
	// ErrOverlap: a subnet overlaps the host's routes or another network.
	ErrOverlap = errors.New("subnet overlaps")
	// ErrPortInUse: a published host port is taken.
	ErrPortInUse = errors.New("port is already allocated")
	// ErrInUse: containers are attached to the network.
	ErrInUse = errors.New("network in use")
)

// UsersError is a network that cannot be removed: containers are attached
// to it. It is an ErrInUse.
type UsersError struct {
	Network    string
	Containers []string // container IDs
}

func (e *UsersError) Error() string {
	return fmt.Sprintf("network %q has containers attached (%s): %v", e.Network, strings.Join(e.Containers, ", "), ErrInUse)
}

// Unwrap makes every UsersError an ErrInUse.
func (e *UsersError) Unwrap() error { return ErrInUse }

// PortError is a published port that is taken: by a process of the host
// (Holder empty) or by another container's mapping.
type PortError struct {
	Port   PortMapping
	Holder string // the container ID holding it, "" for a host socket
}

func (e *PortError) Error() string {
	if e.Holder != "" {
		return fmt.Sprintf("host port %s is published by container %s: %v", e.Port.hostAddr(), shortID(e.Holder), ErrPortInUse)
	}
	return fmt.Sprintf("host port %s is in use on the host: %v", e.Port.hostAddr(), ErrPortInUse)
}

// Unwrap makes every PortError an ErrPortInUse.
func (e *PortError) Unwrap() error { return ErrPortInUse }

func shortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

// kindError is a message of the package's own wording that is one of the
// error kinds above.
type kindError struct {
	kind error
	msg  string
}

func (e *kindError) Error() string { return e.msg }
func (e *kindError) Unwrap() error { return e.kind }

func kindf(kind error, format string, a ...any) error {
	return &kindError{kind: kind, msg: fmt.Sprintf(format, a...)}
}
