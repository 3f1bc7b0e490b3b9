package volume

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"

	"golang.org/x/sys/unix"

	"github.com/cgrun/cgrun/internal/flock"
)

// DefaultStateDir is where volumes are registered and attach state lives.
const DefaultStateDir = "/var/lib/cgrun/volumes"

// Store keeps the registry (NAME/volume.json) and the attach state
// (NAME/attach.json) as 0600 JSON files in 0700 directories, and a flock
// per volume (NAME/lock) so concurrent cgrun processes are safe.
type Store struct {
	Dir string
}

func (s Store) volDir(name string) string { return filepath.Join(s.Dir, name) }

// StagingDir is the per-volume mount point of a filesystem volume.
func (s Store) StagingDir(name string) string { return filepath.Join(s.Dir, name, "staging") }

func (s Store) ensure(name string) error {
	if err := os.MkdirAll(s.Dir, 0o700); err != nil {
		return err
	}
	if err := os.Chmod(s.Dir, 0o700); err != nil {
		return err
	}
	return os.MkdirAll(s.volDir(name), 0o700)
}

// lockFile takes an exclusive flock on path, creating it, and returns its
// release.
func lockFile(path string) (func(), error) {
	l, err := flock.Acquire(path, unix.LOCK_EX)
	if err != nil {
		return nil, err
	}
	return l.Unlock, nil
}

// Lock takes the lock of volume name to create it (blocking), making its
// directory, and returns its release. The release removes the directory
// again when no volume was registered in it (a create that failed or was
// refused leaves nothing).
func (s Store) Lock(name string) (func(), error) {
	if err := ValidName(name); err != nil {
		return nil, err
	}
	path := filepath.Join(s.volDir(name), "lock")
	for {
		if err := s.ensure(name); err != nil {
			return nil, err
		}
		l, err := flock.Acquire(path, unix.LOCK_EX)
		if err != nil {
			return nil, err
		}
		if !l.Same(path) { // removed while this waited: take the new one
			l.Unlock()
			continue
		}
		return func() {
			if _, err := os.Stat(filepath.Join(s.volDir(name), "volume.json")); errors.Is(err, fs.ErrNotExist) {
				_ = os.RemoveAll(s.volDir(name))
			}
			l.Unlock()
		}, nil
	}
}

// LockExisting takes the lock of registered volume name (blocking) and
// returns its release; ErrNotFound when there is no such volume, and
// nothing is created for it.
func (s Store) LockExisting(name string) (func(), error) {
	if err := ValidName(name); err != nil {
		return nil, err
	}
	path := filepath.Join(s.volDir(name), "lock")
	for {
		l, err := flock.AcquireExisting(path, unix.LOCK_EX)
		if errors.Is(err, fs.ErrNotExist) {
			if _, serr := os.Stat(filepath.Join(s.volDir(name), "volume.json")); serr != nil {
				return nil, fmt.Errorf("volume %q: %w", name, ErrNotFound)
			}
			l, err = flock.Acquire(path, unix.LOCK_EX) // registered by a cgrun that made no lock file
		}
		if err != nil {
			return nil, err
		}
		if !l.Same(path) { // removed while this waited
			l.Unlock()
			continue
		}
		return l.Unlock, nil
	}
}

// lockSessions serialises login, logout and node record changes, which
// several volumes on one target share.
func (s Store) lockSessions() (func(), error) {
	if err := os.MkdirAll(s.Dir, 0o700); err != nil {
		return nil, err
	}
	return lockFile(filepath.Join(s.Dir, ".sessions.lock"))
}

func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(path, path+".tmp", append(b, '\n'))
}

// writeFileAtomic replaces path with b (0600), written to tmp, synced and
// renamed, so a reader sees the old file or the new one whole.
func writeFileAtomic(path, tmp string, b []byte) error {
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// Get reads a registered volume.
func (s Store) Get(name string) (*Volume, error) {
	if err := ValidName(name); err != nil {
		return nil, err
	}
	var v Volume
	err := readJSON(filepath.Join(s.volDir(name), "volume.json"), &v)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("volume %q: %w", name, ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	return &v, nil
}

// Put writes a volume's registry entry.
func (s Store) Put(v *Volume) error {
	if err := s.ensure(v.Name); err != nil {
		return err
	}
	return writeJSON(filepath.Join(s.volDir(v.Name), "volume.json"), v)
}

// Remove deletes a volume's directory (registry, state, lock).
func (s Store) Remove(name string) error {
	return os.RemoveAll(s.volDir(name))
}

// List returns the registered volume names, sorted.
func (s Store) List() ([]string, error) {
	ents, err := os.ReadDir(s.Dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range ents {
		if !e.IsDir() {
			continue
		}
		if _, err := os.Stat(filepath.Join(s.Dir, e.Name(), "volume.json")); err == nil {
			out = append(out, e.Name())
		}
	}
	sort.Strings(out)
	return out, nil
}

// Attachment reads the attach state; nil when the volume is not attached.
func (s Store) Attachment(name string) (*Attachment, error) {
	var a Attachment
	err := readJSON(filepath.Join(s.volDir(name), "attach.json"), &a)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &a, nil
}

// putAttachment records the attach state (intent before each step).
func (s Store) putAttachment(a *Attachment) error {
	if err := s.ensure(a.Volume); err != nil {
		return err
	}
	return writeJSON(filepath.Join(s.volDir(a.Volume), "attach.json"), a)
}

func (s Store) deleteAttachment(name string) error {
	err := os.Remove(filepath.Join(s.volDir(name), "attach.json"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}
