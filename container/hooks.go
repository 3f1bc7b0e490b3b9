package container

import specs "github.com/opencontainers/runtime-spec/specs-go"

// CgroupHooks is what cgrun's cgroup package does around libcontainer,
// which writes every OCI-expressible limit itself. It is injected so the
// container package does not decide how extension knobs are written.
type CgroupHooks interface {
	// Check refuses a spec the host cannot honour, before anything is
	// created (exit 125).
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

// NoHooks does nothing: for embedders without extension knobs.
type NoHooks struct{}

// Check implements CgroupHooks.
func (NoHooks) Check(*specs.Spec) error { return nil }

// Apply implements CgroupHooks.
func (NoHooks) Apply(*specs.Spec, map[string]string) error { return nil }

// OOMKilled implements CgroupHooks.
func (NoHooks) OOMKilled(map[string]string) (bool, error) { return false, nil }
