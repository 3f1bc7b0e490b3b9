package image

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// flock is an flock(2) held on a file of the store root; it serialises
// cgrun processes (and goroutines: each lock opens its own file).
type flock struct{ f *os.File }

func (s *Store) lock(name string, how int) (*flock, error) {
	path := filepath.Join(s.root, name)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock image store: %w", err)
	}
	for {
		err = unix.Flock(int(f.Fd()), how)
		if !errors.Is(err, unix.EINTR) {
			break
		}
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return &flock{f: f}, nil
}

func (l *flock) unlock() {
	if l == nil || l.f == nil {
		return
	}
	_ = unix.Flock(int(l.f.Fd()), unix.LOCK_UN)
	_ = l.f.Close()
	l.f = nil
}

const (
	// gcLock: held shared while blobs and layers are written or mounted,
	// exclusive while rmi deletes them.
	gcLock = "gc.lock"
	// metaLock: held exclusive around a read-modify-write of images.json.
	metaLock = "meta.lock"
)
