// Package container runs OCI containers on runc's libcontainer without a
// daemon: it records each container's state under a root directory,
// starts it (extension knobs land between libcontainer's Start and Exec,
// before the user's process runs), waits for it, signals it and releases
// everything it held (cgroup, libcontainer state, injected releases).
package container

import (
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"time"

	"github.com/opencontainers/runc/libcontainer/seccomp"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/cgrun/cgrun/network"
)

// DefaultCgroupParent is where containers' cgroups go: PARENT/ID.
const DefaultCgroupParent = "/cgrun"

// DefaultRoot is where container state lives unless told otherwise.
const DefaultRoot = "/run/cgrun"

// Runtime ties the state store to what is injected: the cgroup hooks and
// the releasers of each kind of held resource.
type Runtime struct {
	Store     *Store
	Hooks     CgroupHooks
	Releasers Releasers
}

// NewRuntime opens the store at root. hooks may be nil (DefaultHooks: the
// cgroup package's checks, extension knobs and OOM count); the releasers are
// DefaultReleasers (mounts, image rootfs mounts, volume attachments) plus
// extra, so any process that opens root can release any of its containers.
func NewRuntime(root string, hooks CgroupHooks, extra Releasers) (*Runtime, error) {
	st, err := NewStore(root)
	if err != nil {
		return nil, err
	}
	if hooks == nil {
		hooks = DefaultHooks{}
	}
	rs := DefaultReleasers()
	for k, v := range extra {
		rs[k] = v
	}
	return &Runtime{Store: st, Hooks: hooks, Releasers: rs}, nil
}

// Config is what a new container is made of.
type Config struct {
	// Name is unique among the store's containers; empty: the short ID.
	Name string
	// Spec is the OCI spec (Root.Path and Process set). Its
	// Linux.CgroupsPath is set to CgroupParent/ID.
	Spec *specs.Spec
	// CgroupParent: empty means DefaultCgroupParent.
	CgroupParent string
	Detached     bool
	AutoRemove   bool
	// Releases already held for the container (a mounted rootfs).
	Releases []Release
	// Labels are the container's metadata, kept in its state.
	Labels map[string]string
	// Restart is the restart policy (nil: none); it needs Detached and
	// excludes AutoRemove.
	Restart *RestartPolicy
}

// Prepare checks cfg against the host, gives the container an ID and
// records it (status created). Nothing runs yet.
func (r *Runtime) Prepare(cfg Config) (*State, error) {
	if cfg.Spec == nil || cfg.Spec.Process == nil || cfg.Spec.Root == nil {
		return nil, errors.New("container spec needs process and root")
	}
	if len(cfg.Spec.Process.Args) == 0 {
		return nil, errors.New("no command given and the image has none")
	}
	if cfg.Spec.Linux != nil && cfg.Spec.Linux.Seccomp != nil && !seccomp.Enabled {
		return nil, ErrNoSeccomp
	}
	if cfg.Name != "" {
		if err := ValidateName(cfg.Name); err != nil {
			return nil, err
		}
	}
	parent := cfg.CgroupParent
	if parent == "" {
		parent = DefaultCgroupParent
	}
	if p := cfg.Restart; p != nil && p.Name != "no" {
		if !cfg.Detached {
			return nil, &FieldError{Field: "Restart", Value: p.Name, Err: errors.New("needs a detached container: its monitor restarts it")}
		}
		if cfg.AutoRemove {
			return nil, &FieldError{Field: "Restart", Value: p.Name, Err: errors.New("conflicts with removing the container when it exits")}
		}
	}
	if !path.IsAbs(parent) {
		return nil, &FieldError{Field: "CgroupParent", Value: parent, Err: errors.New("must be an absolute cgroup path")}
	}
	id, err := NewID()
	if err != nil {
		return nil, err
	}
	if cfg.Spec.Linux == nil {
		cfg.Spec.Linux = &specs.Linux{}
	}
	cfg.Spec.Linux.CgroupsPath = path.Join(parent, id)
	if err := r.Hooks.Check(cfg.Spec); err != nil {
		return nil, err
	}
	if cfg.Name == "" {
		cfg.Name = ShortID(id)
	}
	root, err := filepath.Abs(cfg.Spec.Root.Path)
	if err != nil {
		return nil, err
	}
	cfg.Spec.Root.Path = root

	// The state is written before the name is reserved, so a reserved name
	// always leads to a state (see names.go); a start that loses the name
	// removes its state again.
	dir := r.Store.Dir(id)
	if err := os.Mkdir(dir, 0o700); err != nil {
		return nil, fmt.Errorf("container state: %w", err)
	}
	st := &State{
		ID:          id,
		Name:        cfg.Name,
		Created:     time.Now().UTC(),
		Spec:        cfg.Spec,
		CgroupsPath: cfg.Spec.Linux.CgroupsPath,
		Status:      StatusCreated,
		Detached:    cfg.Detached,
		AutoRemove:  cfg.AutoRemove,
		Releases:    cfg.Releases,
		Labels:      cfg.Labels,
		Restart:     cfg.Restart,
	}
	if err := writeState(dir, st); err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	if err := r.Store.reserveName(st.Name, id); err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	return st, nil
}

// SetNetwork records what container id got from its networks.
func (r *Runtime) SetNetwork(id string, st *network.Status) error {
	_, err := r.Store.update(id, func(s *State) error {
		s.Network = st
		return nil
	})
	return err
}

// Record adds a release to container id's state. Call it before acquiring
// the resource, so a crash in between leaves it recorded (releasers are
// idempotent).
func (r *Runtime) Record(id string, rel Release) error {
	_, err := r.Store.update(id, func(st *State) error {
		st.Releases = append(st.Releases, rel)
		return nil
	})
	return err
}
