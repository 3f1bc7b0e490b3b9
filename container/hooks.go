package container

import (
	"fmt"
	"path"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/cgrun/cgrun/cgroup"
)

// CgroupHooks is what happens around libcontainer, which writes every
// OCI-expressible limit itself: the host check, the extension knobs and the
// OOM read-back. DefaultHooks does it with the cgroup package; an embedder
// may inject its own.
type CgroupHooks interface {
	// Check refuses a spec the host cannot honour, before anything is
	// created. The spec's Linux.CgroupsPath is set (PARENT/ID).
	Check(spec *specs.Spec) error
	// Apply writes the extension knobs (spec annotations) into the
	// container's cgroup directories (controller -> path). It runs after
	// the container's init started and before the user's process is
	// executed.
	Apply(spec *specs.Spec, paths map[string]string) error
	// OOMKilled reports whether the kernel's OOM killer killed a process
	// of the cgroup, read before the cgroup is removed.
	OOMKilled(paths map[string]string) (bool, error)
}

// DefaultHooks are the cgroup package's: cgroup.Supports before anything
// is created (probing the host under the container's cgroup parent),
// cgroup.ApplyExtensions between libcontainer's Start and Exec, and the
// OOM-kill count.
type DefaultHooks struct {
	// Warn hears of limits the host accepts but that do nothing as asked
	// (nil: nobody).
	Warn func(cgroup.Warning)
}

// Check implements CgroupHooks.
func (h DefaultHooks) Check(s *specs.Spec) error {
	var r *specs.LinuxResources
	parent := DefaultCgroupParent
	if s.Linux != nil {
		r = s.Linux.Resources
		if s.Linux.CgroupsPath != "" {
			parent = path.Dir(s.Linux.CgroupsPath)
		}
	}
	if r == nil && len(s.Annotations) == 0 {
		return nil
	}
	host, err := cgroup.ProbeFor(r, s.Annotations, cgroup.WithParent(parent))
	if err != nil {
		return fmt.Errorf("probe host cgroups: %w", err)
	}
	if err := cgroup.Supports(host, r, s.Annotations); err != nil {
		return err
	}
	if h.Warn != nil {
		for _, w := range cgroup.Warnings(host, r) {
			h.Warn(w)
		}
	}
	return nil
}

// Apply implements CgroupHooks.
func (DefaultHooks) Apply(s *specs.Spec, paths map[string]string) error {
	return cgroup.ApplyExtensions(cgroup.Paths(paths), s.Annotations)
}

// OOMKilled implements CgroupHooks.
func (DefaultHooks) OOMKilled(paths map[string]string) (bool, error) {
	n, err := cgroup.OOMEvents(cgroup.Paths(paths))
	return n > 0, err
}

// OOMEvents implements OOMCounter.
func (DefaultHooks) OOMEvents(paths map[string]string) (uint64, error) {
	return cgroup.OOMEvents(cgroup.Paths(paths))
}

// Preparer is a CgroupHooks that also prepares the host before a
// container's cgroups are made or changed (the parent's real-time budget).
type Preparer interface {
	Prepare(spec *specs.Spec) error
}

// Prepare implements Preparer: the parent cgroup gets the real-time budget
// the container asks for (cgroup v1).
func (DefaultHooks) Prepare(s *specs.Spec) error {
	if s.Linux == nil || s.Linux.Resources == nil || s.Linux.Resources.CPU == nil ||
		s.Linux.Resources.CPU.RealtimeRuntime == nil || s.Linux.CgroupsPath == "" {
		return nil
	}
	parent := path.Dir(s.Linux.CgroupsPath)
	host, err := cgroup.ProbeFor(s.Linux.Resources, nil, cgroup.WithParent(parent))
	if err != nil {
		return fmt.Errorf("probe host cgroups: %w", err)
	}
	cpu, ok := host.Controllers["cpu"]
	if !ok || host.V2() {
		return nil // Check refused real-time limits already
	}
	return cgroup.PrepareRealtime(cpu, parent, s.Linux.Resources)
}

func prepare(h CgroupHooks, s *specs.Spec) error {
	if p, ok := h.(Preparer); ok {
		return p.Prepare(s)
	}
	return nil
}

// NoHooks does nothing: for embedders that check and write nothing beyond
// what libcontainer does.
type NoHooks struct{}

// Check implements CgroupHooks.
func (NoHooks) Check(*specs.Spec) error { return nil }

// Apply implements CgroupHooks.
func (NoHooks) Apply(*specs.Spec, map[string]string) error { return nil }

// OOMKilled implements CgroupHooks.
func (NoHooks) OOMKilled(map[string]string) (bool, error) { return false, nil }
