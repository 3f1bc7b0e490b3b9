// Package flock holds flock(2) locks on files that live as long as the
// lock: the container state, the image store and the volume store all
// serialise cgrun processes with them. Each Acquire opens its own file, so
// goroutines of one process exclude each other too.
package flock

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// ErrLocked: a non-blocking Acquire (unix.LOCK_NB) found the lock held.
var ErrLocked = errors.New("locked")

// Lock is a held flock; Unlock releases it.
type Lock struct{ f *os.File }

// Acquire opens (creating, 0600) path and takes flock how on it
// (unix.LOCK_SH or unix.LOCK_EX, with unix.LOCK_NB: ErrLocked when held).
func Acquire(path string, how int) (*Lock, error) {
	return acquire(path, os.O_CREATE, how)
}

// AcquireExisting is Acquire on a lock file that must exist already: it
// creates nothing, so probing the lock of something being removed cannot
// put a file back into a directory on its way out. A missing file is an
// error that matches os.ErrNotExist.
func AcquireExisting(path string, how int) (*Lock, error) {
	return acquire(path, 0, how)
}

func acquire(path string, create, how int) (*Lock, error) {
	f, err := os.OpenFile(path, os.O_RDWR|create|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	for {
		err = unix.Flock(int(f.Fd()), how)
		if !errors.Is(err, unix.EINTR) {
			break
		}
	}
	if err != nil {
		f.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			return nil, ErrLocked
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return &Lock{f: f}, nil
}

// Fd is the descriptor the lock is held through (for a process that
// keeps it across an exec).
func (l *Lock) Fd() uintptr { return l.f.Fd() }

// Unlock releases the lock; a nil or released Lock is left as it is.
func (l *Lock) Unlock() {
	if l == nil || l.f == nil {
		return
	}
	_ = unix.Flock(int(l.f.Fd()), unix.LOCK_UN)
	_ = l.f.Close()
	l.f = nil
}

// Same reports whether the locked file is still the one at path: a lock
// file removed (and perhaps made again) while this process waited for it
// locks nothing any more.
func (l *Lock) Same(path string) bool {
	if l == nil || l.f == nil {
		return false
	}
	var held, now unix.Stat_t
	if unix.Fstat(int(l.f.Fd()), &held) != nil || unix.Stat(path, &now) != nil {
		return false
	}
	return held.Dev == now.Dev && held.Ino == now.Ino
}
