package container

import (
	"os"
	"path/filepath"
	"strconv"

	"github.com/opencontainers/cgroups"
)

// WarmCgroupAttach takes the waiting out of the container's first
// cgroup.procs write, in the background. Every cgroup migration takes the
// kernel's global cgroup_threadgroup_rwsem for writing, and the first writer
// after a quiet spell waits one RCU grace period (10 to 25 ms on this
// project's cgroup v1 host) before the lock is its; a writer within about a
// grace period of the previous one does not wait. So a goroutine writes
// this process's own PID into the cgroup it already is in (a migration that
// moves nothing) while cgrun does the rest of the start, and libcontainer's
// writes that put the init into the container's cgroup a few milliseconds
// later find the fast path or a grace period already under way. One write
// per call, no loop: repeated writes would slow every fork on the host and
// each other when many containers start at once. A host where the write
// fails just gets no head start.
func WarmCgroupAttach() {
	go func() {
		if procs := ownCgroupProcs(); procs != "" {
			_ = os.WriteFile(procs, []byte(strconv.Itoa(os.Getpid())), 0)
		}
	}()
}

// ownCgroupProcs is the cgroup.procs file of the cgroup this process is
// in (one v1 hierarchy, or the unified one), "" when it cannot be found.
func ownCgroupProcs() string {
	own, err := cgroups.ParseCgroupFile("/proc/self/cgroup")
	if err != nil {
		return ""
	}
	if cgroups.IsCgroup2UnifiedMode() {
		if p, ok := own[""]; ok {
			return filepath.Join("/sys/fs/cgroup", p, "cgroup.procs")
		}
		return ""
	}
	for _, sub := range []string{"pids", "memory", "cpu", "devices", "freezer", "blkio"} {
		p, ok := own[sub]
		if !ok {
			continue
		}
		if mnt, err := cgroups.FindCgroupMountpoint("", sub); err == nil {
			return filepath.Join(mnt, p, "cgroup.procs")
		}
	}
	return ""
}
