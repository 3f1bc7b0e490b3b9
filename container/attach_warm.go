package container

import "github.com/cgrun/cgrun/cgroup/warm"

// WarmCgroupAttach starts, in the background, the RCU grace period that
// the container's first cgroup.procs write would otherwise wait for (see
// package cgroup/warm). cgrun's main package starts one at process start;
// Start starts another just before libcontainer creates the container, so
// the fast path is fresh when the init joins its cgroups.
func WarmCgroupAttach() { warm.Attach() }
