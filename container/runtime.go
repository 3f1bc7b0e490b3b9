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

	"github.com/cgrun/cgrun/internal/flock"
	"github.com/cgrun/cgrun/logs"
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
	// Supervisor, when set, is this process's supervisor: recorded with
	// the containers it creates and starts, so that other processes wait
	// for it rather than settle a container whose runner died
	// (Reconcile) while the supervisor adopts it.
	Supervisor Supervisor
	// AfterStep, when set, hears of each step of a container's run once it
	// is done and recorded: "init" (libcontainer's init waits to exec),
	// "running", "exit" (seen, not recorded), "exit-recorded", "reaped",
	// "released". Fault tests stop the process there.
	AfterStep func(step string)
}

func (r *Runtime) afterStep(step string) {
	if r.AfterStep != nil {
		r.AfterStep(step)
	}
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
	// Log is how a detached container's output is kept: with json-file,
	// in LogRoot/ID (made when first written, removed with the container).
	Log     *logs.Config
	LogRoot string
}

// Prepare checks cfg against the host, gives the container an ID and
// records it (status created). Nothing runs yet. It is Reserve, SetSpec
// and Created in one.
func (r *Runtime) Prepare(cfg Config) (*State, error) {
	if err := checkSpec(cfg.Spec); err != nil {
		return nil, err
	}
	c, err := r.Reserve(cfg)
	if err != nil {
		return nil, err
	}
	st, err := c.SetSpec(cfg.Spec)
	if err != nil {
		return nil, errors.Join(err, c.Abort())
	}
	c.Created()
	return st, nil
}

func checkSpec(s *specs.Spec) error {
	if s == nil || s.Process == nil || s.Root == nil {
		return errors.New("container spec needs process and root")
	}
	if len(s.Process.Args) == 0 {
		return errors.New("no command given and the image has none")
	}
	if s.Linux != nil && s.Linux.Seccomp != nil && !seccomp.Enabled {
		return ErrNoSeccomp
	}
	return nil
}

// Creation is a container being created: recorded (status created, marked
// creating) and owned by the process that creates it, with no spec yet.
// What it acquires meanwhile is recorded first (Runtime.Record), so that
// if the creating process dies, whoever finds the container (its
// supervisor's adopter, the next cgrun command) removes it with all of
// that. Created ends the creation; Abort undoes it.
type Creation struct {
	rt    *Runtime
	id    string
	name  string
	owner *flock.Lock
}

// Reserve records a new container from cfg (its Spec unused): ID, name,
// cgroup parent, options and releases. SetSpec gives it its spec.
func (r *Runtime) Reserve(cfg Config) (*Creation, error) {
	if cfg.Name != "" {
		if err := ValidateName(cfg.Name); err != nil {
			return nil, err
		}
	}
	parent := cfg.CgroupParent
	if parent == "" {
		parent = DefaultCgroupParent
	}
	if p := cfg.Restart; p.Active() {
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
	if cfg.Name == "" {
		cfg.Name = ShortID(id)
	}

	// The state is written before the name is reserved, so a reserved name
	// always leads to a state (see names.go); a start that loses the name
	// removes its state again.
	dir := r.Store.Dir(id)
	if err := os.Mkdir(dir, 0o700); err != nil {
		return nil, fmt.Errorf("container state: %w", err)
	}
	fail := func(err error) (*Creation, error) {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	if err := makeLocks(dir); err != nil {
		return fail(err)
	}
	owner, err := r.Store.takeOwnership(id)
	if err != nil {
		return fail(err)
	}
	st := &State{
		ID:          id,
		Name:        cfg.Name,
		Created:     time.Now().UTC(),
		CgroupsPath: path.Join(parent, id),
		Status:      StatusCreated,
		Creating:    true,
		Supervisor:  r.Supervisor,
		Detached:    cfg.Detached,
		AutoRemove:  cfg.AutoRemove,
		Releases:    cfg.Releases,
		Labels:      cfg.Labels,
		Restart:     cfg.Restart,
		Log:         cfg.Log,
	}
	if cfg.Log != nil && cfg.Log.Driver == logs.DriverJSONFile && cfg.LogRoot != "" {
		st.LogDir = filepath.Join(cfg.LogRoot, id)
	}
	if err := writeState(dir, st); err != nil {
		owner.Unlock()
		return fail(err)
	}
	if err := r.Store.reserveName(st.Name, id); err != nil {
		owner.Unlock()
		return fail(err)
	}
	return &Creation{rt: r, id: id, name: st.Name, owner: owner}, nil
}

// ID is the container's ID.
func (c *Creation) ID() string { return c.id }

// Name is the container's name.
func (c *Creation) Name() string { return c.name }

// SetSpec checks s against the host and records it as the container's
// spec, its Linux.CgroupsPath set to PARENT/ID and its root made absolute.
func (c *Creation) SetSpec(s *specs.Spec) (*State, error) {
	if err := checkSpec(s); err != nil {
		return nil, err
	}
	root, err := filepath.Abs(s.Root.Path)
	if err != nil {
		return nil, err
	}
	s.Root.Path = root
	if s.Linux == nil {
		s.Linux = &specs.Linux{}
	}
	st, err := c.rt.Store.update(c.id, func(st *State) error {
		s.Linux.CgroupsPath = st.CgroupsPath
		if err := c.rt.Hooks.Check(s); err != nil {
			return err
		}
		st.Spec = s
		return nil
	})
	if err != nil {
		return nil, err
	}
	return st, nil
}

// Created ends the creation: the container is complete (status created)
// and no longer owned, ready for Start.
func (c *Creation) Created() error {
	_, err := c.rt.Store.update(c.id, func(st *State) error {
		if !st.specRecorded {
			return errors.New("container has no spec")
		}
		st.Creating = false
		return nil
	})
	c.owner.Unlock()
	return err
}

// Abort removes the container being created and releases what it
// recorded.
func (c *Creation) Abort() error {
	defer c.owner.Unlock()
	if err := c.rt.release(c.id, nil, true); err != nil {
		return err
	}
	return c.rt.removeDir(c.id, c.name)
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
