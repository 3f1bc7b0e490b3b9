package container

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/opencontainers/runc/libcontainer"
	"github.com/opencontainers/runc/libcontainer/configs"
	"github.com/opencontainers/runc/libcontainer/specconv"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// UpdateError is a failed live update. Nothing changed: the old limits
// were written back (RollbackErr says if even that failed) and the stored
// spec is the old one.
type UpdateError struct {
	Err         error
	RollbackErr error
}

func (e *UpdateError) Error() string {
	if e.RollbackErr != nil {
		return fmt.Sprintf("%v (restoring the old limits failed too: %v)", e.Err, e.RollbackErr)
	}
	return fmt.Sprintf("%v (old limits kept)", e.Err)
}

func (e *UpdateError) Unwrap() error { return e.Err }

// Update changes the limits of running container id. change edits a copy
// of the stored spec (merging the limits given into Linux.Resources and
// the extension annotations); the hooks check the result against the host;
// libcontainer's Set writes every OCI-expressible limit of the new
// resources (device rules untouched) and the hooks write the extension
// knobs. Either every change lands or none does: on any failure the old
// resources are set back and an *UpdateError returned. The stored spec is
// replaced only on success, all under the container's state lock, so
// concurrent updates serialise and inspect shows what the kernel holds.
func (r *Runtime) Update(id string, change func(*specs.Spec) error) (*State, error) {
	return r.Store.updateSpec(id, func(st *State) error {
		if st.Status != StatusRunning || !r.Running(id) || len(st.CgroupPaths) == 0 {
			return fmt.Errorf("%w: %s", ErrNotRunning, ShortID(id))
		}
		next, err := r.changedSpec(st.Spec, change)
		if err != nil {
			return err
		}
		if err := prepare(r.Hooks, next); err != nil {
			return err
		}
		lc, err := libcontainer.Load(r.Store.runcRoot(id), id)
		if errors.Is(err, libcontainer.ErrNotExist) {
			return fmt.Errorf("%w: %s", ErrNotRunning, ShortID(id))
		}
		if err != nil {
			return fmt.Errorf("load container %s: %w", ShortID(id), err)
		}
		newCfg, err := setConfig(lc, st, next.Linux.Resources)
		if err != nil {
			return err
		}
		// Checked by the kernel on v1 (EBUSY) and by libcontainer on v2,
		// where memory.max below the usage would OOM-kill instead.
		newCfg.Cgroups.Resources.MemoryCheckBeforeUpdate = true
		oldCfg, err := setConfig(lc, st, rollbackResources(st.Spec.Linux.Resources, next.Linux.Resources, st.CgroupPaths))
		if err != nil {
			return err
		}
		if err := lc.Set(newCfg); err != nil {
			return &UpdateError{Err: fmt.Errorf("update %s: %w", ShortID(id), err), RollbackErr: lc.Set(oldCfg)}
		}
		if err := r.Hooks.Apply(next, st.CgroupPaths); err != nil {
			rerr := lc.Set(oldCfg)
			if aerr := r.Hooks.Apply(st.Spec, st.CgroupPaths); rerr == nil {
				rerr = aerr
			}
			return &UpdateError{Err: err, RollbackErr: rerr}
		}
		st.Spec = next
		return nil
	})
}

// setConfig is the container's libcontainer config with the cgroup
// resources converted from res by specconv (the one way from OCI to
// libcontainer), device rules skipped. Only the cgroup part is converted,
// from a shallow copy of the spec with res in place: specconv only reads
// the spec.
func setConfig(lc *libcontainer.Container, st *State, res *specs.LinuxResources) (configs.Config, error) {
	s := *st.Spec
	var lin specs.Linux
	if s.Linux != nil {
		lin = *s.Linux
	}
	lin.Resources = res
	s.Linux = &lin
	c, err := specconv.CreateCgroupConfig(&specconv.CreateOpts{CgroupName: st.ID, Spec: &s}, nil)
	if err != nil {
		return configs.Config{}, fmt.Errorf("convert spec: %w", err)
	}
	cfg := lc.Config()
	cg := *cfg.Cgroups
	cg.Resources = c.Resources
	cg.Resources.SkipDevices = true
	cfg.Cgroups = &cg
	return cfg, nil
}

func cloneSpec(s *specs.Spec) (*specs.Spec, error) {
	b, err := json.Marshal(s)
	if err != nil {
		return nil, fmt.Errorf("copy spec: %w", err)
	}
	var out specs.Spec
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, fmt.Errorf("copy spec: %w", err)
	}
	if out.Linux == nil {
		out.Linux = &specs.Linux{}
	}
	if out.Linux.Resources == nil {
		out.Linux.Resources = &specs.LinuxResources{}
	}
	return &out, nil
}
