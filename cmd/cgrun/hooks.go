package main

import (
	"fmt"
	"io"
	"sync"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/cgrun/cgrun/cgroup"
)

// cgroupHooks plugs cgrun's cgroup package into the container lifecycle:
// the host-support check before anything is created, the extension knobs
// between libcontainer's Start and Exec, and the OOM-kill read-back.
type cgroupHooks struct {
	parent string       // the --cgroup-parent the host probe looks under
	warn   func(string) // prints a warning line (nil: none)
}

// Check implements container.CgroupHooks.
func (h cgroupHooks) Check(s *specs.Spec) error {
	var r *specs.LinuxResources
	if s.Linux != nil {
		r = s.Linux.Resources
	}
	if r == nil && len(s.Annotations) == 0 {
		return nil
	}
	host, err := cgroup.ProbeFor(r, s.Annotations, cgroup.WithParent(h.parent))
	if err != nil {
		return fmt.Errorf("probe host cgroups: %w", err)
	}
	if err := cgroup.Supports(host, r, s.Annotations); err != nil {
		return err
	}
	if h.warn != nil {
		for _, w := range cgroup.Warnings(host, r) {
			h.warn(w)
		}
	}
	return nil
}

// warnOnce returns a warn func for cgroupHooks that writes each distinct
// warning once as "cgrun: warning: ..." on w (a run checks its spec again
// when a volume is attached).
func warnOnce(w io.Writer) func(string) {
	var mu sync.Mutex
	seen := map[string]bool{}
	return func(msg string) {
		mu.Lock()
		defer mu.Unlock()
		if !seen[msg] {
			seen[msg] = true
			fmt.Fprintln(w, "cgrun: warning: "+msg)
		}
	}
}

// Apply implements container.CgroupHooks.
func (cgroupHooks) Apply(s *specs.Spec, paths map[string]string) error {
	return cgroup.ApplyExtensions(cgroup.Paths(paths), s.Annotations)
}

// OOMKilled implements container.CgroupHooks.
func (cgroupHooks) OOMKilled(paths map[string]string) (bool, error) {
	n, err := cgroup.OOMEvents(cgroup.Paths(paths))
	return n > 0, err
}

// OOMEvents implements container.OOMCounter.
func (cgroupHooks) OOMEvents(paths map[string]string) (uint64, error) {
	return cgroup.OOMEvents(cgroup.Paths(paths))
}
