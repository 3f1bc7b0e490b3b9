package container

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/opencontainers/cgroups/manager"
	"github.com/opencontainers/runc/libcontainer"
)

// release gives back everything container id holds, except its state:
// libcontainer's state and cgroup, then the recorded releases in reverse
// order of acquisition. Each step is idempotent, so release may run again
// after a partial failure or from another process (rm -f after a crash).
// The container's process must have ended. lc, when not nil, is the
// libcontainer container this process started (not loaded again from disk).
func (r *Runtime) release(id string, lc *libcontainer.Container, removing bool) error {
	st, _, err := readStateLite(r.Store.Dir(id)) // the spec is read only if needed
	if err != nil {
		return err
	}
	return errors.Join(r.destroyLibcontainer(st, lc), r.releaseHeld(st, removing))
}

// releaseSettled is release retried for a short, bounded while: right after
// the container's process died the kernel may still be tearing it down (a
// cgroup that will not go yet, a mount still busy), and every step is
// idempotent. The last error is returned; what failed stays recorded.
func (r *Runtime) releaseSettled(id string, lc *libcontainer.Container, removing bool) error {
	delay := 50 * time.Millisecond
	err := r.release(id, lc, removing)
	for tries := 0; err != nil && tries < 6; tries++ {
		time.Sleep(delay)
		delay *= 2
		err = r.release(id, lc, removing)
	}
	return err
}

// releaseHeld releases the recorded releases of container st in reverse
// order, dropping each from the state once released; one that fails stays
// recorded for the next try. When the caller removes the state next
// (removing), a drop that cannot be written (a full state root) is no
// error: the state goes, and a crash before it goes leaves the releases
// recorded for the next try, which releasers, being idempotent, allow.
func (r *Runtime) releaseHeld(st *State, removing bool) error {
	id := st.ID
	var errs []error
	for i := len(st.Releases) - 1; i >= 0; i-- {
		rel := st.Releases[i]
		if err := r.Releasers.release(rel); err != nil {
			errs = append(errs, err)
			continue
		}
		_, err := r.Store.update(id, func(s *State) error {
			for j := range s.Releases {
				if s.Releases[j].Kind == rel.Kind && s.Releases[j].Target == rel.Target {
					s.Releases = append(s.Releases[:j], s.Releases[j+1:]...)
					break
				}
			}
			return nil
		})
		if err != nil && !removing {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// destroyLibcontainer removes libcontainer's state and the container's
// cgroup. When libcontainer has no state (the start failed early, or it was
// destroyed already), the cgroup is removed by its path from the spec.
func (r *Runtime) destroyLibcontainer(st *State, lc *libcontainer.Container) error {
	var err error
	if lc == nil {
		lc, err = libcontainer.Load(r.Store.runcRoot(st.ID), st.ID)
	}
	switch {
	case err == nil:
		if err := lc.Destroy(); err != nil {
			return fmt.Errorf("destroy container %s: %w", ShortID(st.ID), err)
		}
		// libcontainer removed its state and the cgroups it recorded
		return os.RemoveAll(r.Store.runcRoot(st.ID))
	case errors.Is(err, libcontainer.ErrNotExist):
	default:
		return fmt.Errorf("load container %s: %w", ShortID(st.ID), err)
	}
	// No libcontainer state (a crash before libcontainer recorded one):
	// the cgroups the spec names may still exist.
	if err := os.RemoveAll(r.Store.runcRoot(st.ID)); err != nil {
		return err
	}
	if !st.specRecorded && st.Spec == nil { // never got a spec: never had a cgroup
		return nil
	}
	if st.Spec == nil {
		if st, err = r.Store.Load(st.ID); err != nil {
			return err
		}
	}
	cfg, err := libcontainerConfig(st)
	if err != nil {
		return err
	}
	cm, err := manager.New(cfg.Cgroups)
	if err != nil {
		return fmt.Errorf("cgroup of %s: %w", ShortID(st.ID), err)
	}
	if err := cm.Destroy(); err != nil {
		return fmt.Errorf("remove cgroup of %s: %w", ShortID(st.ID), err)
	}
	return nil
}

// removeDir deletes container id's state directory and gives up its name:
// name when the caller knows it (a container's name never changes), else
// the one its state records. Under the root lock the directory is renamed
// away (from then on no process finds the container or makes a file in
// its directory) and the name released; the renamed directory is deleted
// after, by this process or, after a crash, by the next that opens the
// store.
func (r *Runtime) removeDir(id, name string) error {
	l, err := r.Store.lockRoot()
	if err != nil {
		return err
	}
	var logErr error
	if st, _, lerr := readStateLite(r.Store.Dir(id)); lerr == nil {
		// the log first: a removal cut short after this point leaves a
		// tombstone the next open sweeps, which no longer names the log.
		// One that cannot go (a read-only disk) is said, and the state
		// goes all the same.
		// (Lstat first: on a read-only disk RemoveAll of a missing path
		// fails.)
		if st.LogDir != "" {
			if _, serr := os.Lstat(st.LogDir); serr == nil {
				if rerr := os.RemoveAll(st.LogDir); rerr != nil {
					logErr = fmt.Errorf("remove container log: %w", rerr)
				}
			}
		}
		if name == "" {
			name = st.Name
		}
	} // no state: its name (if any) is stale and reclaimable
	gone := filepath.Join(r.Store.Root(), removedPrefix+id)
	_ = os.RemoveAll(gone) // an earlier removal's, cut short
	if err := os.Rename(r.Store.Dir(id), gone); err != nil && !errors.Is(err, os.ErrNotExist) {
		l.Unlock()
		return fmt.Errorf("remove container state: %w", err)
	}
	if name != "" {
		err = r.Store.releaseName(name, id)
	}
	l.Unlock()
	r.afterStep("rm-renamed")
	if rerr := os.RemoveAll(gone); rerr != nil && err == nil {
		err = fmt.Errorf("remove container state: %w", rerr)
	}
	return errors.Join(err, logErr)
}
