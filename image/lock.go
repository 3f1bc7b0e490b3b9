package image

import (
	"path/filepath"

	"github.com/cgrun/cgrun/internal/flock"
)

// lock takes flock how on the store root's file name (see internal/flock).
func (s *Store) lock(name string, how int) (*flock.Lock, error) {
	return flock.Acquire(filepath.Join(s.root, name), how)
}

const (
	// gcLock: held shared while blobs and layers are written or mounted,
	// exclusive while rmi deletes them.
	gcLock = "gc.lock"
	// metaLock: held exclusive around a read-modify-write of images.json.
	metaLock = "meta.lock"
)
