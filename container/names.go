package container

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Container names are reserved in ROOT/.names: one symlink NAME -> ID per
// container, made with symlink(2), which creates or fails atomically, so
// concurrent starts need neither the root lock nor a scan of every state.
//
// A name whose container's state.json is gone is stale (rm or a crash
// between removing the state and the name) and is reclaimed under the root
// lock, which rm holds while it removes both.
const namesDir = ".names"

// maxReclaims bounds the reserve retries: each one follows a reclaim, and
// only a reserver racing removals of the same name ever needs a second.
const maxReclaims = 3

func (s *Store) namePath(name string) string { return filepath.Join(s.root, namesDir, name) }

// reserveName records name as container id's, or fails with ErrNameInUse
// when another container with a state holds it.
func (s *Store) reserveName(name, id string) error {
	if err := s.ensureNames(); err != nil {
		return err
	}
	for range maxReclaims {
		err := os.Symlink(id, s.namePath(name))
		if err == nil {
			return nil
		}
		if !errors.Is(err, os.ErrExist) {
			return fmt.Errorf("reserve container name: %w", err)
		}
		owner, held, err := s.nameOwner(name)
		if err != nil {
			return err
		}
		if owner == id { // the backfill of ensureNames recorded it
			return nil
		}
		if held {
			return fmt.Errorf("%w: %q (container %s)", ErrNameInUse, name, ShortID(owner))
		}
		if err := s.reclaimName(name); err != nil {
			return err
		}
	}
	return fmt.Errorf("%w: %q (being reclaimed by another cgrun)", ErrNameInUse, name)
}

// nameOwner reads name's container and whether its state still exists.
// A name released meanwhile reads as not held.
func (s *Store) nameOwner(name string) (string, bool, error) {
	owner, err := os.Readlink(s.namePath(name))
	if errors.Is(err, os.ErrNotExist) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("read container name: %w", err)
	}
	_, err = os.Stat(filepath.Join(s.Dir(owner), stateFile))
	if err == nil {
		return owner, true, nil
	}
	if errors.Is(err, os.ErrNotExist) {
		return owner, false, nil
	}
	return owner, false, fmt.Errorf("read container name: %w", err)
}

// reclaimName removes a stale name under the root lock, after looking again.
func (s *Store) reclaimName(name string) error {
	l, err := s.lockRoot()
	if err != nil {
		return err
	}
	defer l.Unlock()
	if _, held, err := s.nameOwner(name); err != nil || held {
		return err
	}
	if err := os.Remove(s.namePath(name)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("reclaim container name: %w", err)
	}
	return nil
}

// releaseName removes name when it is still container id's. The caller
// holds the root lock.
func (s *Store) releaseName(name, id string) error {
	if owner, err := os.Readlink(s.namePath(name)); err != nil || owner != id {
		return nil
	}
	if err := os.Remove(s.namePath(name)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("release container name: %w", err)
	}
	return nil
}

// ensureNames makes ROOT/.names once, from the states of the containers a
// store of an older cgrun holds, under the root lock.
func (s *Store) ensureNames() error {
	if _, err := os.Stat(filepath.Join(s.root, namesDir)); err == nil {
		return nil
	}
	l, err := s.lockRoot()
	if err != nil {
		return err
	}
	defer l.Unlock()
	dir := filepath.Join(s.root, namesDir)
	if _, err := os.Stat(dir); err == nil {
		return nil
	}
	all, err := s.List()
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(s.root, namesDir+"-*")
	if err != nil {
		return fmt.Errorf("container names: %w", err)
	}
	for _, st := range all {
		if err := os.Symlink(st.ID, filepath.Join(tmp, st.Name)); err != nil && !errors.Is(err, os.ErrExist) {
			_ = os.RemoveAll(tmp)
			return fmt.Errorf("container names: %w", err)
		}
	}
	if err := os.Rename(tmp, dir); err != nil {
		_ = os.RemoveAll(tmp)
		return fmt.Errorf("container names: %w", err)
	}
	return nil
}
