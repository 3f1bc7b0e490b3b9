package image

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"golang.org/x/sys/unix"
)

// Remove removes the image ref names from the store. While another name
// points at the same manifest only the name goes; otherwise an image a
// mount uses is refused (InUseError), and blobs and layers no remaining
// image needs are deleted. It holds gc.lock exclusive, so no pull or mount
// runs meanwhile.
func (s *Store) Remove(ref string) (*Image, error) {
	l, err := s.lock(gcLock, unix.LOCK_EX)
	if err != nil {
		return nil, err
	}
	defer l.Unlock()
	var removed *Image
	err = s.updateRecords(func(r records) error {
		img, err := lookup(r, ref)
		if err != nil {
			return err
		}
		for n, other := range r {
			if n != img.Name && other.Digest == img.Digest {
				delete(r, img.Name) // another name keeps the image
				removed = img
				return nil
			}
		}
		mounts, err := s.Mounts()
		if err != nil {
			return err
		}
		var users []string
		for id, d := range mounts {
			if d == img.Digest.String() {
				users = append(users, id)
			}
		}
		if len(users) > 0 {
			sort.Strings(users)
			return &InUseError{Image: img.Name, Containers: users}
		}
		delete(r, img.Name)
		removed = img
		return nil
	})
	if err != nil {
		return nil, err
	}
	return removed, s.collect()
}

// collect deletes blobs and unpacked layers no recorded image needs, and
// leftovers of interrupted writes in tmp/. Callers hold gc.lock exclusive.
func (s *Store) collect() error {
	r, err := s.readRecords()
	if err != nil {
		return err
	}
	blobs, layers := map[string]bool{}, map[string]bool{}
	for _, img := range r {
		for _, b := range img.Blobs {
			blobs[b.Hex] = true
		}
		for _, ly := range img.Layers {
			layers[ly.DiffID.Hex] = true
		}
	}
	var errs []error
	sweep := func(dir string, keep map[string]bool) {
		ents, err := os.ReadDir(dir)
		if err != nil {
			errs = append(errs, err)
			return
		}
		for _, e := range ents {
			if !keep[e.Name()] {
				if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
					errs = append(errs, err)
				}
			}
		}
	}
	sweep(filepath.Join(s.root, "blobs", "sha256"), blobs)
	sweep(filepath.Join(s.root, "layers", "sha256"), layers)
	sweep(filepath.Join(s.root, "tmp"), nil)
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("clean image store: %w", err)
	}
	return nil
}
