package cgroup

import (
	"fmt"
	"strings"
)

// Paths locates one container's cgroup, in the shape libcontainer's
// Container.State().CgroupPaths has: on cgroup v1 one directory per
// controller ("memory" -> /sys/fs/cgroup/memory/cgrun/ID; on hybrid hosts
// also "" -> the unified directory); on cgroup v2 the single key "" -> the
// unified directory. A plain map[string]string converts to Paths as is.
type Paths map[string]string

// UnifiedPaths returns the Paths of a cgroup v2 directory.
func UnifiedPaths(dir string) Paths { return Paths{"": dir} }

// Unified reports whether the paths describe a cgroup v2 cgroup: only the
// unified directory, no v1 controller.
func (p Paths) Unified() bool {
	_, ok := p[""]
	return ok && len(p) == 1
}

// Dir returns the directory holding controller's files (memory, cpu,
// cpuacct, cpuset, blkio, io, pids): the v1 controller's own directory, or
// the unified directory on v2.
func (p Paths) Dir(controller string) (string, error) {
	if p.Unified() {
		return p[""], nil
	}
	if d := p[controller]; d != "" {
		return d, nil
	}
	return "", fmt.Errorf("%w: %s (cgroup paths have none)", ErrNoController, controller)
}

// controllerOf returns the controller a cgroup file belongs to: the part
// of its name before the first dot (memory.wmark_ratio -> memory).
func controllerOf(file string) string {
	c, _, _ := strings.Cut(file, ".")
	return c
}
