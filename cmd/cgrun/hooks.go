package main

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/cgrun/cgrun/cgroup"
)

// cgroupHooks plugs cgrun's cgroup package into the container lifecycle:
// the host-support check before anything is created, the extension knobs
// between libcontainer's Start and Exec, and the OOM-kill read-back.
type cgroupHooks struct {
	parent string // the --cgroup-parent the host probe looks under
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
	host, err := cgroup.Probe(cgroup.WithParent(h.parent))
	if err != nil {
		return fmt.Errorf("probe host cgroups: %w", err)
	}
	return cgroup.Supports(host, r, s.Annotations)
}

// Apply implements container.CgroupHooks.
func (cgroupHooks) Apply(s *specs.Spec, paths map[string]string) error {
	return cgroup.ApplyExtensions(cgroup.Paths(paths), s.Annotations)
}

// OOMKilled implements container.CgroupHooks: the oom_kill counter of
// memory.oom_control (v1) or memory.events (v2).
func (cgroupHooks) OOMKilled(paths map[string]string) (bool, error) {
	p := cgroup.Paths(paths)
	dir, err := p.Dir("memory")
	if err != nil {
		return false, err
	}
	file := "memory.oom_control"
	if p.Unified() {
		file = "memory.events"
	}
	f, err := os.Open(filepath.Join(dir, file))
	if err != nil {
		return false, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), " ")
		if ok && k == "oom_kill" {
			n, err := strconv.ParseUint(v, 10, 64)
			return n > 0, err
		}
	}
	if err := sc.Err(); err != nil {
		return false, err
	}
	return false, errors.New(file + " has no oom_kill counter")
}
