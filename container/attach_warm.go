package container

import (
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/opencontainers/cgroups"
)

// attachWarmInterval is how often warmCgroupAttach repeats its write: well
// under one RCU grace period, so the fast path never lapses meanwhile.
const attachWarmInterval = 2 * time.Millisecond

// warmCgroupAttach takes the waiting out of the container's first
// cgroup.procs write. Every cgroup migration takes the kernel's global
// cgroup_threadgroup_rwsem for writing, and the first writer after a quiet
// spell waits one RCU grace period (10 to 25 ms here) before the lock is
// its; writers within a grace period of the previous one do not wait. So
// while cgrun does the rest of the start (state, libcontainer's config, the
// init's re-exec), a goroutine writes this process's own PID into the
// cgroup it already is in (a migration that moves nothing) every few
// milliseconds, and libcontainer's writes that put the init into the
// container's cgroup find the fast path. stop ends the writes (calling it
// again does nothing); a host where the write fails gets no head start.
func warmCgroupAttach() (stop func()) {
	done := make(chan struct{})
	go func() {
		procs := ownCgroupProcs()
		if procs == "" {
			return
		}
		pid := []byte(strconv.Itoa(os.Getpid()))
		t := time.NewTicker(attachWarmInterval)
		defer t.Stop()
		for {
			if err := os.WriteFile(procs, pid, 0); err != nil {
				return
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	var once sync.Once
	return func() { once.Do(func() { close(done) }) }
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
