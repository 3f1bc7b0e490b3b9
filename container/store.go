package container

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/cgrun/cgrun/internal/flock"
)

// Store is cgrun's state root: one directory per container ID holding
//
//	state.json   cgrun's State
//	state.lock   flock held while state.json is read, changed and written
//	owner.lock   flock held by the process that creates the container, then
//	             by the one that waits for it
//	monitor.log  what a detached container's monitor has to say
//	runc/ID/     libcontainer's own state
//
// and .lock at the top, held while names are checked and directories made
// or removed.
type Store struct{ root string }

// NewStore returns the store at root, creating it (0700) when missing.
func NewStore(root string) (*Store, error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("state root %q: %w", root, err)
	}
	if err := os.MkdirAll(abs, 0o700); err != nil {
		return nil, fmt.Errorf("state root: %w", err)
	}
	s := &Store{root: abs}
	s.sweepRemoved()
	return s, nil
}

// removedPrefix names a container directory being deleted: removal renames
// it first, so from that moment no process finds the container or creates
// anything in its directory, then deletes it.
const removedPrefix = ".removed-"

// sweepRemoved deletes what a removal interrupted by a crash left.
func (s *Store) sweepRemoved() {
	ents, err := os.ReadDir(s.root)
	if err != nil {
		return
	}
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), removedPrefix) {
			_ = os.RemoveAll(filepath.Join(s.root, e.Name()))
		}
	}
}

// Root is the store's directory.
func (s *Store) Root() string { return s.root }

// Dir is the directory of container id.
func (s *Store) Dir(id string) string { return filepath.Join(s.root, id) }

// MonitorLogPath is where a detached container's monitor and its
// supervisor write what they have to say (their stdout and stderr).
func (s *Store) MonitorLogPath(id string) string { return filepath.Join(s.Dir(id), "monitor.log") }

func (s *Store) runcRoot(id string) string { return filepath.Join(s.Dir(id), "runc") }

func (s *Store) lockRoot() (*flock.Lock, error) {
	return flock.Acquire(filepath.Join(s.root, ".lock"), unix.LOCK_EX)
}

// Load reads the state of container id.
func (s *Store) Load(id string) (*State, error) { return readState(s.Dir(id)) }

// Lock files of a container's directory. Both are made with it: probing
// or taking them creates nothing, so a process that races a removal cannot
// put a file back into a directory on its way out.
const (
	stateLockFile = "state.lock"
	ownerLockFile = "owner.lock"
)

// makeLocks creates the lock files of a new container directory.
func makeLocks(dir string) error {
	for _, name := range []string{stateLockFile, ownerLockFile} {
		f, err := os.OpenFile(filepath.Join(dir, name), os.O_CREATE|os.O_EXCL|os.O_WRONLY|unix.O_CLOEXEC, 0o600)
		if err != nil {
			return fmt.Errorf("container state: %w", err)
		}
		f.Close()
	}
	return nil
}

// lockExisting takes a lock file of container id's directory; a container
// that is gone (or going) is ErrNotFound. A state of an older cgrun that
// made its lock files on first use gets them made now.
func (s *Store) lockExisting(id, name string, how int) (*flock.Lock, error) {
	path := filepath.Join(s.Dir(id), name)
	l, err := flock.AcquireExisting(path, how)
	if errors.Is(err, os.ErrNotExist) {
		if _, serr := os.Stat(filepath.Join(s.Dir(id), stateFile)); serr != nil {
			return nil, fmt.Errorf("%w: %s", ErrNotFound, id)
		}
		l, err = flock.Acquire(path, how)
	}
	return l, err
}

// update changes the state of container id under its state lock. change
// sees the state without its spec (Spec nil; specRecorded says whether it
// has one), which is written back as it was unless change sets a new
// one: most changes (status, exit, releases) never touch it, and its
// decoding was most of each one's cost. A change that reads the spec
// takes updateSpec.
func (s *Store) update(id string, change func(*State) error) (*State, error) {
	l, err := s.lockExisting(id, stateLockFile, unix.LOCK_EX)
	if err != nil {
		return nil, err
	}
	defer l.Unlock()
	st, raw, err := readStateLite(s.Dir(id))
	if err != nil {
		return nil, err
	}
	if err := change(st); err != nil {
		return st, err
	}
	return st, writeStateLite(s.Dir(id), st, raw)
}

// updateSpec is update with the spec decoded for change to read (and
// replace: a spec is never edited in place).
func (s *Store) updateSpec(id string, change func(*State) error) (*State, error) {
	l, err := s.lockExisting(id, stateLockFile, unix.LOCK_EX)
	if err != nil {
		return nil, err
	}
	defer l.Unlock()
	st, err := readState(s.Dir(id))
	if err != nil {
		return nil, err
	}
	if err := change(st); err != nil {
		return st, err
	}
	return st, writeState(s.Dir(id), st)
}

// List returns every container's state, oldest first. A directory being
// removed at the same time is skipped.
func (s *Store) List() ([]*State, error) {
	ents, err := os.ReadDir(s.root)
	if err != nil {
		return nil, fmt.Errorf("list containers: %w", err)
	}
	var out []*State
	for _, e := range ents {
		if !e.IsDir() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		st, err := readState(s.Dir(e.Name()))
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, st)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Created.Before(out[j].Created) })
	return out, nil
}

// Resolve finds a container by full ID, name or unique ID prefix.
func (s *Store) Resolve(ref string) (string, error) {
	if ref == "" || strings.ContainsAny(ref, "/\x00") || strings.HasPrefix(ref, ".") {
		return "", fmt.Errorf("%w: %q", ErrNotFound, ref)
	}
	if _, err := os.Stat(filepath.Join(s.Dir(ref), stateFile)); err == nil {
		return ref, nil
	}
	all, err := s.List()
	if err != nil {
		return "", err
	}
	for _, st := range all {
		if st.Name == ref {
			return st.ID, nil
		}
	}
	var match string
	for _, st := range all {
		if strings.HasPrefix(st.ID, ref) {
			if match != "" {
				return "", fmt.Errorf("%w: %q", ErrAmbiguous, ref)
			}
			match = st.ID
		}
	}
	if match == "" {
		return "", fmt.Errorf("%w: %q", ErrNotFound, ref)
	}
	return match, nil
}

// OwnerAlive reports whether a process (cgrun run or the monitor) still
// waits for container id: it holds the owner lock until the exit is recorded
// and cleanup ran.
func (s *Store) OwnerAlive(id string) bool {
	l, err := s.lockExisting(id, ownerLockFile, unix.LOCK_SH|unix.LOCK_NB)
	if errors.Is(err, flock.ErrLocked) {
		return true
	}
	l.Unlock()
	return false
}

// takeOwnership locks the owner lock of container id for the caller's
// lifetime (or until released).
func (s *Store) takeOwnership(id string) (*flock.Lock, error) {
	l, err := s.lockExisting(id, ownerLockFile, unix.LOCK_EX|unix.LOCK_NB)
	if errors.Is(err, flock.ErrLocked) {
		return nil, fmt.Errorf("container %s is already owned by another cgrun process", ShortID(id))
	}
	return l, err
}
